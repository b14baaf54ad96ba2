/**
 * The gates that decide on evidence, with three outcomes (pass, fail, not enough evidence): the
 * parity gate over shadow comparisons and each ramp step's analysis over the client path. Rates
 * are judged by their Wilson bounds, latency by a rank test with its shift; too little evidence
 * never passes. Pure: workflow code imports it. `docs/verdicts.md` gives the formulas.
 */
import {
  judgeRankTest,
  judgeRate,
  normalQuantile,
  type LatencyVerdict,
  type Outcome,
  type RateVerdict,
} from './evidence.js';
import type { FamilyStatsSnapshot } from './snapshot.js';
import {
  latencyRatio,
  type ParityGate,
  type ParityVerdict,
  type SloThresholds,
  type SloVerdict,
} from './thresholds.js';
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

function describeRate(what: string, v: RateVerdict, unit: string): string {
  return (
    `${what} ${pct(v.observed)} (${v.events} of ${v.n} ${unit}), ${conf(v.confidence)} bounds ` +
    `${pct(v.lower)}–${pct(v.upper)} against ${pct(v.threshold)}`
  );
}

function describeLatency(v: LatencyVerdict): string {
  return (
    `new is ${v.shiftMs === null ? '—' : `${v.shiftMs} ms`} slower than legacy (Hodges–Lehmann; max ${v.maxShiftMs} ms), ` +
    `${pText(v.pValue)} over ${v.nLegacy}/${v.nNew} requests`
  );
}

/** The most frequent signature nobody decided yet, as a clause for a failure ("; untriaged …"). */
function untriagedClause(p: FamilyStatsSnapshot['parity']): string {
  const t = p.triage?.top.find((x) => x.decision === undefined);
  return t ? `; most frequent untriaged signature ${t.id}: ${t.text}` : '';
}

/**
 * A regression in the tail: with evidence that new is slower (the rank test's p under its alpha),
 * new's p95 is over `maxRatio` times legacy's **and** more than the latency tolerance
 * (`maxShiftMs`) above it. Without the absolute part, a loaded machine's 2 ms of jitter on 6 ms
 * answers reads as a 1.3× regression.
 */
function tailSlower(
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

/** Judges the parity gate on evidence: mismatch rate, compared latency and every route's latency. */
export function evaluateParityEvidence(s: FamilyStatsSnapshot, gate: EvidenceParityGate): ParityEvidence {
  const p = s.parity;
  const mismatch = judgeThreshold(p.mismatches, p.samples, gate.maxMismatchRate, gate.confidence, gate.minSamples);
  const latency = judgeRankTest(p.latency.test, {
    minN: gate.latency.minSamples,
    maxShiftMs: gate.latency.maxShiftMs,
    confidence: gate.confidence,
  });
  const p95Ratio = latencyRatio(p.latency.new.p95, p.latency.legacy.p95);
  // A slowdown accepted (or called noise) in triage is intended: it does not fail the gate.
  const slowRoutes: SlowRoute[] = p.routes
    .filter((r) => r.latency.flagged && r.latency.decision !== 'accept' && r.latency.decision !== 'noise')
    .map((r) => ({
      route: r.route,
      signature: r.latency.signature,
      samples: r.samples,
      legacyP50: r.latency.legacy.p50,
      newP50: r.latency.new.p50,
      shiftMs: r.latency.test.shiftMs,
      pValue: r.latency.test.pValue,
    }));
  const failures: string[] = [];
  if (mismatch.outcome === 'fail') {
    const top = p.topPaths.find((t) => t.kind !== 'latency') ?? p.topPaths[0];
    failures.push(
      `${describeRate('mismatch rate', mismatch, 'samples')}` +
        (top ? ` (most often ${top.kind} at ${top.path} on ${top.route})` : '') +
        untriagedClause(p),
    );
  }
  if (latency.outcome === 'fail') failures.push(describeLatency(latency));
  // A blocked signature is a known regression: seen once in the window is enough to fail.
  for (const b of p.triage?.blocked ?? []) failures.push(`blocked signature ${b.id} seen ${b.count}× — ${b.text}`);
  if (tailSlower(latency, p95Ratio, gate.maxP95Ratio, p.latency.new.p95, p.latency.legacy.p95))
    failures.push(
      `new p95 ${p.latency.new.p95} ms is ${p95Ratio!.toFixed(2)}× legacy ${p.latency.legacy.p95} ms (max ${gate.maxP95Ratio}×)`,
    );
  for (const r of slowRoutes)
    failures.push(
      `latency at $latency on ${r.route}: p50 ${r.legacyP50} ms → ${r.newP50} ms, shift ${r.shiftMs} ms, ${pText(r.pValue)}` +
        (r.signature ? ` (signature ${r.signature}; \`phoenix parity accept\` it if the slowdown is intended)` : ''),
    );
  const base = {
    samples: p.samples,
    mismatchRate: p.mismatchRate,
    p95Ratio,
    legacyP95: p.latency.legacy.p95,
    newP95: p.latency.new.p95,
    mismatch,
    latency,
    slowRoutes,
    ...(p.replayed && p.replayed.samples > 0 ? { replayed: { ...p.replayed } } : {}),
  };
  if (failures.length > 0) return { status: 'not-met', outcome: 'fail', reasons: failures, ...base };
  const missing: string[] = [];
  if (p.samples === 0) missing.push('no shadow samples yet');
  else if (mismatch.outcome === 'insufficient') {
    const need = cleanSamplesNeeded(gate.maxMismatchRate, gate.confidence, gate.minSamples);
    missing.push(
      `not enough evidence: ${describeRate('mismatch rate', mismatch, 'samples')}` +
        (mismatch.events === 0 ? `; about ${need} clean samples needed` : ''),
    );
  }
  // Once a team triages, a signature nobody has decided yet holds the gate until someone does,
  // even when it is too rare to move the mismatch rate.
  const waiting = p.triage && p.triage.decided > 0 ? p.triage.untriaged : 0;
  if (waiting > 0)
    missing.push(
      `${waiting} difference signature${waiting === 1 ? '' : 's'} wait${waiting === 1 ? 's' : ''} for triage (phoenix parity diffs)`,
    );
  if (p.samples > 0 && latency.outcome === 'insufficient')
    missing.push(`latency: ${Math.min(latency.nLegacy, latency.nNew)} of ${latency.minN} compared latencies`);
  if (missing.length > 0)
    return {
      status: p.samples === 0 ? 'no-samples' : 'insufficient-samples',
      outcome: 'insufficient',
      reasons: missing,
      ...base,
    };
  return { status: 'met', outcome: 'pass', reasons: [], ...base };
}

/**
 * Judges one analysis of a ramp step. `fail` (a breach: roll back at once) when the guard
 * tripped, or the error rate, the canary mismatch rate or the latency is beyond the plan with
 * evidence. `insufficient` when the step cannot yet pass: fewer than `minRequests` on new, fewer
 * than `minUsers` users at a percent strictly between 0 and 100, an error-rate bound still above
 * the threshold, or (below 100%) too few latencies on a side. Otherwise `pass`.
 */
export function evaluateStep(
  s: FamilyStatsSnapshot,
  slo: EvidenceSlo,
  percent: number,
  guard?: { tripped: boolean; reason?: string | null },
): StepVerdict {
  const n = s.backends.new;
  const legacyN = s.backends.legacy.requests;
  const errors = judgeThreshold(n.failures, n.requests, slo.maxErrorRate, slo.confidence, slo.minRequests);
  const mismatch = judgeThreshold(
    s.parity.mismatches,
    s.parity.samples,
    slo.maxMismatchRate,
    slo.confidence,
    slo.minRequests,
  );
  const latency = judgeRankTest(s.clientLatency, {
    minN: slo.latency.minSamples,
    maxShiftMs: slo.latency.maxShiftMs,
    confidence: slo.confidence,
  });
  const p95Ratio = latencyRatio(n.p95, s.backends.legacy.p95);
  const partial = percent > 0 && percent < 100;
  const total = legacyN + n.requests;
  const split: ObservedSplit = {
    target: percent,
    observed: total === 0 ? null : n.requests / total,
    newRequests: n.requests,
    totalRequests: total,
  };
  const users = { distinct: s.canary.distinctUsers, min: slo.minUsers };

  const failures: string[] = [];
  if (guard?.tripped) failures.push(`router guard tripped: ${guard.reason ?? 'no reason given'}`);
  if (errors.outcome === 'fail') failures.push(describeRate('new error rate', errors, 'requests'));
  if (mismatch.outcome === 'fail')
    failures.push(describeRate('mismatch rate', mismatch, 'comparisons') + untriagedClause(s.parity));
  for (const b of s.parity.triage?.blocked ?? [])
    failures.push(`blocked signature ${b.id} seen ${b.count}× — ${b.text}`);
  if (latency.outcome === 'fail') failures.push(describeLatency(latency));
  if (tailSlower(latency, p95Ratio, slo.maxP95Ratio, n.p95, s.backends.legacy.p95))
    failures.push(
      `new p95 ${n.p95} ms is ${p95Ratio!.toFixed(2)}× legacy ${s.backends.legacy.p95} ms (max ${slo.maxP95Ratio}×)`,
    );

  const missing: string[] = [];
  if (failures.length === 0) {
    const traffic: string[] = [];
    if (n.requests < slo.minRequests) traffic.push(`${n.requests} requests on new (min ${slo.minRequests})`);
    if (partial && users.distinct < users.min)
      traffic.push(`${users.distinct} user${users.distinct === 1 ? '' : 's'} (min ${users.min})`);
    if (traffic.length > 0)
      missing.push(
        `not enough traffic at ${percent}%: ${traffic.join(', ')}; observed split ${split.observed === null ? '—' : pct(split.observed)} of ${total} requests`,
      );
    else if (errors.outcome === 'insufficient') {
      const need = cleanSamplesNeeded(slo.maxErrorRate, slo.confidence, slo.minRequests);
      missing.push(
        `not enough evidence: ${describeRate('new error rate', errors, 'requests')}` +
          (errors.events === 0 ? `; about ${need} requests on new needed` : ''),
      );
    }
    if (partial && latency.outcome === 'insufficient')
      missing.push(`latency: ${latency.nLegacy} legacy and ${latency.nNew} new requests (min ${latency.minN} each)`);
  }
  const outcome: Outcome = failures.length > 0 ? 'fail' : missing.length > 0 ? 'insufficient' : 'pass';
  return {
    outcome,
    breached: outcome === 'fail',
    judged: n.requests >= slo.minRequests,
    reasons: outcome === 'fail' ? failures : missing,
    newRequests: n.requests,
    errorRate: n.errorRate,
    p95Ratio,
    legacyP95: s.backends.legacy.p95,
    newP95: n.p95,
    mismatchRate: s.parity.mismatchRate,
    errors,
    mismatch,
    latency,
    split,
    users,
  };
}
