/**
 * One migration scenario of the `migrateFamily` tests: its own stack, traffic, task queue and
 * worker, running until the test body ends, then all of it closed. {@link scenarioFile} gives a
 * test file the suite's Temporal and a report folder for its scenarios.
 */
import { after, before } from 'node:test';
import { mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Worker } from '@temporalio/worker';
import type { ActivityDeps } from '../../src/activities/index.js';
import type { RunningSlackReceiver } from '../../src/slack/receiver.js';
import { createPhoenixWorker } from '../../src/worker/worker.js';
import type { FamilyOverrides } from '../helpers/plan-builder.js';
import { SECRET, slackSuite, startTestReceiver, type SlackSuite } from '../helpers/slack.js';
import { testTemporal, type TestTemporal } from '../helpers/temporal.js';
import { startMigration, type MigrationHandle } from './harness.js';
import {
  driveTraffic,
  startStack,
  taskQueue,
  workflowBundle,
  type PlanOverrides,
  type Stack,
  type Traffic,
  type TrafficOptions,
} from './support.js';

/** What a scenario's stack, traffic and worker are made of. */
export interface ScenarioOptions {
  /** Changes to the test family's plan. @default none (TEST_FAMILY) */
  family?: FamilyOverrides;
  /** The family's sticky key. @default { header: 'x-user' } */
  sticky?: PlanOverrides['sticky'];
  /** Contract case files: name → YAML; `{}` for none. @default two GET cases */
  cases?: Record<string, string>;
  /** `false` for no traffic, else how {@link driveTraffic} sends. @default its defaults (50 requests/s) */
  traffic?: false | TrafficOptions;
  /** The worker's workflow cache; 0 replays the history on every task. @default the SDK's */
  maxCachedWorkflows?: number;
}

/** What a scenario's body gets. */
export interface ScenarioContext {
  stack: Stack;
  /** The migration `start` started. */
  handle: () => MigrationHandle;
  /** Starts `migrateFamily` for the stack's family on the scenario's task queue. */
  start: () => Promise<MigrationHandle>;
  tq: string;
  /** The running traffic; undefined with `traffic: false`. */
  traffic: Traffic | undefined;
}

/**
 * A worker a test file shares between its scenarios, on one task queue: test workers run their
 * workflows on the test's thread (`workflowsOnThisThread`), and still each costs some CPU to
 * start and to poll. Workflows on it need ids of their own (see {@link FileWorker.idFor}).
 */
export interface FileWorker {
  tq: string;
  /** A workflow id for the scenario `name`, unique on this worker's task queue. */
  idFor(name: string): string;
  /** Runs `body` while the worker runs; fails if the worker stops first. */
  run<T>(body: () => Promise<T>): Promise<T>;
  /** Stops the worker (in the file's `after`). */
  close(): Promise<void>;
}

/** Starts a worker for a whole test file (see {@link FileWorker}); `activities` as for any worker. */
export async function startFileWorker(t: TestTemporal, name: string, activities: ActivityDeps): Promise<FileWorker> {
  const tq = taskQueue(name);
  const worker = await createPhoenixWorker({
    connection: t.nativeConnection,
    taskQueue: tq,
    workflowBundle: await workflowBundle(),
    workflowsOnThisThread: true,
    activities,
  });
  const running = worker.run();
  const stopped = running.then(
    () => Promise.reject(new Error("the test file's worker stopped")),
    (err: unknown) => Promise.reject(err instanceof Error ? err : new Error(String(err))),
  );
  // Nothing races it any more once the file's `after` stops it.
  stopped.catch(() => undefined);
  return {
    tq,
    idFor: (scenarioName) => `phoenix-${scenarioName}-${tq}`,
    run: (body) => Promise.race([body(), stopped]),
    async close() {
      worker.shutdown();
      await running.catch(() => undefined);
    },
  };
}

/** One test's world: stack, traffic, and a worker (its own, or the file's) running until the test body ends. */
export async function scenario(
  t: TestTemporal,
  reportDir: string,
  name: string,
  options: ScenarioOptions,
  body: (ctx: ScenarioContext) => Promise<void>,
  shared?: FileWorker,
): Promise<void> {
  const stack = await startStack({ family: options.family, sticky: options.sticky, cases: options.cases });
  const traffic = options.traffic === false ? undefined : driveTraffic(stack.router.url, options.traffic);
  const tq = shared?.tq ?? taskQueue(name);
  const workflowId = shared?.idFor(name);
  let handle: MigrationHandle | undefined;
  const ctx: ScenarioContext = {
    stack,
    tq,
    traffic,
    handle: () => handle!,
    start: async () => (handle = await startMigration(t.client, stack, tq, {}, { workflowId })),
  };
  try {
    if (shared) {
      await shared.run(() => body(ctx));
    } else {
      const worker = await createPhoenixWorker({
        connection: t.nativeConnection,
        taskQueue: tq,
        workflowBundle: await workflowBundle(),
        workflowsOnThisThread: true,
        activities: { reportDir },
        ...(options.maxCachedWorkflows !== undefined ? { maxCachedWorkflows: options.maxCachedWorkflows } : {}),
      });
      await worker.runUntil(body(ctx));
    }
  } finally {
    // A migration a failed test left running stops here, as it did when its worker stopped.
    if (shared && handle) await handle.terminate('the test scenario ended').catch(() => undefined);
    await traffic?.stop();
    await stack.close();
  }
}

/** A test file's scenarios: the suite's Temporal and one report folder, shared by its tests. */
export interface ScenarioFile {
  /** The suite's Temporal (set once the file's `before` ran). */
  readonly t: TestTemporal;
  /** Where the file's migrations write their reports. */
  readonly reportDir: string;
  /** {@link scenario} on this file's Temporal and report folder. */
  scenario(name: string, options: ScenarioOptions, body: (ctx: ScenarioContext) => Promise<void>): Promise<void>;
}

/**
 * Connects to the suite's Temporal and makes a report folder named `reportPrefix…` in the file's
 * `before`; its scenarios share one worker (started with the first, see {@link FileWorker}), except
 * those asking for their own `maxCachedWorkflows`. The file's `after` stops the worker and closes
 * the connection. Call it at the top level of a test file.
 */
export function scenarioFile(reportPrefix = 'phx-reports-'): ScenarioFile {
  let t: TestTemporal | undefined;
  let reportDir: string | undefined;
  let worker: Promise<FileWorker> | undefined;
  before(async () => {
    t = await testTemporal();
    reportDir = await mkdtemp(path.join(os.tmpdir(), reportPrefix));
  });
  after(async () => {
    await (await worker)?.close();
    await t?.close();
  });
  const ready = <T>(v: T | undefined, what: string): T => {
    if (v === undefined) throw new Error(`${what} is set up in the test file's before hook; use it inside a test`);
    return v;
  };
  const fileWorker = (): Promise<FileWorker> =>
    (worker ??= startFileWorker(ready(t, 'Temporal'), reportPrefix.replace(/-$/, ''), {
      reportDir: ready(reportDir, 'the report folder'),
    }));
  return {
    get t() {
      return ready(t, 'Temporal');
    },
    get reportDir() {
      return ready(reportDir, 'the report folder');
    },
    async scenario(name, options, body) {
      const shared = options.maxCachedWorkflows === undefined ? await fileWorker() : undefined;
      return scenario(ready(t, 'Temporal'), ready(reportDir, 'the report folder'), name, options, body, shared);
    },
  };
}

/** What a file's Slack scenarios share (see {@link slackScenarioFile}). */
export interface SlackScenarioFile extends SlackSuite {
  /** The file's worker: it serves Slack activities as well. */
  worker: FileWorker;
}

/**
 * {@link slackSuite} plus one worker for the whole file on task queue `name` (see
 * {@link FileWorker}), with a report folder `phx-<name>-…`. Slack activities run only for a family
 * with a Slack channel, so the worker serves families with and without one. Call it at the top
 * level of a test file; use the fields inside tests.
 */
export function slackScenarioFile(name: string): SlackScenarioFile {
  let worker: FileWorker | undefined;
  const file = slackSuite(undefined, {
    async start(suite) {
      const reportDir = await mkdtemp(path.join(os.tmpdir(), `phx-${name}-`));
      worker = await startFileWorker(suite.t, name, { reportDir, slack: { slack: suite.web, buttonSecret: SECRET } });
      file.worker = worker;
    },
    // The worker stops before the suite's connection to Temporal closes.
    stop: async () => worker?.close(),
  }) as SlackScenarioFile;
  return file;
}

/**
 * A worker of its own on `tq` whose Slack activities post to the stand-in and sign buttons with
 * `buttonSecret` (the receiver's signing secret, or the app token under Socket Mode, which has
 * none); reports go to the stack's folder.
 */
export async function startSlackWorker(
  suite: SlackSuite,
  stack: Stack,
  tq: string,
  buttonSecret = SECRET,
): Promise<Worker> {
  return createPhoenixWorker({
    connection: suite.t.nativeConnection,
    taskQueue: tq,
    workflowBundle: await workflowBundle(),
    workflowsOnThisThread: true,
    activities: { reportDir: stack.dir, slack: { slack: suite.web, buttonSecret } },
  });
}

/**
 * Runs `body` while a {@link startSlackWorker} worker on `tq` and a receiver for the stack's plan
 * run, as a Slack test's migration needs both to post and to take clicks; the receiver closes
 * when `body` ends.
 */
export async function runWithSlack<T>(
  suite: SlackSuite,
  stack: Stack,
  tq: string,
  body: (receiver: RunningSlackReceiver) => Promise<T>,
): Promise<T> {
  const worker = await startSlackWorker(suite, stack, tq);
  const receiver = await startTestReceiver(suite, stack.plan);
  try {
    return await worker.runUntil(() => body(receiver));
  } finally {
    await receiver.close();
  }
}
