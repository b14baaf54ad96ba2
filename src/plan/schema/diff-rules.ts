/** A family's diff rules (how legacy and new answers are compared) and their per-route overrides. */
import { z } from 'zod';
import { duration, httpStatus, ratio } from './primitives.js';

/** How arrays at one JSON path are compared. */
export const arrayRuleSchema = z.strictObject({
  /** `ordered` compares by index; `set` ignores order; `keyed` matches items by `key`. @default ordered */
  mode: z.enum(['ordered', 'set', 'keyed']).default('ordered'),
  /** Field that identifies an item when `mode` is `keyed`. */
  key: z.string().optional(),
});

/** Per-route latency in contract runs: each safe case is timed on both sides and judged per route. */
const contractLatencySchema = z.strictObject({
  /** Largest acceptable slowdown of new on one route (Hodges–Lehmann shift), ms. @default 50 */
  maxShiftMs: z.number().min(0).default(50),
  /** Timed repetitions of each safe case on each side; 0 switches the comparison off. @default 5 */
  repetitions: z.number().int().min(0).max(100).default(5),
  /**
   * Confidence needed that new is slower (one-sided Mann–Whitney U). Higher than the shadow
   * gate's: a contract run times a route only a few times, and a busy machine can make five
   * timings look slower by chance. @default 0.99
   */
  confidence: z
    .number()
    .gt(0.5, 'expected a confidence above 0.5')
    .lt(1, 'expected a confidence below 1')
    .default(0.99),
});

/** Comparison rules for responses (shadow parity, contract tests, reports). */
export const diffRulesSchema = z.strictObject({
  /** Response headers compared (case-insensitive names). @default ["content-type"] */
  headers: z.array(z.string().min(1)).default(['content-type']),
  /** JSON paths whose differences are ignored: `$.meta.generated_at`, `$..request_id`, `$.items[*].updated_at`. @default [] */
  ignore: z.array(z.string().startsWith('$', 'JSON paths start with "$"')).default([]),
  /** Absolute tolerance for numbers. @default 0 */
  numericTolerance: z.number().min(0).default(0),
  /** Relative tolerance for numbers (0.01 = 1%). @default 0 */
  relativeTolerance: z.number().min(0).default(0),
  /**
   * Largest gap between two timestamps (instants of the `timestamp` and `epoch` value classes)
   * that still compare equal: a stamp each side wrote with its own clock for the same write (a
   * mirrored write reaches new a moment later). Written alike, they are equal; in another format,
   * a `format` difference; further apart, a `value` difference. A duration (`500ms`, `2s`) or
   * milliseconds, at most 5 minutes; `0` switches it off. @default 1s (1000 ms)
   */
  timestampTolerance: duration
    .pipe(
      z
        .number()
        .max(
          300_000,
          'expected at most "5m": a wider tolerance would hide time-zone and date changes (list stamps that may differ by any amount in "present")',
        ),
    )
    .default(1000),
  /** Array comparison per JSON path (`$.items`, `$..tags`). @default {} (ordered everywhere) */
  arrays: z.record(z.string().startsWith('$', 'JSON paths start with "$"'), arrayRuleSchema).default({}),
  /** How non-JSON bodies compare: `exact` bytes or `normalized` (trimmed, whitespace collapsed). @default exact */
  text: z.enum(['exact', 'normalized']).default('exact'),
  /**
   * Informational difference kinds that count as mismatches for this family (`format`: the same
   * value written another way; `redirect`: different redirect chains to equal final answers).
   * @default [] (both informational)
   */
  blocking: z.array(z.enum(['format', 'redirect'])).default([]),
  /**
   * Value classes the diff recognises in differing values: `uuid`, `ulid`, `timestamp` (RFC 3339 /
   * ISO 8601 / HTTP dates, compared as instants), `epoch` (seconds or milliseconds near the
   * request time), `hex` (≥ 16 hex digits), `base64` (≥ 20 characters, mixed case and digits),
   * `jwt`, `serial` (the id each side gives the record a POST creates: two positive integers at an
   * id key such as `id` or `hold_id`, legacy's not in the request, and the same pair wherever
   * the answer refers to that record). The same instant in
   * another format is a `format` difference; where a request cannot be resampled on legacy (unsafe
   * methods, contract runs, a route's first samples), two different values of one class at the
   * same place are noise (`serial` on POSTs only). `[]` switches all of this off.
   * @default ["uuid","ulid","timestamp","epoch","hex","base64","jwt","serial"]
   */
  valueClasses: z
    .array(z.enum(['uuid', 'ulid', 'timestamp', 'epoch', 'hex', 'base64', 'jwt', 'serial']))
    .default(['uuid', 'ulid', 'timestamp', 'epoch', 'hex', 'base64', 'jwt', 'serial']),
  /**
   * Gap between the two legacy samples of a safe contract case (noise learning), ms: long enough
   * for second-resolution timestamps to tick, so they are learned as noise.
   * @default 1100
   */
  resampleGapMs: z.number().int().min(0).max(60_000).default(1100),
  /** Per-route latency in contract runs: each safe case is timed on both sides and judged per route. */
  latency: contractLatencySchema.default(contractLatencySchema.parse({})),
  /**
   * JSON paths whose value may differ but must exist on both sides with the same JSON type
   * (null, boolean, number, string, array, object): a generated token, a count that moves.
   * Absent on one side, or another type, is still a difference. @default []
   */
  present: z.array(z.string().startsWith('$', 'JSON paths start with "$"')).default([]),
  /**
   * JSON paths compared by shape only: the same JSON type at the path and, inside objects and
   * arrays, the same keys with the same types (array lengths may differ; items are compared by
   * type pairwise). @default []
   */
  type: z.array(z.string().startsWith('$', 'JSON paths start with "$"')).default([]),
  /**
   * JSON paths holding timestamps whose format is known to have changed: the same instant written
   * another way (`+00:00` vs `Z`, another precision of zeros) is equal, not even informational,
   * and so is one within `timestampTolerance`. Instants further apart still differ. @default []
   */
  format: z.array(z.string().startsWith('$', 'JSON paths start with "$"')).default([]),
  /**
   * Status codes that compare equal: legacy's status → new's (or a list of them), for an intended
   * change such as `{ 200: 201 }` on a create or `{ 200: 204 }` on a delete. Usually set per route
   * in `routeDiff`. @default {}
   */
  status: z
    .record(
      z.string().regex(/^[1-5]\d\d$/, 'expected an HTTP status such as 200 as the key'),
      z.union([httpStatus, z.array(httpStatus).min(1)]),
    )
    .default({}),
  /** Learn noise by asking legacy twice for a share of sampled safe requests. @default true */
  learnNoise: z.boolean().default(true),
  /** Share of sampled safe requests sent to legacy a second time to learn noise. @default 0.1 */
  noiseSampleRate: ratio.default(0.1),
});
export type DiffRules = z.infer<typeof diffRulesSchema>;
export type DiffRulesInput = z.input<typeof diffRulesSchema>;

type DiffShape = typeof diffRulesSchema.shape;
type OverrideShape = {
  [K in keyof DiffShape]: z.ZodOptional<DiffShape[K] extends z.ZodDefault<infer T> ? T : DiffShape[K]>;
};

/**
 * Per-route rule overrides (and the plan-level defaults); any field given replaces the family's
 * value. Fields take no defaults here, so a field left out keeps what the family (or plan) says.
 */
export const diffOverrideSchema = z.strictObject(
  Object.fromEntries(
    Object.entries(diffRulesSchema.shape).map(([k, v]) => [k, (v instanceof z.ZodDefault ? v.unwrap() : v).optional()]),
  ) as unknown as OverrideShape,
);
