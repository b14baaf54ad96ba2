import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { EvidenceParityGate } from '../../src/parity/gates.js';
import { evaluateParityEvidence } from '../../src/parity/parity-evidence.js';
import { FamilyStats } from '../../src/parity/stats.js';

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
