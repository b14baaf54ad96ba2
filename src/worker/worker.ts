/**
 * Builds the Phoenix worker: the migration workflows plus the activities, on task queue
 * `phoenix`. Shared by `phoenix worker`, the demo and the tests.
 */
import { fileURLToPath } from 'node:url';
import type { Logger } from '@temporalio/common';
import {
  Worker,
  bundleWorkflowCode,
  type NativeConnection,
  type WorkflowBundleWithSourceMap,
} from '@temporalio/worker';
import { createActivities, type ActivityDeps } from '../activities/index.js';

import { TASK_QUEUE } from '../workflows/messages.js';

export { TASK_QUEUE };

/** Entry of the workflow bundle. */
export const WORKFLOWS_PATH = fileURLToPath(new URL('../workflows/index.ts', import.meta.url));

export interface PhoenixWorkerOptions {
  connection: NativeConnection;
  /** @default "default" */
  namespace?: string;
  /** @default "phoenix" */
  taskQueue?: string;
  activities?: ActivityDeps;
  /** A prebuilt bundle (tests build one per file); built from WORKFLOWS_PATH when absent. */
  workflowBundle?: WorkflowBundleWithSourceMap;
  /** Cached workflows; 0 forces a replay on every task. @default SDK default */
  maxCachedWorkflows?: number;
  identity?: string;
}

/**
 * Bundles the workflow code once (a few seconds); pass the result to every worker of a process.
 * webpack's report goes to `logger` at info level; without one, only its warnings and errors are
 * shown (on stderr).
 */
export function bundleWorkflows(logger?: Logger): Promise<WorkflowBundleWithSourceMap> {
  return bundleWorkflowCode({
    workflowsPath: WORKFLOWS_PATH,
    logger: logger ?? { log() {}, info() {}, debug() {}, trace() {}, warn: console.warn, error: console.error },
  });
}

export async function createPhoenixWorker(opts: PhoenixWorkerOptions): Promise<Worker> {
  return Worker.create({
    connection: opts.connection,
    namespace: opts.namespace ?? 'default',
    taskQueue: opts.taskQueue ?? TASK_QUEUE,
    activities: createActivities(opts.activities),
    ...(opts.workflowBundle ? { workflowBundle: opts.workflowBundle } : { workflowsPath: WORKFLOWS_PATH }),
    ...(opts.maxCachedWorkflows !== undefined ? { maxCachedWorkflows: opts.maxCachedWorkflows } : {}),
    // When a worker dies, its sticky queue holds the next workflow task until this times out; a
    // short wait lets another worker finish a rollback in seconds (the cost is a replay when a
    // live worker is this slow to pick a task up).
    stickyQueueScheduleToStartTimeout: '3s',
    ...(opts.identity ? { identity: opts.identity } : {}),
  });
}
