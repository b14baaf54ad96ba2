/** The tests' plan builder: overrides reach the loaded plan, and a wrong field fails at once, named. */
import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { PlanError, type FamilyPlanInput } from '../../src/plan/index.js';
import {
  bake25,
  buildPlan,
  mergeFamily,
  TEST_FAMILY,
  testPlan,
  writePlanFile,
  type FamilyOverrides,
} from '../helpers/plan-builder.js';

let dir: string;
before(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'phx-plan-builder-'));
});

const USERS: FamilyPlanInput = { name: 'users', routes: ['GET /api/users/:id'], new: 'http://127.0.0.1:8001' };

function load(...layers: FamilyOverrides[]) {
  return writePlanFile(path.join(dir, `plan-${layers.length}-${Math.random()}.yaml`), {
    version: 1,
    name: 'shop',
    legacy: 'http://127.0.0.1:5000',
    approvers: ['alice'],
    families: [mergeFamily(USERS, TEST_FAMILY, ...layers)],
  });
}

/** The problems of a plan the loader refuses; fails if it loads. */
async function refused(...layers: FamilyOverrides[]): Promise<{ path: string; message: string }[]> {
  const err = await load(...layers).then(
    () => assert.fail('the plan was accepted'),
    (e: unknown) => e,
  );
  assert.ok(err instanceof PlanError, String(err));
  assert.equal(err.code, 'PHX_ERR_PLAN_INVALID');
  return err.problems;
}

describe('plan builder for tests', () => {
  test('a settings object changes field by field, arrays whole, and the result is the loaded plan', async () => {
    const plan = await load({ parity: { timeout: '3s' } }, bake25('5m'), { onRollback: 'wait-for-retry' });
    const f = plan.families[0]!;
    assert.equal(f.parity.timeout, 3000);
    assert.equal(f.parity.minSamples, 20, 'the other parity fields are kept');
    assert.equal(f.parity.pollInterval, 300);
    assert.deepEqual(
      f.ramp.steps.map((s) => [s.percent, s.bake, s.approval]),
      [
        [25, 300_000, false],
        [100, 1000, true],
      ],
    );
    assert.equal(f.ramp.analysisInterval, 250);
    assert.equal(f.onRollback, 'wait-for-retry');
    assert.equal(f.approval.timeout, 30_000);
  });

  test('a field the schema does not know fails the load, naming it', async () => {
    // The type refuses it too; the cast stands for a field the schema dropped after a test was written.
    const problems = await refused({ parity: { minSampels: 5 } as unknown as FamilyOverrides['parity'] });
    assert.equal(problems.length, 1);
    assert.equal(problems[0]!.path, 'families[0].parity');
    assert.match(problems[0]!.message, /unknown key "minSampels"/);
  });

  test('a value the schema refuses fails the load at its field', async () => {
    const problems = await refused({ ramp: { steps: [{ percent: 150, bake: '1s' }] } });
    const paths = problems.map((p) => p.path);
    assert.ok(paths.includes('families[0].ramp.steps[0].percent'), paths.join(', '));
  });

  test('a plan built in memory gets the same defaults as one written and loaded, and its wrong fields fail the same way', async () => {
    const input = testPlan({ legacy: 'http://127.0.0.1:5000', families: [mergeFamily(USERS, TEST_FAMILY)] });
    const built = await buildPlan(input);
    const loaded = await writePlanFile(path.join(dir, 'same.yaml'), input);
    assert.deepEqual(built.families, loaded.families);
    assert.deepEqual(built.router, loaded.router);
    assert.deepEqual(built.families[0]!.approval.approvers, ['alice']);
    const err = await buildPlan(testPlan({ legacy: 'ftp://x', families: [USERS] })).then(
      () => assert.fail('the plan was accepted'),
      (e: unknown) => e,
    );
    assert.ok(err instanceof PlanError, String(err));
    assert.deepEqual(
      err.problems.map((p) => p.path),
      ['legacy'],
    );
  });

  test('a plan naming contract files is not built in memory, where its globs would be read from the working directory', async () => {
    await assert.rejects(
      buildPlan(testPlan({ legacy: 'http://127.0.0.1:5000', families: [{ ...USERS, contracts: ['c/*.yaml'] }] })),
      /family "users" names contract files: write the plan with writePlanFile/,
    );
  });
});
