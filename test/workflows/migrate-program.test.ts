import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, mkdir, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { WorkflowExecutionAlreadyStartedError, WorkflowFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { migrationResult, programResult } from '../../src/lib/migration-outcome.js';
import { createPhoenixWorker } from '../../src/worker/worker.js';
import { migrateProgram, type ProgramProgress } from '../../src/workflows/migrate-program.js';
import { type migrateFamily } from '../../src/workflows/migrate-family.js';
import { startLocalRouter } from '../helpers/local-router.js';
import { testPlan, writePlanFile } from '../helpers/plan-builder.js';
import { testTemporal, type TestTemporal } from '../helpers/temporal.js';
import { startUpstream, taskQueue, workflowBundle } from './support.js';

let t: TestTemporal;
before(async () => {
  t = await testTemporal();
});
after(async () => {
  await t?.close();
});

describe('migrateProgram', () => {
  test('a family that rolls back stops its dependents and fails the program naming it; a second start of a running migration is refused', async () => {
    const legacy = await startUpstream('legacy');
    const candidate = await startUpstream('new');
    candidate.behaviour = 'different';
    const dir = await mkdtemp(path.join(os.tmpdir(), 'phx-prog-'));
    await mkdir(path.join(dir, 'contracts'));
    await writeFile(
      path.join(dir, 'contracts', 'a.yaml'),
      'cases:\n  - name: one user\n    request: { path: /api/users/3 }\n',
    );
    const suffix = `${process.pid}${Date.now()}`.slice(-8);
    const [a, b, c] = [`prog-a-${suffix}`, `prog-b-${suffix}`, `prog-c-${suffix}`];
    const plan = await writePlanFile(
      path.join(dir, 'plan.yaml'),
      testPlan({
        name: `prog-${suffix}`,
        legacy: legacy.url,
        // The router shares this process with the test's traffic and workers.
        router: { shadowMaxBusy: 1 },
        families: [
          { name: b, routes: ['GET /api/orders/*'], new: candidate.url, dependsOn: [a] },
          { name: a, routes: ['GET /api/users/*'], new: candidate.url, contracts: ['contracts/*.yaml'] },
          { name: c, routes: ['GET /api/reports/*'], new: candidate.url, dependsOn: [b] },
        ],
      }),
    );
    const router = await startLocalRouter(plan, path.join(dir, 'state.json'));
    const tq = taskQueue('program');
    const worker = await createPhoenixWorker({
      connection: t.nativeConnection,
      taskQueue: tq,
      workflowBundle: await workflowBundle(),
      workflowsOnThisThread: true,
      activities: { reportDir: dir },
    });
    try {
      await worker.runUntil(async () => {
        const handle = await t.client.workflow.start(migrateProgram, {
          taskQueue: tq,
          workflowId: `phoenix-program-${plan.name}`,
          args: [
            {
              plan: plan.name,
              routerAdminUrl: router.adminUrl,
              temporalUiUrl: 'http://localhost:8233',
              families: plan.families,
            },
          ],
        });
        await assert.rejects(
          t.client.workflow.start(migrateProgram, {
            taskQueue: tq,
            workflowId: handle.workflowId,
            args: [{ plan: plan.name, routerAdminUrl: router.adminUrl, temporalUiUrl: '', families: [] }],
          }),
          WorkflowExecutionAlreadyStartedError,
        );
        // The program fails naming the child that failed; its progress is in the details.
        const failure = await handle.result().then(
          () => assert.fail('the program completed although a family rolled back'),
          (err: unknown) => err,
        );
        assert.ok(failure instanceof WorkflowFailedError, String(failure));
        assert.ok(failure.cause instanceof ApplicationFailure, String(failure.cause));
        assert.equal(failure.cause.type, 'ProgramFailed');
        assert.equal(failure.cause.nonRetryable, true);
        assert.match(failure.cause.message, new RegExp(`${a} rolled-back \\(phoenix-${a}\\)`));
        assert.match(failure.cause.message, new RegExp(`not started: ${b}, ${c}`));
        const result = failure.cause.details?.[0] as ProgramProgress;
        assert.deepEqual(
          result.families.map((f) => [f.family, f.outcome]),
          [
            [b, 'skipped'],
            [a, 'rolled-back'],
            [c, 'skipped'],
          ],
        );
        assert.equal(result.families[1]!.failureType, 'MigrationRolledBack');
        assert.equal(result.families[1]!.workflowId, `phoenix-${a}`);
        assert.match(result.families[0]!.reason ?? '', new RegExp(`dependency ${a} did not complete \\(rolled-back`));
        assert.match(result.families[2]!.reason ?? '', new RegExp(`dependency ${b}`));
        assert.deepEqual(await programResult(handle), result);
        // Only the first family ever ran: its dependents were never started.
        const child = await migrationResult(t.client.workflow.getHandle<typeof migrateFamily>(`phoenix-${a}`));
        assert.equal(child.type, 'ContractGateFailed');
        await assert.rejects(t.client.workflow.getHandle(`phoenix-${b}`).describe(), /not found/i);
      });
    } finally {
      await router.close();
      await legacy.close();
      await candidate.close();
    }
  });
});
