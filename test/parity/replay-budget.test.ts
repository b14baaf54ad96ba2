import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { emptyRankTest, judgeRankTest, judgeRate } from '../../src/parity/evidence.js';
import { replayBudget } from '../../src/parity/replay-budget.js';

const gate = { maxMismatchRate: 0, confidence: 0.95, minSamples: 20 };

/** A verdict lacking evidence: `samples` compared (of which `replayed`), `mismatches` differing, latencies on each side. */
function verdict(samples: number, replayed: number, mismatches = 0, latencies = samples) {
  return {
    samples,
    mismatch: judgeRate(mismatches, samples, gate.maxMismatchRate, gate.confidence, gate.minSamples),
    latency: judgeRankTest(
      { ...emptyRankTest(), nLegacy: latencies, nNew: latencies },
      { minN: 10, maxShiftMs: 25, confidence: 0.95 },
    ),
    ...(replayed > 0 ? { replayed: { samples: replayed, mismatches: 0 } } : {}),
  };
}

describe('replay budget', () => {
  test('asks for what the gate lacks, within one poll interval at the plan rate', () => {
    const b = replayBudget(verdict(3, 0), gate, { maxPerSecond: 100, maxShare: 1 }, 300);
    assert.deepEqual(b, { wanted: 17, allowed: Infinity, count: 17 });
    const slow = replayBudget(verdict(3, 0), gate, { maxPerSecond: 5, maxShare: 1 }, 1000);
    assert.equal(slow.count, 5, '5 requests/s for a 1 s poll');
  });

  test('keeps replayed samples within maxShare of the samples the gate counts', () => {
    // 3 live: at 0.5 as many replayed as live, at 0.9 nine times as many.
    assert.equal(replayBudget(verdict(3, 0), gate, { maxPerSecond: 100, maxShare: 0.5 }, 10_000).count, 3);
    assert.equal(replayBudget(verdict(3, 0), gate, { maxPerSecond: 100, maxShare: 0.9 }, 10_000).allowed, 27);
    // 3 live and 3 replayed already: at 0.5 nothing more.
    assert.deepEqual(replayBudget(verdict(6, 3), gate, { maxPerSecond: 100, maxShare: 0.5 }, 10_000).count, 0);
    // No live traffic at all: nothing to replay unless replay alone may reach the sample size.
    assert.equal(replayBudget(verdict(0, 0), gate, { maxPerSecond: 100, maxShare: 0.9 }, 10_000).count, 0);
    assert.equal(replayBudget(verdict(0, 0), gate, { maxPerSecond: 100, maxShare: 1 }, 10_000).count, 20);
  });

  test('latency evidence can be what is lacking', () => {
    const b = replayBudget(verdict(25, 0, 0, 4), gate, { maxPerSecond: 100, maxShare: 1 }, 10_000);
    assert.deepEqual([b.wanted, b.count], [6, 6], '10 latencies per side needed, 4 seen');
  });

  test('with a 1% threshold, the clean samples the Wilson bound needs are wanted (about 268)', () => {
    const g = { maxMismatchRate: 0.01, confidence: 0.95, minSamples: 20 };
    const v = {
      samples: 100,
      mismatch: judgeRate(0, 100, 0.01, 0.95, 20),
      latency: judgeRankTest(
        { ...emptyRankTest(), nLegacy: 100, nNew: 100 },
        { minN: 10, maxShiftMs: 25, confidence: 0.95 },
      ),
    };
    assert.equal(replayBudget(v, g, { maxPerSecond: 1000, maxShare: 1 }, 60_000).wanted, 268 - 100);
  });
});
