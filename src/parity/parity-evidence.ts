/**
 * The parity gate on evidence, with three outcomes (pass, fail, not enough evidence): the shadow
 * mismatch rate by its Wilson bounds, compared latency by a rank test with its shift, and every
 * route's latency; too little evidence never passes. Pure: workflow code imports it.
 */
import { judgeRankTest } from './evidence.js';
import {
  cleanSamplesNeeded,
  describeLatency,
  describeRate,
  judgeThreshold,
  pText,
  tailSlower,
  untriagedClause,
  type EvidenceParityGate,
  type ParityEvidence,
  type SlowRoute,
} from './gates.js';
import type { FamilyStatsSnapshot } from './snapshot.js';
import { parityFigures } from './thresholds.js';
import { describeTail } from './tail-test.js';
/** Judges the parity gate on evidence: mismatch rate, compared latency and every route's latency. */
export function evaluateParityEvidence(s: FamilyStatsSnapshot, gate: EvidenceParityGate): ParityEvidence {
  const p = s.parity;
  const mismatch = judgeThreshold(p.mismatches, p.samples, gate.maxMismatchRate, gate.confidence, gate.minSamples);
  const latency = judgeRankTest(p.latency.test, {
    minN: gate.latency.minSamples,
    maxShiftMs: gate.latency.maxShiftMs,
    confidence: gate.confidence,
  });
  const figures = parityFigures(s);
  const { p95Ratio } = figures;
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
      ...(r.latency.tail ? { tail: r.latency.tail } : {}),
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
        (r.tail && r.tail.newAbove > 0 ? `; ${describeTail(r.tail)}, ${pText(r.tail.pValue)}` : '') +
        (r.signature ? ` (signature ${r.signature}; \`phoenix parity accept\` it if the slowdown is intended)` : ''),
    );
  const base = {
    ...figures,
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
