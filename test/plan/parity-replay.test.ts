import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { parsePlan, PlanError } from '../../src/plan/index.js';

const plan = (parity: string): string => `version: 1
name: shop
legacy: http://127.0.0.1:5000
approvers: [alice]
families:
  - name: users
    routes: ["GET /api/users/*"]
    new: http://127.0.0.1:8001
${parity}`;

async function problems(text: string): Promise<{ path: string; message: string }[]> {
  try {
    await parsePlan(text, '/tmp/plan.yaml');
  } catch (err) {
    assert.ok(err instanceof PlanError, `expected a PlanError, got ${String(err)}`);
    return err.problems;
  }
  assert.fail('the plan was accepted');
}

describe('parity.replay in the plan', () => {
  test('is off unless the plan sets it', async () => {
    const p = await parsePlan(plan(''), '/tmp/plan.yaml');
    assert.equal(p.families[0]!.parity.replay, undefined);
  });

  test('an empty block gets every default', async () => {
    const p = await parsePlan(plan('    parity: { replay: {} }\n'), '/tmp/plan.yaml');
    assert.deepEqual(p.families[0]!.parity.replay, {
      from: ['contracts', 'samples'],
      after: 300_000,
      maxPerSecond: 5,
      maxShare: 0.5,
    });
  });

  test('durations, sources and ratios are read as written', async () => {
    const p = await parsePlan(
      plan('    parity: { replay: { from: [samples], after: 90s, maxPerSecond: 20, maxShare: 1 } }\n'),
      '/tmp/plan.yaml',
    );
    assert.deepEqual(p.families[0]!.parity.replay, { from: ['samples'], after: 90_000, maxPerSecond: 20, maxShare: 1 });
  });

  test('bad values are refused naming the field', async () => {
    const found = await problems(
      plan('    parity: { replay: { from: [logs], after: soon, maxPerSecond: 0, maxShare: 0, unsafe: true } }\n'),
    );
    const at = (suffix: string) => found.find((x) => x.path === `families[0].parity.replay${suffix}`);
    assert.match(at('.from[0]')?.message ?? '', /expected "contracts" or "samples"/);
    assert.match(at('.after')?.message ?? '', /duration/);
    assert.match(at('.maxPerSecond')?.message ?? '', /above 0/);
    assert.match(at('.maxShare')?.message ?? '', /above 0 and at most 1/);
    assert.ok(
      found.some((x) => x.path.startsWith('families[0].parity.replay') && /unsafe/.test(x.message)),
      JSON.stringify(found),
    );
  });
});
