import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { emptySnapshot, type FamilyStatsSnapshot } from '../../src/parity/snapshot.js';
import { evaluateParity, evaluateSlo } from '../../src/parity/thresholds.js';
import { cleanSamplesNeeded, judgeThreshold } from '../../src/parity/gates.js';
import { evaluateParityEvidence } from '../../src/parity/parity-evidence.js';
import { evaluateStep } from '../../src/parity/step-evidence.js';
import { FamilyStats } from '../../src/parity/stats.js';

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
    s.parity.latency = {
      legacy: { p50: legacyP95 / 2, p95: legacyP95 },
      new: { p50: newP95 / 2, p95: newP95 },
      test: s.parity.latency.test,
    };
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

const evidenceGate = {
  minSamples: 60,
  maxMismatchRate: 0.01,
  maxP95Ratio: 1.5,
  confidence: 0.95,
  latency: { maxShiftMs: 25, minSamples: 20 },
};
const evidenceSlo = {
  maxErrorRate: 0.05,
  maxP95Ratio: 3,
  maxMismatchRate: 0.05,
  minRequests: 20,
  minUsers: 20,
  confidence: 0.95,
  latency: { maxShiftMs: 25, minSamples: 20 },
};
const same = { equal: true, differences: [], noisy: false };
const differs = {
  equal: false,
  differences: [{ kind: 'value' as const, path: '$.total', legacy: 3, candidate: 4 }],
  noisy: false,
};

/** Shadow comparisons through the real FamilyStats: `n` pairs, `bad` of them differing. */
function shadowed(n: number, bad: number, legacyMs = (i: number) => 20 + (i % 7), newMs = legacyMs): FamilyStats {
  const st = new FamilyStats(0);
  for (let i = 0; i < n; i++)
    st.recordComparison('GET /api/items/:id', i < bad ? differs : same, legacyMs(i), newMs(i));
  return st;
}

describe('rates judged by their bounds', () => {
  test('0 mismatches of 60 cannot pass a 1% threshold at 95%; about 268 clean samples can', () => {
    assert.equal(judgeThreshold(0, 60, 0.01, 0.95, 1).outcome, 'insufficient');
    assert.ok(Math.abs(judgeThreshold(0, 60, 0.01, 0.95, 1).upper - 0.0431) < 0.0005);
    assert.equal(cleanSamplesNeeded(0.01, 0.95, 20), 268);
    assert.equal(judgeThreshold(0, 268, 0.01, 0.95, 1).outcome, 'pass');
    assert.equal(judgeThreshold(0, 267, 0.01, 0.95, 1).outcome, 'insufficient');
  });

  test('a zero threshold is a rule: no event in at least minN observations passes, one event fails', () => {
    assert.equal(judgeThreshold(0, 19, 0, 0.95, 20).outcome, 'insufficient');
    assert.equal(judgeThreshold(0, 20, 0, 0.95, 20).outcome, 'pass');
    assert.equal(judgeThreshold(1, 20, 0, 0.95, 20).outcome, 'fail');
  });
});

describe('parity gate on evidence', () => {
  test('clean but too few samples is not enough evidence, with the bound and the samples needed', () => {
    const v = evaluateParityEvidence(shadowed(60, 0).snapshot(1), evidenceGate);
    assert.equal(v.outcome, 'insufficient');
    assert.equal(v.status, 'insufficient-samples');
    assert.equal(v.mismatch.n, 60);
    assert.match(v.reasons.join(), /upper|4\.3\d%/);
    assert.match(v.reasons.join(), /about 268 clean samples needed/);
  });

  test('no samples at all is not enough evidence, never parity', () => {
    const v = evaluateParityEvidence(new FamilyStats(0).snapshot(1), evidenceGate);
    assert.equal(v.outcome, 'insufficient');
    assert.equal(v.status, 'no-samples');
  });

  test('enough clean samples with equal latency pass, with the numbers', () => {
    const v = evaluateParityEvidence(shadowed(300, 0).snapshot(1), evidenceGate);
    assert.equal(v.outcome, 'pass', v.reasons.join());
    assert.equal(v.status, 'met');
    assert.ok(v.mismatch.upper <= 0.01);
    assert.equal(v.latency.outcome, 'pass');
    assert.equal(v.latency.nNew, 300);
    assert.equal(v.slowRoutes.length, 0);
  });

  test('a mismatch rate above the threshold with evidence fails and names the path', () => {
    const v = evaluateParityEvidence(shadowed(200, 12).snapshot(1), evidenceGate);
    assert.equal(v.outcome, 'fail');
    assert.ok(v.mismatch.lower > 0.01);
    assert.match(v.reasons[0]!, /6\.00% \(12 of 200 samples\).*value at \$\.total/);
  });

  test('a route slower by more than the tolerance is flagged as a latency difference and fails the gate', () => {
    const st = new FamilyStats(0, { maxShiftMs: 25, minSamples: 20, confidence: 0.95 });
    for (let i = 0; i < 300; i++) {
      st.recordComparison('GET /api/items', same, 20 + (i % 5), 21 + (i % 5));
      st.recordComparison('GET /api/items/:id/history', same, 20 + (i % 5), 170 + (i % 5));
    }
    const s = st.snapshot(1);
    const slow = s.parity.routes.find((r) => r.route === 'GET /api/items/:id/history')!;
    assert.equal(slow.latency.flagged, true);
    assert.ok(Math.abs((slow.latency.test.shiftMs ?? 0) - 150) < 5, `shift ${slow.latency.test.shiftMs}`);
    assert.equal(s.parity.routes.find((r) => r.route === 'GET /api/items')!.latency.flagged, false);
    assert.equal(s.parity.byKind.latency, 300);
    assert.equal(s.parity.mismatches, 0, 'latency is not a body mismatch');
    assert.deepEqual(
      s.parity.topPaths.filter((p) => p.kind === 'latency').map((p) => [p.route, p.path]),
      [['GET /api/items/:id/history', '$latency']],
    );
    const v = evaluateParityEvidence(s, evidenceGate);
    assert.equal(v.outcome, 'fail');
    assert.deepEqual(
      v.slowRoutes.map((r) => r.route),
      ['GET /api/items/:id/history'],
    );
    assert.match(v.reasons.join(), /latency at \$latency on GET \/api\/items\/:id\/history/);
  });

  test('a route slower by less than the tolerance is not flagged', () => {
    const st = new FamilyStats(0, { maxShiftMs: 25, minSamples: 20, confidence: 0.95 });
    for (let i = 0; i < 300; i++) st.recordComparison('GET /api/items', same, 20 + (i % 5), 30 + (i % 5));
    const s = st.snapshot(1);
    assert.equal(s.parity.routes[0]!.latency.flagged, false);
    assert.equal(s.parity.byKind.latency, undefined);
  });
});

describe('ramp step analysis on evidence', () => {
  /** Client-path traffic at a step: legacy and new requests from `users` distinct sticky buckets. */
  function step(o: { legacy: number; fresh: number; failures?: number; users: number; newMs?: number }): FamilyStats {
    const st = new FamilyStats(0);
    for (let i = 0; i < o.legacy; i++) st.recordRequest('legacy', 20 + (i % 7), false, 0);
    for (let i = 0; i < o.fresh; i++) st.recordRequest('new', (o.newMs ?? 20) + (i % 7), i < (o.failures ?? 0), 0);
    for (let u = 0; u < o.users; u++) st.recordBucket(u * 37);
    return st;
  }

  test('enough requests from enough users pass, with the observed split next to the target', () => {
    const v = evaluateStep(step({ legacy: 300, fresh: 100, users: 150 }).snapshot(1), evidenceSlo, 25);
    assert.equal(v.outcome, 'pass', v.reasons.join());
    assert.deepEqual(v.split, { target: 25, observed: 0.25, newRequests: 100, totalRequests: 400 });
    assert.deepEqual(v.users, { distinct: 150, min: 20 });
    assert.ok(v.errors.upper <= 0.05);
  });

  test('one user at 25% is not enough evidence, whatever the requests', () => {
    const v = evaluateStep(step({ legacy: 0, fresh: 400, users: 1 }).snapshot(1), evidenceSlo, 25);
    assert.equal(v.outcome, 'insufficient');
    assert.equal(v.breached, false);
    assert.match(v.reasons[0]!, /not enough traffic at 25%: 1 user \(min 20\); observed split 100\.00% of 400/);
  });

  test('no request on new is not enough evidence', () => {
    const v = evaluateStep(step({ legacy: 400, fresh: 0, users: 1 }).snapshot(1), evidenceSlo, 25);
    assert.equal(v.outcome, 'insufficient');
    assert.match(v.reasons[0]!, /0 requests on new \(min 20\), 1 user \(min 20\); observed split 0\.00% of 400/);
  });

  test('at 100% the number of users does not matter', () => {
    const v = evaluateStep(step({ legacy: 0, fresh: 100, users: 1 }).snapshot(1), evidenceSlo, 100);
    assert.equal(v.outcome, 'pass', v.reasons.join());
  });

  test('an error rate above the threshold with evidence is a breach', () => {
    const v = evaluateStep(step({ legacy: 300, fresh: 100, failures: 15, users: 150 }).snapshot(1), evidenceSlo, 25);
    assert.equal(v.outcome, 'fail');
    assert.equal(v.breached, true);
    assert.ok(v.errors.lower > 0.05);
    assert.match(v.reasons[0]!, /new error rate 15\.00% \(15 of 100 requests\)/);
  });

  test('an error rate near the threshold is not yet evidence either way', () => {
    const v = evaluateStep(step({ legacy: 300, fresh: 40, failures: 2, users: 150 }).snapshot(1), evidenceSlo, 25);
    assert.equal(v.outcome, 'insufficient');
    assert.equal(v.errors.outcome, 'insufficient');
  });

  test('new slower on the client path by more than the tolerance is a breach naming p95', () => {
    const v = evaluateStep(step({ legacy: 300, fresh: 100, users: 150, newMs: 170 }).snapshot(1), evidenceSlo, 25);
    assert.equal(v.outcome, 'fail');
    assert.ok((v.latency.shiftMs ?? 0) > 100);
    assert.match(v.reasons.join(), /p95/);
  });

  test('a tripped guard is a breach at once, with no traffic at all', () => {
    const v = evaluateStep(step({ legacy: 0, fresh: 0, users: 0 }).snapshot(1), evidenceSlo, 25, {
      tripped: true,
      reason: '3 consecutive failures',
    });
    assert.equal(v.outcome, 'fail');
    assert.match(v.reasons[0]!, /guard tripped/);
  });
});
