/**
 * Where a run resumes: `Stage` names in code, and the wire names continue-as-new has always
 * carried, so a run continued by an older worker resumes where it was.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Stage } from '../../src/workflows/messages.js';
import {
  RESUME_ORDER,
  carryPosition,
  reaches,
  resumePosition,
  type CarriedPosition,
} from '../../src/workflows/resume-point.js';

describe('resume point', () => {
  test('is carried under the names runs continued as new before have', () => {
    const carried = RESUME_ORDER.map((stage) => carryPosition({ stage, stepIndex: 0, bakedMs: 0 }).phase);
    assert.deepEqual(carried, ['contract-gate', 'shadow', 'parity', 'ramp-start', 'ramp', 'decommission']);
  });

  test('a carried position resumes at the same stage, step, time held and approval wait', () => {
    const old: CarriedPosition = {
      phase: 'ramp-start',
      stepIndex: 0,
      bakedMs: 0,
      applied: false,
      approval: { step: 'ramp-start', remainingMs: 5000, reminded: true },
    };
    const p = resumePosition(old);
    assert.equal(p.stage, Stage.AwaitingApproval);
    assert.deepEqual(p.approval, old.approval);
    assert.deepEqual(carryPosition(p), old);
    const ramp = resumePosition({ phase: 'ramp', stepIndex: 2, bakedMs: 1500, applied: true });
    assert.deepEqual(ramp, { stage: Stage.Ramp, stepIndex: 2, bakedMs: 1500, applied: true });
    assert.equal(JSON.stringify(carryPosition(ramp)), '{"phase":"ramp","stepIndex":2,"bakedMs":1500,"applied":true}');
  });

  test('a run re-enters the stages from its resume point on, not the ones before', () => {
    assert.ok(reaches(Stage.ContractGate, Stage.ContractGate));
    assert.ok(reaches(Stage.Decommission, Stage.Parity));
    assert.ok(reaches(Stage.AwaitingApproval, Stage.Parity));
    assert.ok(!reaches(Stage.Parity, Stage.AwaitingApproval));
    assert.ok(!reaches(Stage.ContractGate, Stage.Ramp));
  });
});
