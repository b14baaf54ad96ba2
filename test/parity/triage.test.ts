import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { EvidenceParityGate } from '../../src/parity/gates.js';
import { evaluateParityEvidence } from '../../src/parity/parity-evidence.js';
import { signatureOf } from '../../src/parity/signature.js';
import { FamilyStats } from '../../src/parity/stats.js';
import type { Difference } from '../../src/parity/types.js';

const gate: EvidenceParityGate = {
  minSamples: 50,
  maxMismatchRate: 0.01,
  maxP95Ratio: 3,
  confidence: 0.95,
  latency: { maxShiftMs: 25, minSamples: 20 },
};
const CREATE = 'POST /api/things';
const READ = 'GET /api/things/:id';
const status: Difference = { path: '$status', kind: 'status', legacy: 200, candidate: 201 };
const extraId = (i: number): Difference => ({ path: '$.id', kind: 'extra', candidate: i });
const removed: Difference = { path: '$.items[2].name', kind: 'missing', legacy: 'x' };

function feed(st: FamilyStats, n: number, diffs: (i: number) => Difference[], route = CREATE, from = 0): void {
  for (let i = from; i < from + n; i++) {
    const differences = diffs(i);
    st.recordComparison(
      route,
      { equal: differences.length === 0, differences, noisy: false, requestId: `req-${i}` },
      20 + (i % 5),
      20 + (i % 5),
      1000 + i,
    );
  }
}

/** 400 comparisons with identical answers, READ 150 ms slower on new and CREATE as fast on both. */
function withSlowRead(): FamilyStats {
  const st = new FamilyStats(0);
  for (let i = 0; i < 400; i++) {
    const slow = i % 2 === 0;
    st.recordComparison(
      slow ? READ : CREATE,
      { equal: true, differences: [], noisy: false, requestId: `req-${i}` },
      20 + (i % 7),
      20 + (i % 7) + (slow ? 150 : 0),
      1000 + i,
    );
  }
  return st;
}

describe('signatures in the family statistics', () => {
  test('group across requests with counts, first/last seen and a few example request ids', () => {
    const st = new FamilyStats(0);
    feed(st, 10, (i) => [status, extraId(i)]);
    feed(st, 4, () => [removed], READ, 10);
    const list = st.signatureCounts();
    assert.deepEqual(
      list.map((s) => [s.text, s.count]),
      [
        ['POST /api/things $.id extra', 10],
        ['POST /api/things status 200→201', 10],
        ['GET /api/things/:id $.items[*].name missing', 4],
      ],
    );
    const extra = list[0]!;
    assert.equal(extra.firstSeen, 1000);
    assert.equal(extra.lastSeen, 1009);
    assert.deepEqual(
      extra.examples.map((e) => [e.requestId, e.candidate]),
      [
        ['req-0', 0],
        ['req-1', 1],
        ['req-2', 2],
      ],
    );
    assert.equal(extra.decision, undefined);
    assert.equal(st.snapshot(2000).parity.triage?.untriaged, 3);
  });

  test('untriaged intended changes keep the gate failing; accepting them lets it pass with accepted counts', () => {
    const st = new FamilyStats(0);
    feed(st, 300, (i) => [status, extraId(i)]);
    const before = evaluateParityEvidence(st.snapshot(5000), gate);
    assert.equal(before.outcome, 'fail');
    assert.equal(before.mismatch.events, 300);

    st.setTriage([
      { id: signatureOf(CREATE, status).id, decision: 'accept' },
      { id: signatureOf(CREATE, extraId(0)).id, decision: 'accept' },
    ]);
    st.reset(5000);
    feed(st, 300, (i) => [status, extraId(i)]);
    const s = st.snapshot(9000);
    assert.equal(s.parity.mismatches, 0);
    assert.equal(s.parity.accepted, 300);
    assert.equal(s.parity.triage?.untriaged, 0);
    assert.equal(evaluateParityEvidence(s, gate).outcome, 'pass');
  });

  test('noise is ignored for that signature only; a new signature waits for triage and counts', () => {
    const st = new FamilyStats(0);
    st.setTriage([{ id: signatureOf(CREATE, extraId(0)).id, decision: 'noise' }]);
    feed(st, 300, (i) => [extraId(i)]);
    feed(st, 1, () => [extraId(1), status], CREATE, 300);
    const s = st.snapshot(9000);
    assert.equal(s.parity.ignored, 300);
    assert.equal(s.parity.mismatches, 1);
    assert.deepEqual(
      s.parity.topPaths.map((p) => p.path),
      ['$status'],
    );
    assert.equal(s.parity.triage?.untriaged, 1);
    const v = evaluateParityEvidence(s, gate);
    assert.equal(v.outcome, 'insufficient');
    assert.match(v.reasons.join('; '), /1 difference signature waits for triage/);
  });

  test('a blocked signature seen once fails the gate by name', () => {
    const st = new FamilyStats(0);
    const sig = signatureOf(READ, removed);
    st.setTriage([{ id: sig.id, decision: 'block' }]);
    feed(st, 400, () => [], READ);
    feed(st, 1, () => [removed], READ, 400);
    const v = evaluateParityEvidence(st.snapshot(9000), gate);
    assert.equal(v.outcome, 'fail');
    assert.ok(
      v.reasons.some((r) => r.includes(sig.id) && r.includes('$.items[*].name missing')),
      v.reasons.join('; '),
    );
  });

  test('decisions outlive a reset; counts do not', () => {
    const st = new FamilyStats(0);
    st.setTriage([{ id: signatureOf(CREATE, status).id, decision: 'accept' }]);
    feed(st, 5, () => [status]);
    st.reset(100);
    assert.deepEqual(st.signatureCounts(), []);
    feed(st, 5, () => [status]);
    assert.equal(st.signatureCounts()[0]?.decision, 'accept');
    assert.equal(st.snapshot(200).parity.accepted, 5);
  });

  test('a slow route is a latency signature: untriaged it fails the gate, accepted the gate passes', () => {
    const st = withSlowRead();
    const before = evaluateParityEvidence(st.snapshot(9000), gate);
    assert.equal(before.outcome, 'fail');
    const latency = st.signatureCounts().find((s) => s.kind === 'latency');
    assert.ok(latency, JSON.stringify(st.signatureCounts()));
    assert.equal(latency.text, `${READ} latency`);
    assert.equal(latency.decision, undefined);
    assert.match(latency.examples[0]!.candidate as string, /^\d+(\.\d+)? ms$/);
    assert.ok(before.reasons.some((r) => r.includes(`on ${READ}`) && r.includes(`signature ${latency.id}`)));
    assert.equal(st.snapshot(9000).parity.triage?.untriaged, 1);

    st.setTriage([{ id: latency.id, decision: 'accept' }]);
    const after = evaluateParityEvidence(st.snapshot(9500), gate);
    assert.equal(after.outcome, 'pass', after.reasons.join('; '));
    assert.deepEqual(after.slowRoutes, []);
    // The family's compared latency leaves the accepted route out, so it passes too.
    assert.equal(after.latency.outcome, 'pass');
    assert.equal(st.signatureCounts().find((s) => s.id === latency.id)?.decision, 'accept');

    st.setTriage([{ id: latency.id, decision: 'block' }]);
    const blocked = evaluateParityEvidence(st.snapshot(9600), gate);
    assert.equal(blocked.outcome, 'fail');
    assert.ok(
      blocked.reasons.some((r) => r.includes(`blocked signature ${latency.id}`)),
      blocked.reasons.join('; '),
    );
  });

  test('the routes whose comparisons are recorded with a latency difference: flagged, not accepted or noise', () => {
    const st = withSlowRead();
    const [slow, ...others] = st.slowRoutes();
    assert.deepEqual(others, [], 'the route as fast on both is not slow');
    assert.equal(slow?.route, READ);
    assert.ok(slow.new.p50! - slow.legacy.p50! > 140, JSON.stringify(slow));
    assert.ok(slow.shiftMs! > 140 && slow.pValue < 0.05, JSON.stringify(slow));
    const id = st.signatureCounts().find((s) => s.kind === 'latency')!.id;
    assert.equal(slow.signature, id);
    assert.equal(st.snapshot(9000).parity.mismatches, 0, 'a slow route adds no mismatch');

    st.setTriage([{ id, decision: 'block' }]);
    assert.deepEqual(
      st.slowRoutes().map((r) => r.route),
      [READ],
      'blocked: still recorded',
    );
    for (const decision of ['accept', 'noise'] as const) {
      st.setTriage([{ id, decision }]);
      assert.deepEqual(st.slowRoutes(), [], `${decision}: no longer recorded`);
    }
    st.reset(10_000);
    st.setTriage([]);
    assert.deepEqual(st.slowRoutes(), [], 'a new window starts with no slow route');
  });
});
