/**
 * Worker Versioning (`phoenix worker --deployment … --build-id …`) against the real Temporal
 * server: when an upgrade makes a build current, a migration in flight moves to it at its next
 * workflow task and carries on there (auto-upgrade).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Client } from '@temporalio/client';
import { createPhoenixWorker } from '../../src/worker/worker.js';
import { approveUpdate } from '../../src/workflows/messages.js';
import { testTemporal, type TestTemporal } from '../helpers/temporal.js';
import { waitFor } from '../helpers/wait.js';
import { startMigration, waitForPending, waitForProgress } from './harness.js';
import { driveTraffic, startStack, taskQueue, workflowBundle } from './support.js';

let t: TestTemporal;
before(async () => {
  t = await testTemporal();
});
after(() => t?.close());

/** Makes `buildId` the deployment's current version, once its worker has polled (before, it is unknown). */
async function setCurrent(client: Client, deploymentName: string, buildId: string): Promise<void> {
  await waitFor(
    `build ${buildId} of ${deploymentName} to become current`,
    async () => {
      await client.workflowService.setWorkerDeploymentCurrentVersion({
        namespace: 'default',
        deploymentName,
        buildId,
        identity: 'worker-versioning test',
      });
      return true;
    },
    { timeoutMs: 30_000, intervalMs: 250 },
  );
}

/** The build the migration's last workflow task ran on, and its versioning behaviour. */
async function runsOn(client: Client, workflowId: string): Promise<{ buildId?: string; behavior?: unknown }> {
  const d = await client.workflowService.describeWorkflowExecution({
    namespace: 'default',
    execution: { workflowId },
  });
  const v = d.workflowExecutionInfo?.versioningInfo;
  return { buildId: v?.deploymentVersion?.buildId ?? undefined, behavior: v?.behavior };
}

test(
  'a migration moves to the build an upgrade makes current, and carries on there',
  { timeout: 180_000 },
  async () => {
    const stack = await startStack();
    const traffic = driveTraffic(stack.router.url);
    const tq = taskQueue('versioned');
    const deploymentName = `phoenix-${tq}`;
    const bundle = await workflowBundle();
    const workers: { shutdown(): void; done: Promise<void> }[] = [];
    const startWorker = async (buildId: string): Promise<void> => {
      const w = await createPhoenixWorker({
        connection: t.nativeConnection,
        taskQueue: tq,
        workflowBundle: bundle,
        workflowsOnThisThread: true,
        deployment: { name: deploymentName, buildId },
      });
      workers.push({ shutdown: () => w.shutdown(), done: w.run() });
    };
    let handle: Awaited<ReturnType<typeof startMigration>> | undefined;
    try {
      await startWorker('build-1');
      await setCurrent(t.client, deploymentName, 'build-1');
      handle = await startMigration(t.client, stack, tq);
      const h = handle;
      await waitForPending(h, 'ramp-start');
      assert.deepEqual(await runsOn(t.client, h.workflowId), {
        buildId: 'build-1',
        behavior: 2, // VERSIONING_BEHAVIOR_AUTO_UPGRADE
      });

      // The next release: its workers start beside build-1's, which keep running, and take over once it is current.
      await startWorker('build-2');
      await setCurrent(t.client, deploymentName, 'build-2');
      await h.executeUpdate(approveUpdate, { args: [{ step: 'ramp-start', approver: 'alice' }] });
      await waitForProgress(h, 'the ramp to start', (p) => p.stage === 'ramp' && p.percent > 0);
      await waitFor(
        'the migration to run on build-2',
        async () => (await runsOn(t.client, h.workflowId)).buildId === 'build-2',
        {
          timeoutMs: 60_000,
          intervalMs: 250,
        },
      );
      assert.equal((await h.describe()).status.name, 'RUNNING', 'the migration carries on on the new build');
    } finally {
      await handle?.terminate('the test ended').catch(() => undefined);
      for (const w of workers) w.shutdown();
      await Promise.allSettled(workers.map((w) => w.done));
      await traffic.stop();
      await stack.close();
    }
  },
);
