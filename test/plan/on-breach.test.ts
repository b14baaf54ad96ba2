import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { parsePlan, PlanError } from '../../src/plan/index.js';

const plan = (extra: string): string => `version: 1
name: shop
legacy: http://127.0.0.1:5000
approvers: [alice]
families:
  - name: users
    routes: ["GET /api/users/*"]
    new: http://127.0.0.1:8001
${extra}`;

async function problems(text: string): Promise<{ path: string; message: string }[]> {
  try {
    await parsePlan(text, '/tmp/plan.yaml');
  } catch (err) {
    assert.ok(err instanceof PlanError, `expected a PlanError, got ${String(err)}`);
    return err.problems;
  }
  assert.fail('the plan was accepted');
}

describe('onBreach and breachDecision in the plan', () => {
  test('default to rolling back at once, and a one-hour decision that rolls back', async () => {
    const f = (await parsePlan(plan(''), '/tmp/plan.yaml')).families[0]!;
    assert.equal(f.onBreach, 'rollback');
    assert.deepEqual(f.breachDecision, { timeout: 3_600_000, onTimeout: 'rollback' });
  });

  test('hold with a decision that continues after 15 minutes', async () => {
    const f = (
      await parsePlan(
        plan('    onBreach: hold\n    breachDecision: { timeout: 15m, onTimeout: continue }\n'),
        '/tmp/plan.yaml',
      )
    ).families[0]!;
    assert.equal(f.onBreach, 'hold');
    assert.deepEqual(f.breachDecision, { timeout: 900_000, onTimeout: 'continue' });
  });

  test('bad values name the field', async () => {
    const onBreach = await problems(plan('    onBreach: pause\n'));
    assert.ok(
      onBreach.some((p) => p.path.endsWith('onBreach') && /rollback.*hold|hold.*rollback/.test(p.message)),
      JSON.stringify(onBreach),
    );
    const onTimeout = await problems(plan('    breachDecision: { onTimeout: reject }\n'));
    assert.ok(
      onTimeout.some((p) => p.path.endsWith('breachDecision.onTimeout')),
      JSON.stringify(onTimeout),
    );
    const timeout = await problems(plan('    breachDecision: { timeout: soon }\n'));
    assert.ok(
      timeout.some((p) => p.path.endsWith('breachDecision.timeout')),
      JSON.stringify(timeout),
    );
  });
});
