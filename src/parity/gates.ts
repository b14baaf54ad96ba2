/**
 * What the gates that decide on evidence share: their inputs and verdict shapes, a rate judged by
 * its Wilson bounds, and the clauses their reasons are written with. The gates themselves are the
 * parity gate over shadow comparisons (`parity-evidence.ts`) and each ramp step's analysis over
 * the client path (`step-evidence.ts`). Pure: workflow code imports them. `docs/verdicts.md`
 * gives the formulas.
 */
import { judgeRate, normalQuantile, type LatencyVerdict, type Outcome, type RateVerdict } from './evidence.js';
import type { FamilyStatsSnapshot } from './snapshot.js';
import type { TailTest } from './tail-test.js';
import type { ParityGate, ParityVerdict, SloThresholds, SloVerdict } from './thresholds.js';
import { percent as pct } from '../lib/format.js';

/** A latency tolerance as the plan writes it (`parity.latency`, `slo.latency`). */
export interface LatencyPlan {
  maxShiftMs: number;
  minSamples: number;
}

/** The parity gate's thresholds with its evidence settings (the plan's `parity` block). */
export interface EvidenceParityGate extends ParityGate {
  confidence: number;
  latency: LatencyPlan;
}

/** The ramp's SLOs with their evidence settings (the plan's `slo` block). */
export interface EvidenceSlo extends SloThresholds {
  minUsers: number;
  confidence: number;
  latency: LatencyPlan;
}

/** A route whose new side is slower than the tolerance, with evidence. */
export interface SlowRoute {
  route: string;
  /** The route's latency signature, for triage (absent in figures from routers before triage). */
  signature?: string;
  samples: number;
  legacyP50: number | null;
  newP50: number | null;
  shiftMs: number | null;
  pValue: number;
  /** The route's tail test (absent in figures from older routers). */
  tail?: TailTest;
}

/** What the parity gate adds to {@link ParityVerdict}: the outcome and the numbers behind it. */
export interface ParityEvidenceFields {
  outcome: Outcome;
  /** Mismatches among compared requests, judged by their Wilson bounds. */
  mismatch: RateVerdict;
  /** Compared latency (same requests on both), new against legacy. */
  latency: LatencyVerdict;
  /** Routes flagged as a `latency` difference; any one fails the gate. */
  slowRoutes: SlowRoute[];
  /**
   * Of `samples`, those from replayed recorded requests (`parity.replay`), and their mismatches.
   * Absent when nothing was replayed.
   */
  replayed?: { samples: number; mismatches: number };
}
export type ParityEvidence = ParityVerdict & ParityEvidenceFields;

/** The share of client-path requests new served, next to the percent asked for. */
export interface ObservedSplit {
  /** The step's percent, 0–100. */
  target: number;
  /** new ÷ (legacy + new) on the client path, 0–1; null without requests. */
  observed: number | null;
  newRequests: number;
  totalRequests: number;
}

/** What a ramp step's analysis adds to {@link SloVerdict}. */
export interface StepEvidenceFields {
  outcome: Outcome;
  /** New-backend failures, judged by their Wilson bounds. */
  errors: RateVerdict;
  /** Canary shadow mismatches; only a rate above the threshold with evidence counts. */
  mismatch: RateVerdict;
  /** Client path: legacy-served against new-served latency. */
  latency: LatencyVerdict;
  split: ObservedSplit;
  /** Distinct users (sticky keys) seen in canary mode, and the plan's minimum. */
  users: { distinct: number; min: number };
}
export type StepVerdict = SloVerdict & StepEvidenceFields;

/** A p-value in words: "p = 0.031", or "p < 0.0001" where the normal approximation gives 0. */
export function pText(p: number): string {
  return p < 0.0001 ? 'p < 0.0001' : `p = ${p.toPrecision(2)}`;
}

const conf = (c: number): string => `${Math.round(c * 1000) / 10}%`;

/**
 * A rate judged by its Wilson bounds. A threshold of 0 is a rule, not a rate (no bound on a
 * finite sample reaches 0): it passes with no event in at least `minN` observations.
 */
export function judgeThreshold(
  events: number,
  n: number,
  threshold: number,
  confidence: number,
  minN: number,
): RateVerdict {
  const v = judgeRate(events, n, threshold, confidence, minN);
  if (threshold === 0 && events === 0 && n >= minN) return { ...v, outcome: 'pass' };
  return v;
}

/** Observations with no event needed for the upper bound to reach `threshold` (Wilson at 0 events: z²(1−t)/t). */
export function cleanSamplesNeeded(threshold: number, confidence: number, minN: number): number {
  if (threshold <= 0) return minN;
  const z = normalQuantile(confidence);
  return Math.max(minN, Math.ceil((z * z * (1 - threshold)) / threshold));
}

export function describeRate(what: string, v: RateVerdict, unit: string): string {
  return (
    `${what} ${pct(v.observed)} (${v.events} of ${v.n} ${unit}), ${conf(v.confidence)} bounds ` +
    `${pct(v.lower)}–${pct(v.upper)} against ${pct(v.threshold)}`
  );
}

export function describeLatency(v: LatencyVerdict): string {
  return (
    `new is ${v.shiftMs === null ? '—' : `${v.shiftMs} ms`} slower than legacy (Hodges–Lehmann; max ${v.maxShiftMs} ms), ` +
    `${pText(v.pValue)} over ${v.nLegacy}/${v.nNew} requests`
  );
}

/** The most frequent signature nobody decided yet, as a clause for a failure ("; untriaged …"). */
export function untriagedClause(p: FamilyStatsSnapshot['parity']): string {
  const t = p.triage?.top.find((x) => x.decision === undefined);
  return t ? `; most frequent untriaged signature ${t.id}: ${t.text}` : '';
}

/**
 * A regression in the tail: with evidence that new is slower (the rank test's p under its alpha),
 * new's p95 is over `maxRatio` times legacy's **and** more than the latency tolerance
 * (`maxShiftMs`) above it. Without the absolute part, a loaded machine's 2 ms of jitter on 6 ms
 * answers reads as a 1.3× regression.
 */
export function tailSlower(
  latency: LatencyVerdict,
  ratio: number | null,
  maxRatio: number,
  newP95: number | null,
  legacyP95: number | null,
): boolean {
  if (latency.outcome === 'insufficient' || !(latency.pValue < latency.alpha)) return false;
  if (ratio === null || ratio <= maxRatio || newP95 === null || legacyP95 === null) return false;
  return newP95 - legacyP95 > latency.maxShiftMs;
}
