/**
 * Builds the Phoenix worker: the migration workflows plus the activities, on task queue
 * `phoenix`. Shared by `phoenix worker`, the demo and the tests.
 */
import { readFile, rename, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import type { Logger } from '@temporalio/common';
import { Worker, bundleWorkflowCode, type NativeConnection, type WorkflowBundle } from '@temporalio/worker';
import { globalHandlers } from '@temporalio/worker/lib/workflow/vm-shared.js';
import { createActivities, type ActivityDeps } from '../activities/index.js';

import { TASK_QUEUE } from '../workflows/messages.js';

export { TASK_QUEUE };

/** Entry of the workflow bundle: the TypeScript source, or its compiled copy next to this module. */
export const WORKFLOWS_PATH = fileURLToPath(
  new URL(import.meta.url.endsWith('.ts') ? '../workflows/index.ts' : '../workflows/index.js', import.meta.url),
);

/** A worker's place in a Worker Deployment (`phoenix worker --deployment … --build-id …`). */
export interface WorkerDeployment {
  name: string;
  buildId: string;
}

export interface PhoenixWorkerOptions {
  connection: NativeConnection;
  /** @default "default" */
  namespace?: string;
  /** @default "phoenix" */
  taskQueue?: string;
  activities?: ActivityDeps;
  /** A prebuilt bundle; {@link bundleWorkflows} when absent. */
  workflowBundle?: WorkflowBundle;
  /** Cached workflows; 0 forces a replay on every task. @default SDK default */
  maxCachedWorkflows?: number;
  /**
   * Worker Versioning: this worker is build `buildId` of Worker Deployment `name`, and takes tasks
   * only once that version is the deployment's current (or ramping) one. Migrations are
   * auto-upgrade: a running one moves to the new current version at its next workflow task,
   * which the `patched()` discipline and the replay tests keep safe (docs/production.md).
   * @default unversioned
   */
  deployment?: WorkerDeployment;
  identity?: string;
  /**
   * Runs the workflow code on this thread (Temporal's `debugMode`) instead of in a worker thread:
   * the worker starts in about 0.1 s of CPU instead of 0.8 s (a thread loads the SDK and compiles
   * the bundle anew), but a workflow task that never yields is not cut off after 5 s. The same
   * sandbox either way; meant for tests, which create many short-lived workers. Workflow stack-trace
   * queries are then refused (see {@link stopWorkflowPromiseHook}). @default false
   */
  workflowsOnThisThread?: boolean;
}

/**
 * Bundles the workflow code (about 3 s of CPU); pass the result to every worker of a process.
 * With `PHOENIX_WORKFLOW_BUNDLE` set, reads that file instead: a bundle built once for many
 * processes (the test runner does this), which must come from the same source as this process.
 * webpack's report goes to `logger` at info level; without one, only its warnings and errors are
 * shown (on stderr).
 */
export async function bundleWorkflows(logger?: Logger): Promise<WorkflowBundle> {
  const prebuilt = process.env.PHOENIX_WORKFLOW_BUNDLE;
  if (prebuilt) return { code: await readFile(prebuilt, 'utf8') };
  return buildBundle(logger);
}

function buildBundle(logger?: Logger): Promise<WorkflowBundle> {
  return bundleWorkflowCode({
    workflowsPath: WORKFLOWS_PATH,
    logger: logger ?? { log() {}, info() {}, debug() {}, trace() {}, warn: console.warn, error: console.error },
  });
}

/**
 * Bundles the workflow code from this process's own source (never from `PHOENIX_WORKFLOW_BUNDLE`)
 * and writes it to `file` atomically (a temporary file, then a rename), for workers started with
 * `PHOENIX_WORKFLOW_BUNDLE=<file>`: built once per release, they skip webpack at start-up.
 * @returns the bundle's size, bytes
 */
export async function writeWorkflowBundle(file: string, logger?: Logger): Promise<number> {
  const { code } = await buildBundle(logger);
  const tmp = `${file}.${process.pid}.tmp`;
  await writeFile(tmp, code);
  await rename(tmp, file);
  return Buffer.byteLength(code);
}

export async function createPhoenixWorker(opts: PhoenixWorkerOptions): Promise<Worker> {
  const worker = await Worker.create({
    connection: opts.connection,
    namespace: opts.namespace ?? 'default',
    taskQueue: opts.taskQueue ?? TASK_QUEUE,
    activities: createActivities(opts.activities),
    workflowBundle: opts.workflowBundle ?? (await bundleWorkflows()),
    ...(opts.maxCachedWorkflows !== undefined ? { maxCachedWorkflows: opts.maxCachedWorkflows } : {}),
    // When a worker dies, its sticky queue holds the next workflow task until this times out; a
    // short wait lets another worker finish a rollback in seconds (the cost is a replay when a
    // live worker is this slow to pick a task up).
    stickyQueueScheduleToStartTimeout: '3s',
    ...(opts.identity ? { identity: opts.identity } : {}),
    ...(opts.deployment
      ? {
          workerDeploymentOptions: {
            version: { deploymentName: opts.deployment.name, buildId: opts.deployment.buildId },
            useWorkerVersioning: true,
            defaultVersioningBehavior: 'AUTO_UPGRADE',
          },
        }
      : {}),
    ...(opts.workflowsOnThisThread ? { debugMode: true } : {}),
  });
  if (opts.workflowsOnThisThread) stopWorkflowPromiseHook();
  return worker;
}

/**
 * Stops the promise hook Temporal installs for workflow stack traces (the `__stack_trace` query)
 * when it creates a worker's workflow sandbox. In a worker thread it sees only workflow code; on
 * this thread it runs for every promise of the process, the router's and the test's too (about a
 * tenth of a workflow test file's CPU). Workers created later leave it stopped (Temporal installs
 * it once per thread), and their workflows refuse stack-trace queries as "not enabled".
 */
function stopWorkflowPromiseHook(): void {
  if (!globalHandlers.promiseHookInstalled) return;
  (globalHandlers as unknown as { stopPromiseHook(): void }).stopPromiseHook();
  globalHandlers.promiseHookInstalled = false;
}
