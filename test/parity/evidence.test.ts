import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  distributionOf,
  hodgesLehmann,
  judgeLatency,
  judgeRate,
  normalCdf,
  normalQuantile,
  rankTest,
  wilsonBounds,
} from '../../src/parity/evidence.js';
import { LatencyHistogram } from '../../src/parity/histogram.js';

/** A deterministic pseudo-random sequence (mulberry32), so every run sees the same samples. */
function seeded(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('normal distribution helpers', () => {
  test('quantile and cdf agree with published values', () => {
    assert.ok(Math.abs(normalQuantile(0.95) - 1.6448536) < 1e-6);
    assert.ok(Math.abs(normalQuantile(0.975) - 1.959964) < 1e-6);
    assert.ok(Math.abs(normalQuantile(0.01) + 2.3263479) < 1e-6);
    assert.ok(Math.abs(normalCdf(1.6448536) - 0.95) < 1e-6);
    assert.ok(Math.abs(normalCdf(0) - 0.5) < 1e-7);
    assert.ok(Math.abs(normalCdf(-1.959964) - 0.025) < 1e-6);
  });

  test('a quantile outside (0, 1) is refused', () => {
    assert.throws(() => normalQuantile(1), RangeError);
    assert.throws(() => normalQuantile(0), RangeError);
  });
});

describe('rates are judged on their confidence bounds', () => {
  test('Wilson bounds match the textbook values', () => {
    // 0 of 60 at one-sided 95%: upper = z²/(n+z²) = 2.7055/62.7055.
    const zero = wilsonBounds(0, 60, 0.95);
    assert.ok(Math.abs(zero.upper - 2.7055434 / 62.7055434) < 1e-6);
    assert.equal(zero.lower, 0);
    // 10 of 100 at one-sided 95% (z = 1.645): centre 0.11353, half-width 0.05117, ÷ 1.02706 → [0.0607, 0.1604].
    const ten = wilsonBounds(10, 100, 0.95);
    assert.ok(Math.abs(ten.lower - 0.0607) < 5e-4, String(ten.lower));
    assert.ok(Math.abs(ten.upper - 0.1604) < 5e-4, String(ten.upper));
  });

  test('a clean sample too small to bound the rate under the threshold is not enough evidence', () => {
    assert.equal(judgeRate(0, 60, 0.01, 0.95).outcome, 'insufficient');
    assert.equal(judgeRate(0, 300, 0.01, 0.95).outcome, 'pass');
  });

  test('a rate whose lower bound is above the threshold fails', () => {
    const v = judgeRate(22, 29, 0.02, 0.95);
    assert.equal(v.outcome, 'fail');
    assert.ok(v.lower > 0.02);
  });

  test('fewer observations than the minimum never pass or fail', () => {
    assert.equal(judgeRate(10, 10, 0.01, 0.95, 20).outcome, 'insufficient');
    assert.equal(judgeRate(0, 0, 0.5, 0.95).outcome, 'insufficient');
  });
});

describe('latency is judged by a rank test with an effect size', () => {
  const random = seeded(7);
  const sample = (n: number, base: number, spread: number): number[] =>
    Array.from({ length: n }, () => base + random() * spread);

  test('U counts ties as halves and matches a hand-worked example', () => {
    // new [2, 3, 5] vs legacy [1, 3, 4]: 2 beats 1 → 1; 3 beats 1, ties 3 → 1.5; 5 beats all → 3. U = 5.5.
    const t = rankTest(distributionOf([1, 3, 4]), distributionOf([2, 3, 5]));
    assert.equal(t.u, 5.5);
    assert.equal(t.probabilitySlower, 5.5 / 9);
  });

  test('a 150 ms slowdown is found with a tiny p-value and a shift near 150 ms', () => {
    const legacy = distributionOf(sample(40, 20, 10));
    const slow = distributionOf(sample(40, 170, 10));
    const v = judgeLatency(legacy, slow, { minN: 20, maxShiftMs: 25, confidence: 0.95 });
    assert.equal(v.outcome, 'fail');
    assert.ok(v.pValue < 1e-6, String(v.pValue));
    assert.ok(v.shiftMs !== null && Math.abs(v.shiftMs - 150) < 5, String(v.shiftMs));
  });

  test('two samples from the same distribution pass', () => {
    const v = judgeLatency(distributionOf(sample(200, 20, 10)), distributionOf(sample(200, 20, 10)), {
      minN: 20,
      maxShiftMs: 25,
      confidence: 0.95,
    });
    assert.equal(v.outcome, 'pass');
    assert.ok(Math.abs(v.shiftMs ?? 99) < 2);
  });

  test('a significant but small shift passes: real, but within the tolerance', () => {
    const v = judgeLatency(distributionOf(sample(300, 20, 2)), distributionOf(sample(300, 23, 2)), {
      minN: 20,
      maxShiftMs: 25,
      confidence: 0.95,
    });
    assert.ok(v.pValue < 0.001);
    assert.equal(v.outcome, 'pass');
  });

  test('too few observations on one side is not enough evidence, however slow', () => {
    const v = judgeLatency(distributionOf(sample(5, 20, 1)), distributionOf(sample(100, 500, 1)), {
      minN: 20,
      maxShiftMs: 25,
      confidence: 0.95,
    });
    assert.equal(v.outcome, 'insufficient');
    assert.equal(rankTest([], distributionOf([1])).pValue, 1);
  });

  test('the Hodges–Lehmann shift is the median of pairwise differences', () => {
    // Differences of [1, 2] vs [4, 10]: 3, 2, 9, 8 → median between 3 and 8 (any value there halves the pairs).
    const hl = hodgesLehmann(distributionOf([1, 2]), distributionOf([4, 10]));
    assert.ok(hl !== null && hl >= 3 && hl <= 8, String(hl));
    const odd = hodgesLehmann(distributionOf([0]), distributionOf([1, 5, 100]));
    assert.ok(odd !== null && Math.abs(odd - 5) < 0.01, String(odd));
  });

  test('histogram buckets feed the same test as raw values', () => {
    const a = new LatencyHistogram();
    const b = new LatencyHistogram();
    for (const v of sample(100, 20, 10)) a.record(v);
    for (const v of sample(100, 170, 10)) b.record(v);
    const v = judgeLatency(a.distribution(), b.distribution(), { minN: 20, maxShiftMs: 25, confidence: 0.95 });
    assert.equal(v.outcome, 'fail');
    assert.ok(v.shiftMs !== null && Math.abs(v.shiftMs - 150) < 8);
  });
});
