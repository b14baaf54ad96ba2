/**
 * A ramp step's analysis on evidence, over the client path: the guard, new's error rate, the
 * canary mismatch rate and latency, with enough requests and users on new. Pure: workflow code
 * imports it.
 */
import { percent as pct } from '../lib/format.js';
import { judgeRankTest, type Outcome } from './evidence.js';
import {
  cleanSamplesNeeded,
  describeLatency,
  describeRate,
  judgeThreshold,
  tailSlower,
  untriagedClause,
  type EvidenceSlo,
  type ObservedSplit,
  type StepVerdict,
} from './gates.js';
import type { FamilyStatsSnapshot } from './snapshot.js';
import { stepFigures } from './thresholds.js';
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
  const figures = stepFigures(s);
  const { p95Ratio } = figures;
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
    ...figures,
    errors,
    mismatch,
    latency,
    split,
    users,
  };
}
