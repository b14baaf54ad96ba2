import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FamilyStats } from '../../src/parity/stats.js';
import type { EvidenceSlo } from '../../src/parity/gates.js';
import { evaluateParityEvidence } from '../../src/parity/parity-evidence.js';
import { evaluateStep } from '../../src/parity/step-evidence.js';
import { compareJson, compileRules } from '../../src/parity/diff.js';
import {
  emptyHistory,
  HISTORY_PATHS,
  HISTORY_POINTS,
  recordParity,
  recordStep,
} from '../../src/workflows/evidence-history.js';

const slo: EvidenceSlo = {
  maxErrorRate: 0.01,
  maxP95Ratio: 1.5,
  maxMismatchRate: 0.01,
  minRequests: 10,
  minUsers: 1,
  confidence: 0.95,
  latency: { maxShiftMs: 25, minSamples: 5 },
};

/** A window with `legacy` and `fresh` client requests, 1 ms apart, and `mismatching` of 40 comparisons. */
const plain = compileRules({});

function window(legacy: number, fresh: number, mismatching: number): FamilyStats {
  const s = new FamilyStats(0);
  for (let i = 1; i <= legacy; i++) s.recordRequest('legacy', i, false, 0);
  for (let i = 1; i <= fresh; i++) s.recordRequest('new', 2 * i, false, 0);
  for (let i = 0; i < 40; i++) {
    const legacyBody = { id: i, total: 10 };
    const candidate = i < mismatching ? { id: i, total: '10' } : legacyBody;
    const { differences } = compareJson(legacyBody, candidate, plain);
    s.recordComparison('GET /orders/:id', { equal: differences.length === 0, differences, noisy: false }, 5, 6);
  }
  return s;
}

test('a step analysis keeps the split, the mismatch bounds and both latency quantiles', () => {
  const h = emptyHistory();
  const snap = window(75, 25, 4).snapshot(1000);
  const v = evaluateStep(snap, slo, 25);
  recordStep(h, snap, v, 25, 1000);
  const [p] = h.steps;
  assert.ok(p);
  assert.deepEqual([p.t, p.percent, p.newRequests, p.totalRequests], [1000, 25, 25, 100]);
  assert.equal(p.comparisons, 40);
  assert.equal(p.mismatchRate, 0.1);
  assert.ok(
    p.mismatchLower! < 0.1 && p.mismatchUpper! > 0.1,
    `bounds around 10%: ${p.mismatchLower}–${p.mismatchUpper}`,
  );
  assert.equal(p.outcome, 'fail');
  assert.equal(p.legacy.n, 75);
  assert.equal(p.new.n, 25);
  // Quantiles from the router's histogram (1% buckets): legacy 1..75 ms, new 2..50 ms.
  assert.ok(Math.abs(p.legacy.p50! - 38) <= 1, `legacy p50 ${p.legacy.p50}`);
  assert.ok(Math.abs(p.legacy.p90! - 68) <= 1, `legacy p90 ${p.legacy.p90}`);
  assert.ok(Math.abs(p.new.p99! - 50) <= 1, `new p99 ${p.new.p99}`);
  assert.ok(p.legacy.p50! < p.legacy.p90! && p.legacy.p90! < p.legacy.p95! && p.legacy.p95! <= p.legacy.p99!);
  assert.deepEqual(h.topPaths, [{ path: '$.total', kind: 'type', route: 'GET /orders/:id', count: 4 }]);
  assert.equal(h.pathsAt, 1000);
});

test('a parity evaluation keeps samples, mismatch bounds and compared p95s', () => {
  const h = emptyHistory();
  const snap = window(0, 0, 0).snapshot(5);
  const v = evaluateParityEvidence(snap, {
    minSamples: 20,
    maxMismatchRate: 0.1,
    maxP95Ratio: 1.5,
    confidence: 0.95,
    latency: { maxShiftMs: 25, minSamples: 5 },
  });
  recordParity(h, snap, v, 5);
  assert.deepEqual(h.parity[0], {
    t: 5,
    samples: 40,
    mismatchRate: 0,
    mismatchLower: 0,
    mismatchUpper: Math.round(v.mismatch.upper * 1e6) / 1e6,
    legacyP95: v.legacyP95,
    newP95: v.newP95,
    outcome: v.outcome,
  });
  assert.ok(v.mismatch.upper > 0 && v.mismatch.upper < 0.1);
  // A clean window leaves the last differing paths in place.
  h.topPaths = [{ path: '$.x', kind: 'value', route: 'GET /', count: 2 }];
  recordParity(h, snap, v, 6);
  assert.equal(h.topPaths[0]!.path, '$.x');
});

test('the lists stay bounded: the oldest points go first and are counted', () => {
  const h = emptyHistory();
  const snap = window(10, 10, 0).snapshot(0);
  const v = evaluateStep(snap, slo, 50);
  for (let t = 0; t < HISTORY_POINTS + 30; t++) recordStep(h, snap, v, 50, t);
  assert.equal(h.steps.length, HISTORY_POINTS);
  assert.equal(h.dropped.steps, 30);
  assert.equal(h.steps[0]!.t, 30);
  assert.equal(h.steps.at(-1)!.t, HISTORY_POINTS + 29);
  assert.equal(h.dropped.parity, 0);
  // Numbers and a few short words only: the whole history fits in a small query payload.
  const bytes = JSON.stringify(h).length;
  assert.ok(bytes < 300 * HISTORY_POINTS + 100 * HISTORY_PATHS, `${bytes} bytes`);
});
