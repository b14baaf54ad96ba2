import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { judgeRouteLatency, latencyFinding } from '../../src/contracts/latency.js';

const o = { minN: 5, maxShiftMs: 50, confidence: 0.95 };

describe('per-route latency in contract runs', () => {
  test('a route slower by more than the tolerance, with evidence, fails with a latency difference', () => {
    const v = judgeRouteLatency('GET /api/slow', { legacy: [2, 3, 2.5, 4, 3], new: [152, 153, 151, 155, 152] }, o);
    assert.equal(v.outcome, 'fail');
    assert.equal(v.shiftMs, 149.5);
    assert.deepEqual([v.legacyMedianMs, v.newMedianMs], [3, 152]);
    const f = latencyFinding(v);
    assert.deepEqual(f.difference, { path: '$latency', kind: 'latency', legacy: 3, candidate: 152 });
    assert.match(f.message, /new is slower on GET \/api\/slow: \+149\.5 ms typical .*tolerance 50 ms/);
  });

  test('a slowdown within the tolerance passes, and so does a faster new side', () => {
    assert.equal(judgeRouteLatency('r', { legacy: [2, 3, 2, 3, 2], new: [22, 23, 22, 23, 22] }, o).outcome, 'pass');
    assert.equal(
      judgeRouteLatency('r', { legacy: [200, 210, 205, 201, 209], new: [2, 3, 2, 3, 2] }, o).outcome,
      'pass',
    );
  });

  test('one case of a route in four slower (one parameter value) fails the route by its tail', () => {
    // 32 timings per side: the cases of `zone=intl` take 120 ms more on new, the others do not.
    const legacy = Array.from({ length: 32 }, (_, i) => 10 + (i % 5));
    const slow = Array.from({ length: 32 }, (_, i) => 10 + ((i * 3) % 5) + (i % 4 === 3 ? 120 : 0));
    const v = judgeRouteLatency('GET /api/shipping/eta', { legacy, new: slow }, o);
    assert.equal(v.outcome, 'fail');
    assert.equal(v.tailOnly, true);
    assert.ok((v.shiftMs ?? 0) < o.maxShiftMs, `shift ${v.shiftMs}`);
    assert.match(
      latencyFinding(v).message,
      /new is slower on GET \/api\/shipping\/eta in its tail: 8 of 32 new answers slower than [\d.]+ ms/,
    );
    // The same timings on both sides pass.
    assert.equal(judgeRouteLatency('r', { legacy, new: legacy }, o).outcome, 'pass');
  });

  test('too few timings on a side is insufficient, never a pass or a fail', () => {
    const v = judgeRouteLatency('r', { legacy: [2, 3, 2, 3, 2], new: [300, 300] }, o);
    assert.equal(v.outcome, 'insufficient');
    assert.equal(v.nNew, 2);
  });
});
