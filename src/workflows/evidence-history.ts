/**
 * The evidence over time, for the report's charts: every ramp-step analysis and parity-gate
 * evaluation as a small point, and the most frequent differing paths. The lists are bounded (the
 * oldest points go first, and are counted) so the progress query and continue-as-new stay small.
 * Pure: workflow code calls it with the workflow's clock.
 */
import type { BackendFigures, FamilyStatsSnapshot } from '../parity/snapshot.js';
import type { Outcome } from '../parity/evidence.js';
import type { ParityEvidenceFields, StepEvidenceFields } from '../parity/gates.js';
import type { ParityVerdict, SloVerdict } from '../parity/thresholds.js';

/** Points kept per list; older ones are dropped and counted. */
export const HISTORY_POINTS = 200;
/** Differing paths kept. */
export const HISTORY_PATHS = 10;

/** A backend's latency in one window: requests counted and quantiles in ms (null when unknown). */
export interface LatencyQuantiles {
  n: number;
  p50: number | null;
  p90: number | null;
  p95: number | null;
  p99: number | null;
}

/** One analysis of a ramp step (or of the no-legacy window at 100%). */
export interface StepPoint {
  /** When, epoch ms. */
  t: number;
  /** The step's target percent on new, 0–100. */
  percent: number;
  /** Client-path requests new served, and all client-path requests, in the step's window. */
  newRequests: number;
  totalRequests: number;
  errorRate: number;
  /** Canary comparisons, the mismatch rate and (evidence gates) its confidence bounds. */
  comparisons: number;
  mismatchRate: number;
  mismatchLower?: number;
  mismatchUpper?: number;
  legacy: LatencyQuantiles;
  new: LatencyQuantiles;
  /** Absent for runs judged before evidence gates (`breached` then says fail). */
  outcome?: Outcome;
}

/** One evaluation of the parity gate over shadow comparisons. */
export interface ParityPoint {
  t: number;
  samples: number;
  mismatchRate: number;
  mismatchLower?: number;
  mismatchUpper?: number;
  /** Compared latency (the same requests on both sides), ms. */
  legacyP95: number | null;
  newP95: number | null;
  outcome?: Outcome;
}

/** A differing path with how often it differed in the window it was last seen in. */
export interface HistoryPath {
  path: string;
  kind: string;
  route: string;
  count: number;
}

/** What `MigrationProgress.history` holds. */
export interface EvidenceHistory {
  steps: StepPoint[];
  parity: ParityPoint[];
  /** Points dropped from the front of each list to keep it within {@link HISTORY_POINTS}. */
  dropped: { steps: number; parity: number };
  /** The most frequent differing paths of the last window that had any, most frequent first. */
  topPaths: HistoryPath[];
  /** When `topPaths` was read, epoch ms. */
  pathsAt?: number;
}

/** An empty history. */
export function emptyHistory(): EvidenceHistory {
  return { steps: [], parity: [], dropped: { steps: 0, parity: 0 }, topPaths: [] };
}

/** A rate to six decimals: enough for a chart, and a third of the bytes of a full double. */
const rate = (x: number): number => Math.round(x * 1e6) / 1e6;

function quantiles(b: BackendFigures): LatencyQuantiles {
  return { n: b.requests, p50: b.p50, p90: b.p90 ?? null, p95: b.p95, p99: b.p99 };
}

function push<T>(h: EvidenceHistory, list: 'steps' | 'parity', point: T): void {
  const points = h[list] as T[];
  points.push(point);
  const over = points.length - HISTORY_POINTS;
  if (over > 0) {
    points.splice(0, over);
    h.dropped[list] += over;
  }
}

function keepPaths(h: EvidenceHistory, s: FamilyStatsSnapshot, t: number): void {
  const top = s.parity.topPaths;
  if (top.length === 0) return;
  h.topPaths = top.slice(0, HISTORY_PATHS).map((p) => ({ path: p.path, kind: p.kind, route: p.route, count: p.count }));
  h.pathsAt = t;
}

/** Adds one ramp-step analysis (its figures and verdict) to the history. */
export function recordStep(
  h: EvidenceHistory,
  s: FamilyStatsSnapshot,
  v: SloVerdict & Partial<StepEvidenceFields>,
  percent: number,
  t: number,
): void {
  const legacy = s.backends.legacy;
  const candidate = s.backends.new;
  push<StepPoint>(h, 'steps', {
    t,
    percent,
    newRequests: candidate.requests,
    totalRequests: legacy.requests + candidate.requests,
    errorRate: rate(candidate.errorRate),
    comparisons: s.parity.samples,
    mismatchRate: rate(s.parity.mismatchRate),
    ...(v.mismatch ? { mismatchLower: rate(v.mismatch.lower), mismatchUpper: rate(v.mismatch.upper) } : {}),
    legacy: quantiles(legacy),
    new: quantiles(candidate),
    ...(v.outcome ? { outcome: v.outcome } : {}),
  });
  keepPaths(h, s, t);
}

/** Adds one parity-gate evaluation to the history. */
export function recordParity(
  h: EvidenceHistory,
  s: FamilyStatsSnapshot,
  v: ParityVerdict & Partial<ParityEvidenceFields>,
  t: number,
): void {
  push<ParityPoint>(h, 'parity', {
    t,
    samples: v.samples,
    mismatchRate: rate(v.mismatchRate),
    ...(v.mismatch ? { mismatchLower: rate(v.mismatch.lower), mismatchUpper: rate(v.mismatch.upper) } : {}),
    legacyP95: v.legacyP95,
    newP95: v.newP95,
    ...(v.outcome ? { outcome: v.outcome } : {}),
  });
  keepPaths(h, s, t);
}
