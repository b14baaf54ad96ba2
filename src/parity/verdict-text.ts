/**
 * Verdicts in words, with their numbers: one line per gate for the progress view, the Temporal
 * UI details, Slack and the report. Pure; accepts verdicts from runs that predate the evidence
 * fields (they render with what they have).
 */
import type { LatencyVerdict, RateVerdict } from './evidence.js';
import { pText, type ParityEvidenceFields, type StepEvidenceFields } from './gates.js';
import type { ParityVerdict, SloVerdict } from './thresholds.js';
import { percent as pct, ratio } from '../lib/format.js';

/** "pass", "fail" or "not enough evidence". */
export function outcomeText(outcome: string | undefined): string {
  return outcome === 'insufficient' ? 'not enough evidence' : (outcome ?? '—');
}

/** A rate with its bounds: "0.00% (0 of 300), 95% bounds 0.00%–0.90% vs ≤ 1.00%". */
export function rateText(v: RateVerdict): string {
  const rule = v.threshold === 0 ? ` (a zero threshold: none in at least ${v.minN})` : '';
  return `${pct(v.observed)} (${v.events} of ${v.n}), ${Math.round(v.confidence * 1000) / 10}% bounds ${pct(v.lower)}–${pct(v.upper)} vs ≤ ${pct(v.threshold)}${rule}`;
}

/** A latency comparison: "shift +0.4 ms (max 25 ms), p = 0.31, n 300/300". */
export function latencyText(v: LatencyVerdict): string {
  const shift = v.shiftMs === null ? '—' : `${v.shiftMs > 0 ? '+' : ''}${v.shiftMs} ms`;
  return `shift ${shift} (max ${v.maxShiftMs} ms), ${pText(v.pValue)}, n ${v.nLegacy}/${v.nNew}`;
}

/** "120 samples", or "120 samples (80 live, 40 replayed)" when some were replayed (`parity.replay`). */
export function samplesText(v: { samples: number; replayed?: { samples: number } | undefined }): string {
  const r = v.replayed?.samples ?? 0;
  return r > 0 ? `${v.samples} samples (${v.samples - r} live, ${r} replayed)` : `${v.samples} samples`;
}

/**
 * The parity gate's replay rounds so far (`parity.replay`): requests handed to the router's
 * shadow comparison, not sent (no slot, legacy failed), recorded requests skipped for want of
 * credentials or captured variables, and where the next round starts in the pool.
 */
export interface ReplayRounds {
  rounds: number;
  submitted: number;
  dropped: number;
  failed: number;
  /** Recorded safe requests left out of the last round's pool (no credential, or a captured value). */
  skipped: number;
  /** Recorded requests fit for replay in the last round: contract cases, captured samples. */
  pool: { contracts: number; samples: number };
  next: number;
}

/** The parity gate's replay rounds so far, in one line (`parity.replay`). */
export function replayText(r: Omit<ReplayRounds, 'next'>): string {
  return (
    `${r.rounds} round${r.rounds === 1 ? '' : 's'}, ${r.submitted} requests replayed from ${r.pool.contracts} contract cases and ${r.pool.samples} samples` +
    `; ${r.dropped} dropped, ${r.failed} failed, ${r.skipped} skipped (credentials or captured values)`
  );
}

/** The parity gate in one line. */
export function parityText(v: ParityVerdict & Partial<ParityEvidenceFields>): string {
  if (!v.outcome || !v.mismatch || !v.latency)
    return `${v.status}, ${v.samples} samples, mismatch ${pct(v.mismatchRate)}, p95 ratio ${ratio(v.p95Ratio)}`;
  const slow = v.slowRoutes?.length
    ? `; ${v.slowRoutes.length} route(s) slower: ${v.slowRoutes.map((r) => r.route).join(', ')}`
    : '';
  const replayed = v.replayed && v.replayed.samples > 0 ? `${samplesText(v)}; ` : '';
  return (
    `${outcomeText(v.outcome)} — ${replayed}mismatch ${rateText(v.mismatch)}; latency ${latencyText(v.latency)}; ` +
    `p95 ${v.legacyP95 ?? '—'} → ${v.newP95 ?? '—'} ms (×${ratio(v.p95Ratio)})${slow}`
  );
}

/** The observed split next to the target: "24.60% of 455 requests on new (target 25%)". */
export function splitText(v: Partial<StepEvidenceFields>): string {
  if (!v.split) return '—';
  return `${v.split.observed === null ? '—' : pct(v.split.observed)} of ${v.split.totalRequests} requests on new (target ${v.split.target}%)`;
}

/** A ramp step's analysis in one line. */
export function stepText(v: SloVerdict & Partial<StepEvidenceFields>): string {
  if (!v.outcome || !v.errors || !v.latency || !v.users)
    return `${v.newRequests} new requests, errors ${pct(v.errorRate)}, p95 ratio ${ratio(v.p95Ratio)}${v.breached ? ' — BREACH' : ''}`;
  return (
    `${outcomeText(v.outcome)} — split ${splitText(v)}, ${v.users.distinct} users` +
    `${v.split && v.split.target > 0 && v.split.target < 100 ? ` (min ${v.users.min})` : ''}; ` +
    `errors ${rateText(v.errors)}; latency ${latencyText(v.latency)}; ` +
    `p95 ${v.legacyP95 ?? '—'} → ${v.newP95 ?? '—'} ms; mismatch ${v.mismatch ? `${pct(v.mismatch.observed)} of ${v.mismatch.n}` : '—'}`
  );
}
