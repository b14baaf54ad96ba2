/** The gates a migration passes: parity (shadow), ramp, SLOs while ramping, and the router's guard. */
import { z } from 'zod';
import { confidence, duration, ratio } from './primitives.js';

/** When new is slower than legacy with evidence (see docs/verdicts.md). */
export const latencyToleranceSchema = z.strictObject({
  /** Largest acceptable slowdown of new against legacy (Hodges–Lehmann shift). @default 25 (ms) */
  maxShiftMs: z.number().min(0).default(25),
  /** Latencies needed on each side before latency is judged. @default 20 (requests) */
  minSamples: z.number().int().min(2).default(20),
});

/**
 * Replay of recorded safe requests through the shadow comparison while live traffic is too thin
 * for the parity gate (see docs/verdicts.md, "Replay"). Only GET, HEAD and OPTIONS are replayed.
 */
export const parityReplaySchema = z.strictObject({
  /** Where replayed requests come from: the family's safe contract cases, the router's captured samples. @default ["contracts", "samples"] */
  from: z
    .array(z.enum(['contracts', 'samples'], 'expected "contracts" or "samples"'))
    .min(1, 'expected at least one source')
    .default(['contracts', 'samples']),
  /** Replay starts once the parity gate has waited this long without enough evidence. @default 5m */
  after: duration.default(300_000),
  /** Replayed requests sent per second at most. @default 5 (requests/s) */
  maxPerSecond: z.number().positive('expected a number of requests per second above 0').max(1000).default(5),
  /**
   * Largest share of the samples the gate counts that may be replayed (1: replay alone may reach
   * the sample size), so live traffic stays the main evidence. @default 0.5
   */
  maxShare: z
    .number()
    .gt(0, 'expected a ratio above 0 and at most 1')
    .max(1, 'expected a ratio above 0 and at most 1')
    .default(0.5),
});
export type ParityReplayPlan = z.output<typeof parityReplaySchema>;

export const parityGateSchema = z.strictObject({
  /** Shadow comparisons needed before parity can be judged. @default 100 */
  minSamples: z.number().int().min(1).default(100),
  /** Largest share of compared requests that may differ. @default 0.01 */
  maxMismatchRate: ratio.default(0.01),
  /** Largest new p95 ÷ legacy p95; a ratio over it fails only with new's p95 also more than `latency.maxShiftMs` above. @default 1.2 */
  maxP95Ratio: z.number().positive().default(1.2),
  /** Share of requests mirrored in shadow mode. @default 1 */
  sampleRate: ratio.default(1),
  /** Give up (and roll back) when parity is not reached within this time. @default 1h */
  timeout: duration.default(3_600_000),
  /** How often the router's statistics are read while waiting. @default 30s */
  pollInterval: duration.default(30_000),
  /** Mirror POST/PUT/PATCH/DELETE too (they carry `x-phoenix-shadow: 1`). @default false */
  mirrorUnsafe: z.boolean().default(false),
  /**
   * Mirrored unsafe requests are sent to new one at a time, in the order legacy answered them,
   * per partition: the whole family by default, or per value of this request header (for
   * instance a tenant or account id). Safe mirrors stay concurrent. @default the whole family
   */
  mirrorPartition: z.strictObject({ header: z.string().min(1) }).optional(),
  /** Confidence of the mismatch-rate bound and of the latency tests, per route and family. @default 0.95 */
  confidence: confidence.default(0.95),
  /** Compared latency (same requests on both) per family and per route. @default { maxShiftMs: 25, minSamples: 20 } */
  latency: latencyToleranceSchema.default(latencyToleranceSchema.parse({})),
  /** Replay recorded safe requests when live traffic is too thin (see {@link parityReplaySchema}). @default off */
  replay: parityReplaySchema.optional(),
});

export const rampStepSchema = z.strictObject({
  /** Share of the family's traffic sent to the new service, 0–100. */
  percent: z.number().min(0, 'percent must be between 0 and 100').max(100, 'percent must be between 0 and 100'),
  /** How long to hold this step while analysing. @default 5m */
  bake: duration.default(300_000),
  /** Wait for an approval before moving to this step. @default false */
  approval: z.boolean().default(false),
});
export type RampStep = z.infer<typeof rampStepSchema>;

export const rampSchema = z.strictObject({
  /** Steps in order; percents must increase. @default 1, 5, 25, 50, 100 */
  steps: z
    .array(rampStepSchema)
    .min(1)
    .default(
      [{ percent: 1 }, { percent: 5 }, { percent: 25 }, { percent: 50 }, { percent: 100, approval: true }].map((s) =>
        rampStepSchema.parse(s),
      ),
    ),
  /** How often the family's figures are checked during a bake. @default 30s */
  analysisInterval: duration.default(30_000),
  /**
   * How long a step's bake is extended while its analysis lacks evidence (too few requests on
   * new or too few users); then the migration fails with `NotEnoughEvidence`.
   * @default each step's own bake (a step waits at most twice its bake)
   */
  evidenceTimeout: duration.optional(),
});

export const sloSchema = z.strictObject({
  /** Largest share of new-backend requests that may fail (5xx, timeouts, connection errors). @default 0.01 */
  maxErrorRate: ratio.default(0.01),
  /** Largest new p95 ÷ legacy p95 while ramping; a ratio over it fails only with new's p95 also more than `latency.maxShiftMs` above. @default 1.5 */
  maxP95Ratio: z.number().positive().default(1.5),
  /** Largest share of shadow comparisons that may differ while ramping. @default 0.02 */
  maxMismatchRate: ratio.default(0.02),
  /** New-backend requests needed in an analysis before its rates are judged. @default 20 */
  minRequests: z.number().int().min(1).default(20),
  /**
   * Distinct users (sticky keys) needed at a step strictly between 0% and 100%: fewer make the
   * split meaningless, so the step lacks evidence. @default 20 (users)
   */
  minUsers: z.number().int().min(1).default(20),
  /** Confidence of the error- and mismatch-rate bounds and the latency test. @default 0.95 */
  confidence: confidence.default(0.95),
  /** Client-path latency, legacy-served against new-served. @default { maxShiftMs: 25, minSamples: 20 } */
  latency: latencyToleranceSchema.default(latencyToleranceSchema.parse({})),
});

export const guardSchema = z.strictObject({
  /** Sliding window the router watches. @default 10s */
  window: duration.default(10_000),
  /** Requests to the new backend in the window before the guard may trip. @default 5 */
  minRequests: z.number().int().min(1).default(5),
  /** Failure share in the window that trips the guard. @default 0.5 */
  maxErrorRate: ratio.default(0.5),
  /** Consecutive failures that trip the guard at once, whatever the window says. @default 3 */
  consecutiveFailures: z.number().int().min(1).default(3),
  /** Timeout for one request to the new backend. @default 5s */
  timeout: duration.default(5_000),
});
