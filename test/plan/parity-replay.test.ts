import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { parsePlan } from '../../src/plan/index.js';
import { oneFamilyPlan, planProblems } from '../helpers/plan-text.js';

describe('parity.replay in the plan', () => {
  test('is off unless the plan sets it', async () => {
    const p = await parsePlan(oneFamilyPlan(''), '/tmp/plan.yaml');
    assert.equal(p.families[0]!.parity.replay, undefined);
  });

  test('an empty block gets every default', async () => {
    const p = await parsePlan(oneFamilyPlan('    parity: { replay: {} }\n'), '/tmp/plan.yaml');
    assert.deepEqual(p.families[0]!.parity.replay, {
      from: ['contracts', 'samples'],
      after: 300_000,
      maxPerSecond: 5,
      maxShare: 0.5,
    });
  });

  test('durations, sources and ratios are read as written', async () => {
    const p = await parsePlan(
      oneFamilyPlan('    parity: { replay: { from: [samples], after: 90s, maxPerSecond: 20, maxShare: 1 } }\n'),
      '/tmp/plan.yaml',
    );
    assert.deepEqual(p.families[0]!.parity.replay, { from: ['samples'], after: 90_000, maxPerSecond: 20, maxShare: 1 });
  });

  test('bad values are refused naming the field', async () => {
    const found = await planProblems(
      oneFamilyPlan(
        '    parity: { replay: { from: [logs], after: soon, maxPerSecond: 0, maxShare: 0, unsafe: true } }\n',
      ),
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
