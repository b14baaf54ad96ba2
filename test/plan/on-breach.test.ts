import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { parsePlan } from '../../src/plan/index.js';
import { oneFamilyPlan, planProblems } from '../helpers/plan-text.js';

describe('onBreach and breachDecision in the plan', () => {
  test('default to rolling back at once, and a one-hour decision that rolls back', async () => {
    const f = (await parsePlan(oneFamilyPlan(''), '/tmp/plan.yaml')).families[0]!;
    assert.equal(f.onBreach, 'rollback');
    assert.deepEqual(f.breachDecision, { timeout: 3_600_000, onTimeout: 'rollback' });
  });

  test('hold with a decision that continues after 15 minutes', async () => {
    const f = (
      await parsePlan(
        oneFamilyPlan('    onBreach: hold\n    breachDecision: { timeout: 15m, onTimeout: continue }\n'),
        '/tmp/plan.yaml',
      )
    ).families[0]!;
    assert.equal(f.onBreach, 'hold');
    assert.deepEqual(f.breachDecision, { timeout: 900_000, onTimeout: 'continue' });
  });

  test('bad values name the field', async () => {
    const onBreach = await planProblems(oneFamilyPlan('    onBreach: pause\n'));
    assert.ok(
      onBreach.some((p) => p.path.endsWith('onBreach') && /rollback.*hold|hold.*rollback/.test(p.message)),
      JSON.stringify(onBreach),
    );
    const onTimeout = await planProblems(oneFamilyPlan('    breachDecision: { onTimeout: reject }\n'));
    assert.ok(
      onTimeout.some((p) => p.path.endsWith('breachDecision.onTimeout')),
      JSON.stringify(onTimeout),
    );
    const timeout = await planProblems(oneFamilyPlan('    breachDecision: { timeout: soon }\n'));
    assert.ok(
      timeout.some((p) => p.path.endsWith('breachDecision.timeout')),
      JSON.stringify(timeout),
    );
  });
});
