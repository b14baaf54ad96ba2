import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { EvidenceParityGate } from '../../src/parity/gates.js';
import { evaluateParityEvidence } from '../../src/parity/parity-evidence.js';
import { FamilyStats } from '../../src/parity/stats.js';
import { distributionOf } from '../../src/parity/evidence.js';
import { fisherGreater, mergeTailTests, tailTest } from '../../src/parity/tail-test.js';

const gate: EvidenceParityGate = {
  minSamples: 50,
  maxMismatchRate: 0.01,
  maxP95Ratio: 1.2,
  confidence: 0.95,
  latency: { maxShiftMs: 25, minSamples: 20 },
};

/** 1,000 equal answers; new is 0.5 ms slower throughout and `tailMs` slower on one request in ten. */
function compared(tailMs: number): FamilyStats {
  const st = new FamilyStats(0);
  for (let i = 0; i < 1000; i++) {
    const legacy = 5 + (i % 10) * 0.2;
    const slower = i % 10 === 9 ? tailMs : 0.5;
    st.recordComparison(
      'GET /api/things/:id',
      { equal: true, differences: [], noisy: false, requestId: `req-${i}` },
      legacy,
      legacy + slower,
      1000 + i,
    );
  }
  return st;
}

describe('a slower tail fails the parity gate only when it is slower by more than the tolerance', () => {
  test('3 ms more on a 7 ms p95 is over the ratio but within the tolerance: the gate passes', () => {
    const v = evaluateParityEvidence(compared(3).snapshot(5000), gate);
    assert.ok((v.p95Ratio ?? 0) > gate.maxP95Ratio, `p95 ratio ${v.p95Ratio}`);
    assert.equal(v.outcome, 'pass', v.reasons.join('; '));
  });

  test('150 ms more on the tail fails, naming both p95s', () => {
    const v = evaluateParityEvidence(compared(150).snapshot(5000), gate);
    assert.equal(v.outcome, 'fail');
    assert.ok(
      v.reasons.some((r) => /^new p95 [\d.]+ ms is [\d.]+× legacy [\d.]+ ms \(max 1\.2×\)/.test(r)),
      v.reasons.join('; '),
    );
  });
});

/**
 * `n` equal answers on one route, legacy 8–12 ms; new the same, except `slowShare` of the requests
 * (every k-th) `slowMs` slower: one parameter value, one branch.
 */
function oneRoute(n: number, slowEvery: number, slowMs: number): FamilyStats {
  const st = new FamilyStats(0);
  for (let i = 0; i < n; i++) {
    const legacy = 8 + ((i * 7) % 5);
    const candidate = 8 + ((i * 3) % 5) + (slowEvery > 0 && i % slowEvery === slowEvery - 1 ? slowMs : 0);
    st.recordComparison(
      'GET /api/shipping/eta',
      { equal: true, differences: [], noisy: false, requestId: `req-${i}` },
      legacy,
      candidate,
      1000 + i,
    );
  }
  return st;
}

describe('a route slower on some of its requests only (the tail test)', () => {
  test('one request in four 120 ms slower flags the route though its typical shift is nil, and fails the gate', () => {
    const s = oneRoute(40, 4, 120).snapshot(5000);
    const route = s.parity.routes[0]!;
    assert.ok((route.latency.test.shiftMs ?? 0) < gate.latency.maxShiftMs, `shift ${route.latency.test.shiftMs}`);
    assert.equal(route.latency.flagged, true);
    assert.equal(route.latency.tail?.newAbove, 10);
    assert.equal(route.latency.tail?.legacyAbove, 0);
    const v = evaluateParityEvidence(s, { ...gate, minSamples: 10, maxMismatchRate: 0.05 });
    assert.equal(v.outcome, 'fail');
    assert.ok(
      v.reasons.some((r) =>
        /^latency at \$latency on GET \/api\/shipping\/eta: .*10 of 40 new answers slower than [\d.]+ ms/.test(r),
      ),
      v.reasons.join('; '),
    );
  });

  test('the same answers at the same speed, or one slow answer in fifty, do not flag the route', () => {
    for (const st of [oneRoute(400, 0, 0), oneRoute(400, 50, 120)]) {
      const route = st.snapshot(5000).parity.routes[0]!;
      assert.equal(route.latency.flagged, false, JSON.stringify(route.latency.tail));
    }
  });

  test('a slow tail within the tolerance does not flag the route', () => {
    const route = oneRoute(400, 4, 20).snapshot(5000).parity.routes[0]!;
    assert.equal(route.latency.flagged, false, JSON.stringify(route.latency.tail));
  });

  test("Fisher's exact test gives the hypergeometric tail, and fleet members' counts add up", () => {
    // 10 slow answers, all on new's 40 of 80: C(40,10) / C(80,10).
    assert.equal(fisherGreater(10, 40, 0, 40), Math.round((847660528 / 1646492110120) * 1e6) / 1e6);
    assert.equal(fisherGreater(0, 40, 3, 40), 1);
    assert.ok(fisherGreater(3, 40, 3, 40) > 0.5);
    const one = tailTest(distributionOf([10, 10, 11, 12]), distributionOf([10, 50, 60, 11]), 25);
    const merged = mergeTailTests([one, one]);
    assert.deepEqual([merged.nNew, merged.newAbove, merged.legacyAbove], [8, 4, 0]);
    // Doubled: the better of two thresholds' p-values.
    assert.equal(merged.pValue, Math.round(fisherGreater(4, 8, 0, 8) * 2 * 1e6) / 1e6);
    // A member from before the per-threshold counts adds its one count at both thresholds.
    const { counts: _, ...older } = one;
    const mixed = mergeTailTests([one, older]);
    assert.deepEqual(
      mixed.counts?.map((c) => [c.legacyQuantile, c.newAbove, c.legacyAbove]),
      [
        [0.9, 4, 0],
        [0.975, 4, 0],
      ],
    );
  });
});

test('a burst of slow answers on new that a stall could explain (7 of 56 against 1 of 56, p ≈ 0.03 at one threshold) does not flag a route', () => {
  const st = new FamilyStats(0);
  for (let i = 0; i < 56; i++) {
    const legacy = 8 + (i % 5) + (i === 40 ? 60 : 0);
    const candidate = 8 + ((i * 3) % 5) + (i >= 20 && i < 27 ? 60 : 0);
    st.recordComparison(
      'GET /api/tariffs',
      { equal: true, differences: [], noisy: false, requestId: `req-${i}` },
      legacy,
      candidate,
      1000 + i,
    );
  }
  const route = st.snapshot(5000).parity.routes[0]!;
  assert.deepEqual([route.latency.tail?.newAbove, route.latency.tail?.legacyAbove], [7, 1]);
  assert.ok(route.latency.tail!.pValue < 0.1 && route.latency.tail!.pValue > 0.01, `p ${route.latency.tail?.pValue}`);
  assert.equal(route.latency.flagged, false);
});

test('every answer of new 20 ms slower and more spread out (a loaded machine) is the rank test’s to judge, not a slow tail', () => {
  const st = new FamilyStats(0);
  for (let i = 0; i < 80; i++) {
    const legacy = 8 + (i % 5);
    const candidate = 28 + ((i * 3) % 5) + (i % 3 === 0 ? 15 : 0);
    st.recordComparison(
      'GET /api/search',
      { equal: true, differences: [], noisy: false, requestId: `req-${i}` },
      legacy,
      candidate,
      1000 + i,
    );
  }
  const route = st.snapshot(5000).parity.routes[0]!;
  assert.ok((route.latency.test.shiftMs ?? 0) < gate.latency.maxShiftMs, `shift ${route.latency.test.shiftMs}`);
  assert.equal(route.latency.tail?.newAbove, 0, JSON.stringify(route.latency.tail));
  assert.equal(route.latency.flagged, false);
});

test("legacy's own slow answers on a loaded machine (2 of 40 past p90 + tolerance) do not hide one request in four 120 ms slower", () => {
  const st = new FamilyStats(0);
  for (let i = 0; i < 40; i++) {
    const legacy = 8 + (i % 5) + (i === 13 ? 42 : i === 29 ? 47 : 0);
    const candidate = 8 + ((i * 3) % 5) + (i % 4 === 3 ? 120 : 0);
    st.recordComparison(
      'GET /api/greenhouses/:id/forecast',
      { equal: true, differences: [], noisy: false, requestId: `req-${i}` },
      legacy,
      candidate,
      1000 + i,
    );
  }
  const tail = st.snapshot(5000).parity.routes[0]!.latency.tail!;
  // Past legacy's p90 + 25 ms, 10 of 40 against 2 of 40 is p ≈ 0.013: short of the tail test's level.
  assert.deepEqual(
    tail.counts?.map((c) => [c.legacyQuantile, c.newAbove, c.legacyAbove]),
    [
      [0.9, 10, 2],
      [0.975, 10, 0],
    ],
  );
  assert.equal(tail.legacyQuantile, 0.975);
  assert.ok(tail.pValue < 0.01, `p ${tail.pValue}`);
  assert.equal(st.snapshot(5000).parity.routes[0]!.latency.flagged, true);
});
