/**
 * Pure judgements over a family's statistics: has shadow parity been reached, and is the current
 * ramp step within its SLOs. Imported by workflow code, so no I/O and no clock.
 */
import type { FamilyStatsSnapshot } from './snapshot.js';
import { percent as pct } from '../lib/format.js';

/** The parity gate's thresholds (the plan's `parity` block). */
export interface ParityGate {
  minSamples: number;
  maxMismatchRate: number;
  maxP95Ratio: number;
}

/** The ramp's SLOs (the plan's `slo` block). */
export interface SloThresholds {
  maxErrorRate: number;
  maxP95Ratio: number;
  maxMismatchRate: number;
  minRequests: number;
}

export interface ParityVerdict {
  /** `no-samples` means no traffic was compared at all, which is never parity. */
  status: 'met' | 'not-met' | 'no-samples' | 'insufficient-samples';
  reasons: string[];
  samples: number;
  mismatchRate: number;
  /** New p95 ÷ legacy p95 over the compared requests; null when either is unknown. */
  p95Ratio: number | null;
  /** p95 of the compared answers, ms; null when unknown. */
  legacyP95: number | null;
  newP95: number | null;
}

export interface SloVerdict {
  breached: boolean;
  /** False while too few new-backend requests were seen to judge rates. */
  judged: boolean;
  reasons: string[];
  newRequests: number;
  errorRate: number;
  p95Ratio: number | null;
  /** p95 per backend on the primary path, ms; null when unknown. */
  legacyP95: number | null;
  newP95: number | null;
  mismatchRate: number;
}

/** Ignore latency ratios when both p95s are this small (ms): timer noise dominates. */
const LATENCY_FLOOR_MS = 5;

/** New p95 ÷ legacy p95, 1 when both are under the timer-noise floor; null when either is unknown. */
export function latencyRatio(candidate: number | null, legacy: number | null): number | null {
  if (candidate === null || legacy === null) return null;
  if (candidate <= LATENCY_FLOOR_MS && legacy <= LATENCY_FLOOR_MS) return 1;
  return candidate / Math.max(legacy, LATENCY_FLOOR_MS);
}

/** The figures every parity verdict carries, whatever it decides. */
export function parityFigures(
  s: FamilyStatsSnapshot,
): Pick<ParityVerdict, 'samples' | 'mismatchRate' | 'p95Ratio' | 'legacyP95' | 'newP95'> {
  const p = s.parity;
  return {
    samples: p.samples,
    mismatchRate: p.mismatchRate,
    p95Ratio: latencyRatio(p.latency.new.p95, p.latency.legacy.p95),
    legacyP95: p.latency.legacy.p95,
    newP95: p.latency.new.p95,
  };
}

/** The figures every ramp-step verdict carries, whatever it decides. */
export function stepFigures(
  s: FamilyStatsSnapshot,
): Pick<SloVerdict, 'newRequests' | 'errorRate' | 'p95Ratio' | 'legacyP95' | 'newP95' | 'mismatchRate'> {
  const n = s.backends.new;
  return {
    newRequests: n.requests,
    errorRate: n.errorRate,
    p95Ratio: latencyRatio(n.p95, s.backends.legacy.p95),
    legacyP95: s.backends.legacy.p95,
    newP95: n.p95,
    mismatchRate: s.parity.mismatchRate,
  };
}

/** Judges the parity gate: enough samples, few enough mismatches, new p95 within the ratio. */
export function evaluateParity(s: FamilyStatsSnapshot, gate: ParityGate): ParityVerdict {
  const p = s.parity;
  const base = parityFigures(s);
  const { p95Ratio } = base;
  if (p.samples === 0) return { status: 'no-samples', reasons: ['no shadow samples yet'], ...base };
  if (p.samples < gate.minSamples) {
    return { status: 'insufficient-samples', reasons: [`${p.samples} of ${gate.minSamples} samples`], ...base };
  }
  const reasons: string[] = [];
  if (p.mismatchRate > gate.maxMismatchRate) {
    const top = p.topPaths[0];
    reasons.push(
      `mismatch rate ${pct(p.mismatchRate)} > ${pct(gate.maxMismatchRate)}` +
        (top ? ` (most often ${top.kind} at ${top.path} on ${top.route})` : ''),
    );
  }
  if (p95Ratio !== null && p95Ratio > gate.maxP95Ratio) {
    reasons.push(
      `new p95 ${p.latency.new.p95} ms is ${p95Ratio.toFixed(2)}× legacy ${p.latency.legacy.p95} ms (max ${gate.maxP95Ratio}×)`,
    );
  }
  return { status: reasons.length ? 'not-met' : 'met', reasons, ...base };
}

/**
 * Judges a ramp step. A tripped guard is always a breach; rates are judged only once the new
 * backend has served `minRequests`, so one early failure cannot roll back a healthy service.
 */
export function evaluateSlo(
  s: FamilyStatsSnapshot,
  slo: SloThresholds,
  guard?: { tripped: boolean; reason?: string | null },
): SloVerdict {
  const n = s.backends.new;
  const figures = stepFigures(s);
  const { p95Ratio } = figures;
  const judged = n.requests >= slo.minRequests;
  const reasons: string[] = [];
  if (guard?.tripped) reasons.push(`router guard tripped: ${guard.reason ?? 'no reason given'}`);
  if (judged) {
    if (n.errorRate > slo.maxErrorRate)
      reasons.push(`new error rate ${pct(n.errorRate)} > ${pct(slo.maxErrorRate)} over ${n.requests} requests`);
    if (p95Ratio !== null && p95Ratio > slo.maxP95Ratio) {
      reasons.push(
        `new p95 ${n.p95} ms is ${p95Ratio.toFixed(2)}× legacy ${s.backends.legacy.p95} ms (max ${slo.maxP95Ratio}×)`,
      );
    }
  }
  if (s.parity.samples >= slo.minRequests && s.parity.mismatchRate > slo.maxMismatchRate) {
    reasons.push(
      `mismatch rate ${pct(s.parity.mismatchRate)} > ${pct(slo.maxMismatchRate)} over ${s.parity.samples} comparisons`,
    );
  }
  return { breached: reasons.length > 0, judged, reasons, ...figures };
}
