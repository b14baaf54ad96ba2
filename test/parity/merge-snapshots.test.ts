import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FamilyStats } from '../../src/parity/stats.js';
import { mergeSnapshots } from '../../src/parity/merge-snapshots.js';
import { mergeRankTests } from '../../src/parity/merge-rank-tests.js';
import { distributionOf, judgeRankTest, rankTest, type Distribution } from '../../src/parity/evidence.js';
import type { Difference } from '../../src/parity/types.js';

const T0 = 1_700_000_000_000;
const ROUTE = 'GET /api/users/:id';
const VALUE: Difference = { path: '$.zip', kind: 'value', legacy: '1', candidate: 1 };
const TOL = { maxShiftMs: 10, minSamples: 20, confidence: 0.95 };

/** A small deterministic spread around `base` ms (no randomness: the tests must give one answer). */
function latency(i: number, base: number): number {
  return base + ((i * 37) % 23) * 0.7;
}

/**
 * Feeds requests `from`..`to` of one scripted stream into `stats`: every 7th fails on new, every
 * 11th comparison differs, new `slowerBy` ms slower.
 */
function feed(stats: FamilyStats, from: number, to: number, slowerBy = 0): void {
  for (let i = from; i < to; i++) {
    stats.recordRequest('legacy', latency(i, 10), i % 13 === 0, T0);
    stats.recordRequest('new', latency(i, 10 + slowerBy), i % 7 === 0, T0);
    stats.recordComparison(
      ROUTE,
      { equal: i % 11 !== 0, differences: i % 11 === 0 ? [VALUE] : [], noisy: i % 5 === 0, replayed: i % 4 === 0 },
      latency(i, 10),
      latency(i, 10 + slowerBy),
      T0 + i,
    );
    stats.recordShadow('sampled');
    stats.recordShadow(i % 9 === 0 ? 'dropped' : 'mirrored');
    if (i % 17 === 0) stats.recordFallback();
    stats.recordBucket(i % 40);
  }
}

test('counts across members add up to what one router seeing all the traffic counts', () => {
  const a = new FamilyStats(T0, TOL);
  const b = new FamilyStats(T0, TOL);
  const all = new FamilyStats(T0, TOL);
  feed(a, 0, 120);
  feed(b, 120, 300);
  feed(all, 0, 300);
  const merged = mergeSnapshots([a.snapshot(T0 + 1000), b.snapshot(T0 + 1000)]);
  const one = all.snapshot(T0 + 1000);
  for (const side of ['legacy', 'new'] as const) {
    assert.equal(merged.backends[side].requests, one.backends[side].requests);
    assert.equal(merged.backends[side].failures, one.backends[side].failures);
    assert.equal(merged.backends[side].errorRate, one.backends[side].errorRate);
  }
  const p = merged.parity;
  assert.deepEqual(
    [p.samples, p.matches, p.mismatches, p.mismatchRate, p.noiseIgnored],
    [one.parity.samples, one.parity.matches, one.parity.mismatches, one.parity.mismatchRate, one.parity.noiseIgnored],
  );
  assert.deepEqual(p.byKind, one.parity.byKind);
  assert.deepEqual(p.replayed, one.parity.replayed);
  assert.deepEqual(
    p.topPaths.map((x) => [x.path, x.kind, x.count]),
    one.parity.topPaths.map((x) => [x.path, x.kind, x.count]),
  );
  assert.deepEqual(
    p.routes.map((r) => [r.route, r.samples, r.mismatches]),
    one.parity.routes.map((r) => [r.route, r.samples, r.mismatches]),
  );
  assert.deepEqual(merged.shadow, one.shadow);
  assert.equal(merged.fallbacks, one.fallbacks);
  assert.deepEqual(
    p.triage?.top.map((s) => [s.id, s.count]),
    one.parity.triage?.top.map((s) => [s.id, s.count]),
  );
  assert.equal(p.triage?.untriaged, one.parity.triage?.untriaged);
});

test("a merged percentile is the largest member's, an upper bound of the fleet's", () => {
  const fast = new FamilyStats(T0, TOL);
  const slow = new FamilyStats(T0, TOL);
  const all = new FamilyStats(T0, TOL);
  for (let i = 0; i < 200; i++) {
    fast.recordRequest('legacy', latency(i, 5), false, T0);
    all.recordRequest('legacy', latency(i, 5), false, T0);
  }
  for (let i = 0; i < 20; i++) {
    slow.recordRequest('legacy', latency(i, 80), false, T0);
    all.recordRequest('legacy', latency(i, 80), false, T0);
  }
  const idle = new FamilyStats(T0, TOL);
  const merged = mergeSnapshots([fast.snapshot(T0), slow.snapshot(T0), idle.snapshot(T0)]).backends.legacy;
  const one = all.snapshot(T0).backends.legacy;
  const members = [fast.snapshot(T0).backends.legacy, slow.snapshot(T0).backends.legacy];
  for (const q of ['p50', 'p90', 'p95', 'p99'] as const) {
    assert.equal(merged[q], Math.max(...members.map((m) => m[q]!)), q);
    assert.ok(merged[q] >= (one[q] ?? Infinity), `${q}: ${merged[q]} ≥ ${one[q]}`);
  }
  assert.equal(mergeSnapshots([idle.snapshot(T0), idle.snapshot(T0)]).backends.new.p99, null);
});

test('a slowdown every member sees fails the merged latency test as it fails the pooled one', () => {
  const a = new FamilyStats(T0, TOL);
  const b = new FamilyStats(T0, TOL);
  const all = new FamilyStats(T0, TOL);
  feed(a, 0, 60, 30);
  feed(b, 60, 150, 30);
  feed(all, 0, 150, 30);
  const merged = mergeSnapshots([a.snapshot(T0), b.snapshot(T0)]);
  const one = all.snapshot(T0);
  for (const [m, o] of [
    [merged.clientLatency, one.clientLatency],
    [merged.parity.latency.test, one.parity.latency.test],
  ] as const) {
    assert.equal(m.nLegacy, o.nLegacy);
    assert.equal(m.nNew, o.nNew);
    assert.equal(judgeRankTest(m, { minN: 20, ...TOL }).outcome, 'fail');
    assert.equal(judgeRankTest(o, { minN: 20, ...TOL }).outcome, 'fail');
    assert.ok(Math.abs(m.shiftMs! - o.shiftMs!) < 1.5, `shift ${m.shiftMs} vs pooled ${o.shiftMs}`);
  }
  assert.equal(merged.parity.routes[0]!.latency.flagged, true);
});

test('members with the same latency on both sides give no evidence of a slowdown', () => {
  const a = new FamilyStats(T0, TOL);
  const b = new FamilyStats(T0, TOL);
  feed(a, 0, 80);
  feed(b, 80, 200);
  const t = mergeSnapshots([a.snapshot(T0), b.snapshot(T0)]).clientLatency;
  assert.ok(t.pValue > 0.05, `p = ${t.pValue}`);
  assert.ok(Math.abs(t.shiftMs!) < 1, `shift ${t.shiftMs}`);
  assert.ok(Math.abs(t.probabilitySlower - 0.5) < 0.05);
});

/** The tie-corrected variance of U, written out from its definition. */
function varianceU(l: Distribution, n: Distribution): number {
  const counts = new Map<number, number>();
  for (const [v, c] of [...l, ...n]) counts.set(v, (counts.get(v) ?? 0) + c);
  const nL = l.reduce((s, [, c]) => s + c, 0);
  const nN = n.reduce((s, [, c]) => s + c, 0);
  const N = nL + nN;
  let ties = 0;
  for (const t of counts.values()) ties += t ** 3 - t;
  return ((nL * nN) / 12) * (N + 1 - ties / (N * (N - 1)));
}

test('combined member tests are the stratified test: U, its mean and its variance add up', () => {
  const l1 = distributionOf([1, 2, 2, 3, 4, 5, 5, 6]);
  const n1 = distributionOf([2, 3, 5, 6, 7, 7, 8]);
  const l2 = distributionOf([10, 11, 11, 12, 14]);
  const n2 = distributionOf([11, 13, 13, 15, 16, 17]);
  const t1 = rankTest(l1, n1);
  const t2 = rankTest(l2, n2);
  const m = mergeRankTests([t1, t2]);
  const u = t1.u + t2.u;
  const mean = (8 * 7 + 5 * 6) / 2;
  const z = (u - mean - 0.5) / Math.sqrt(varianceU(l1, n1) + varianceU(l2, n2));
  assert.equal(m.u, u);
  assert.ok(Math.abs(m.z - z) < 1e-9, `z ${m.z} vs ${z}`);
  assert.equal(m.probabilitySlower, u / (8 * 7 + 5 * 6));
  assert.deepEqual([m.nLegacy, m.nNew], [13, 13]);
});

test('a member that saw only one side adds no evidence, and one test merges to itself', () => {
  const t = rankTest(distributionOf([1, 2, 3, 4]), distributionOf([3, 4, 5, 6]));
  const legacyOnly = rankTest(distributionOf([1, 2, 3]), []);
  assert.deepEqual(mergeRankTests([t, legacyOnly]), t);
  assert.deepEqual(mergeRankTests([t]), t);
  assert.equal(mergeRankTests([legacyOnly, legacyOnly]).pValue, 1);
});

test('the window is the part every member covers, and canary users are the most any member saw', () => {
  const a = new FamilyStats(T0, TOL);
  const b = new FamilyStats(T0 + 500, TOL);
  for (let i = 0; i < 30; i++) a.recordBucket(i);
  for (let i = 10; i < 50; i++) b.recordBucket(i);
  const merged = mergeSnapshots([a.snapshot(T0 + 2000), b.snapshot(T0 + 1900)]);
  assert.equal(merged.since, T0 + 500);
  assert.equal(merged.at, T0 + 1900);
  assert.equal(merged.canary.distinctUsers, 40);
});

test('merging no snapshot is refused', () => {
  assert.throws(() => mergeSnapshots([]), RangeError);
});
