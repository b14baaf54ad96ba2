import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { emptySnapshot, type FamilyStatsSnapshot } from '../../src/parity/snapshot.js';
import { evaluateParity, evaluateSlo } from '../../src/parity/thresholds.js';

const gate = { minSamples: 100, maxMismatchRate: 0.01, maxP95Ratio: 1.2 };
const slo = { maxErrorRate: 0.01, maxP95Ratio: 1.5, maxMismatchRate: 0.02, minRequests: 20 };

function snapshot(edit: (s: FamilyStatsSnapshot) => void): FamilyStatsSnapshot {
  const s = emptySnapshot(0, 1000);
  edit(s);
  return s;
}

function compared(samples: number, mismatches: number, legacyP95: number, newP95: number): FamilyStatsSnapshot {
  return snapshot((s) => {
    Object.assign(s.parity, {
      samples,
      mismatches,
      matches: samples - mismatches,
      mismatchRate: samples ? mismatches / samples : 0,
    });
    s.parity.latency = { legacy: { p50: legacyP95 / 2, p95: legacyP95 }, new: { p50: newP95 / 2, p95: newP95 } };
  });
}

describe('parity gate', () => {
  test('no traffic is reported as no samples, never as parity', () => {
    const v = evaluateParity(emptySnapshot(0), gate);
    assert.equal(v.status, 'no-samples');
    assert.equal(v.samples, 0);
  });

  test('too few samples wait, however clean they are', () => {
    assert.equal(evaluateParity(compared(99, 0, 20, 20), gate).status, 'insufficient-samples');
  });

  test('met when mismatches and latency are within the plan', () => {
    const v = evaluateParity(compared(200, 2, 40, 44), gate);
    assert.equal(v.status, 'met');
    assert.equal(v.legacyP95, 40);
    assert.equal(v.newP95, 44);
  });

  test('a mismatch rate above the plan is not parity and names the most frequent path', () => {
    const s = compared(200, 10, 40, 40);
    s.parity.topPaths = [{ path: '$.totals.revenue', kind: 'type', count: 10, route: 'GET /api/reports/sales' }];
    const v = evaluateParity(s, gate);
    assert.equal(v.status, 'not-met');
    assert.match(v.reasons[0]!, /5\.00% > 1\.00%.*type at \$\.totals\.revenue/);
  });

  test('a slow new service is not parity', () => {
    const v = evaluateParity(compared(200, 0, 40, 60), gate);
    assert.equal(v.status, 'not-met');
    assert.equal(v.p95Ratio, 1.5);
  });

  test('sub-5 ms latencies are timer noise, not a ratio', () => {
    assert.equal(evaluateParity(compared(200, 0, 1, 4), gate).status, 'met');
  });
});

describe('ramp SLOs', () => {
  function ramped(newRequests: number, failures: number, legacyP95: number, newP95: number): FamilyStatsSnapshot {
    return snapshot((s) => {
      s.backends.legacy = {
        requests: 500,
        failures: 0,
        errorRate: 0,
        p50: legacyP95 / 2,
        p95: legacyP95,
        p99: legacyP95,
      };
      s.backends.new = {
        requests: newRequests,
        failures,
        errorRate: newRequests ? failures / newRequests : 0,
        p50: newP95 / 2,
        p95: newP95,
        p99: newP95,
      };
    });
  }

  test('rates are not judged before minRequests, so one early failure cannot roll back', () => {
    const v = evaluateSlo(ramped(3, 1, 40, 40), slo);
    assert.equal(v.judged, false);
    assert.equal(v.breached, false);
  });

  test('an error rate above the plan is a breach', () => {
    const v = evaluateSlo(ramped(100, 5, 40, 40), slo);
    assert.equal(v.breached, true);
    assert.match(v.reasons.join(), /error rate 5\.00% > 1\.00%/);
  });

  test('a latency jump is a breach with both p95s reported', () => {
    const v = evaluateSlo(ramped(100, 0, 40, 100), slo);
    assert.equal(v.breached, true);
    assert.equal(v.legacyP95, 40);
    assert.equal(v.newP95, 100);
  });

  test('a tripped guard is always a breach', () => {
    const v = evaluateSlo(ramped(0, 0, 40, 40), slo, { tripped: true, reason: '3 consecutive failures' });
    assert.equal(v.breached, true);
    assert.match(v.reasons[0]!, /guard tripped: 3 consecutive failures/);
  });

  test('healthy figures pass', () => {
    assert.equal(evaluateSlo(ramped(100, 0, 40, 45), slo).breached, false);
  });
});
