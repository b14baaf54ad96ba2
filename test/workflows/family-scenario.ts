/**
 * One migration scenario of the `migrateFamily` tests: its own stack, traffic, task queue and
 * worker, running until the test body ends, then all of it closed.
 */
import type { Worker } from '@temporalio/worker';
import { createPhoenixWorker } from '../../src/worker/worker.js';
import type { TestTemporal } from '../helpers/temporal.js';
import { startMigration, type MigrationHandle } from './harness.js';
import { driveTraffic, startStack, taskQueue, workflowBundle, type Stack } from './support.js';

/** One test's world: stack, traffic, and a worker running until the test body ends. */
export async function scenario(
  t: TestTemporal,
  reportDir: string,
  name: string,
  options: { family?: string; cases?: Record<string, string>; traffic?: boolean; maxCachedWorkflows?: number },
  body: (ctx: {
    stack: Stack;
    handle: () => MigrationHandle;
    start: () => Promise<MigrationHandle>;
    tq: string;
  }) => Promise<void>,
): Promise<void> {
  const stack = await startStack({ family: options.family, cases: options.cases });
  const traffic = options.traffic === false ? undefined : driveTraffic(stack.router.url);
  const tq = taskQueue(name);
  let worker: Worker | undefined;
  let handle: MigrationHandle | undefined;
  try {
    worker = await createPhoenixWorker({
      connection: t.nativeConnection,
      taskQueue: tq,
      workflowBundle: await workflowBundle(),
      activities: { reportDir },
      ...(options.maxCachedWorkflows !== undefined ? { maxCachedWorkflows: options.maxCachedWorkflows } : {}),
    });
    await worker.runUntil(
      body({
        stack,
        tq,
        handle: () => handle!,
        start: async () => (handle = await startMigration(t.client, stack, tq)),
      }),
    );
  } finally {
    await traffic?.stop();
    await stack.close();
  }
}
