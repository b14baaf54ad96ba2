/** Starting and observing migrations in tests. */
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Client, WorkflowHandle } from '@temporalio/client';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { promisify } from 'node:util';
import { resolveTemporalCli } from '../../src/lib/temporal-cli.js';
import { migrateFamily } from '../../src/workflows/migrate-family.js';
import {
  approveUpdate,
  migrationWorkflowId,
  progressQuery,
  type MigrationProgress,
} from '../../src/workflows/messages.js';
import type { FamilyPlan } from '../../src/plan/index.js';
import { waitFor } from '../helpers/wait.js';
import type { Stack } from './support.js';
import { createRouterAdminClient } from '../../src/router/client.js';
import type { RouteState } from '../../src/router/types.js';

const HISTORIES = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'histories');
const TS_LOADER = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'scripts', 'ts-register.mjs');

export type MigrationHandle = WorkflowHandle<typeof migrateFamily>;

/**
 * Starts `migrateFamily` for the stack's family with a unique workflow id (or `o.workflowId`), or
 * (`addressable`) with the id the CLI and Slack address (`phoenix-<family>`), ending any earlier
 * run of it.
 */
export async function startMigration(
  client: Client,
  stack: Stack,
  taskQueue: string,
  family: Partial<FamilyPlan> = {},
  o: { addressable?: boolean; workflowId?: string } = {},
): Promise<MigrationHandle> {
  const f = { ...stack.plan.families[0]!, ...family };
  return client.workflow.start(migrateFamily, {
    taskQueue,
    ...(o.addressable
      ? { workflowId: migrationWorkflowId(f.name), workflowIdConflictPolicy: 'TERMINATE_EXISTING' as const }
      : { workflowId: o.workflowId ?? `phoenix-${f.name}-${taskQueue}` }),
    args: [
      {
        plan: stack.plan.name,
        routerAdminUrl: stack.router.adminUrl,
        temporalUiUrl: 'http://localhost:8233',
        family: f,
      },
    ],
  });
}

/**
 * Waits until the progress query satisfies `predicate` and returns it, asking every `intervalMs`.
 * A query costs the test process about 8 ms of CPU, the Temporal server and the worker more (about
 * 70 ms on a worker without a workflow cache, which replays the history to answer). Every stage a
 * test waits for lasts seconds, so 250 ms costs no test a state and a file waiting a minute about
 * 1.5 s of CPU less than asking every 100 ms (`evidence-gates`: 33.2 → 30.3 s with its server's share).
 */
export async function waitForProgress(
  handle: MigrationHandle,
  what: string,
  predicate: (p: MigrationProgress) => boolean,
  timeoutMs = 30_000,
  intervalMs = 250,
): Promise<MigrationProgress> {
  let last: MigrationProgress | undefined;
  try {
    return await waitFor(
      what,
      async () => {
        last = await handle.query(progressQuery);
        return predicate(last) ? last : undefined;
      },
      { timeoutMs, intervalMs },
    );
  } catch (err) {
    // The workflow's own view says why it did not get there (stage, parity verdict, last analysis).
    const seen = last
      ? JSON.stringify({ stage: last.stage, pending: last.pending, parity: last.parity, analysis: last.analysis })
      : 'no progress answered';
    throw new Error(`${(err as Error).message}; last progress: ${seen}`, { cause: err });
  }
}

/** Approves `steps` as alice, each once it is pending (waiting up to 90 s, for loaded machines). */
export async function approveThrough(handle: MigrationHandle, steps: string[]): Promise<void> {
  for (const step of steps) {
    await waitForPending(handle, step, 90_000);
    await handle.executeUpdate(approveUpdate, { args: [{ step, approver: 'alice' }] });
  }
}

/** Waits for the approval of `step` to be pending (see {@link waitForProgress} for `intervalMs`). */
export function waitForPending(
  handle: MigrationHandle,
  step: string,
  timeoutMs = 30_000,
  intervalMs = 250,
): Promise<MigrationProgress> {
  return waitForProgress(
    handle,
    `approval "${step}" to be pending`,
    (p) => p.pending?.step === step,
    timeoutMs,
    intervalMs,
  );
}

/**
 * Saves the run's history under test/histories/ when PHOENIX_RECORD_HISTORIES=1 (they are
 * committed). The Temporal CLI writes the proto JSON that `historyFromJSON` reads back.
 */
export async function recordHistory(handle: MigrationHandle, scenario: string): Promise<number> {
  const history = await handle.fetchHistory();
  if (process.env.PHOENIX_RECORD_HISTORIES === '1') {
    const address = process.env.PHOENIX_TEST_TEMPORAL_ADDRESS;
    if (!address)
      throw new Error(
        'recording histories needs the suite server: run `PHOENIX_RECORD_HISTORIES=1 npm test -- workflows`',
      );
    const { stdout } = await promisify(execFile)(
      await resolveTemporalCli(),
      ['workflow', 'show', '--workflow-id', handle.workflowId, '--address', address, '--output', 'json'],
      { maxBuffer: 64 * 1024 * 1024 },
    );
    await writeFile(path.join(HISTORIES, `${scenario}.json`), stdout);
  }
  return history.events?.length ?? 0;
}

/** Activity events of a history whose summary matches `re` (the event timeline as the UI shows it). */
export async function scheduledActivities(
  handle: MigrationHandle,
): Promise<{ type: string; summary: string; /** When it was scheduled, epoch ms (server time). */ at: number }[]> {
  const history = await handle.fetchHistory();
  const out: { type: string; summary: string; at: number }[] = [];
  for (const e of history.events ?? []) {
    const a = e.activityTaskScheduledEventAttributes;
    if (!a) continue;
    const raw = e.userMetadata?.summary?.data;
    const summary = raw ? (JSON.parse(Buffer.from(raw).toString('utf8')) as string) : '';
    const at = Number(e.eventTime?.seconds ?? 0) * 1000 + Math.floor((e.eventTime?.nanos ?? 0) / 1e6);
    out.push({ type: a.activityType?.name ?? '', summary, at });
  }
  return out;
}

/**
 * A Phoenix worker in its own process (so a test can SIGKILL it), connected to `address` and
 * polling `taskQueue`; resolves once it polls.
 */
export async function spawnWorker(address: string, taskQueue: string, reportDir: string): Promise<ChildProcess> {
  const child = spawn(
    process.execPath,
    // The test runner's TypeScript loader: with tsx the process and its workflow thread cost about a second more CPU.
    ['--import', TS_LOADER, path.join(import.meta.dirname, 'worker-process.ts'), address, taskQueue, reportDir],
    {
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  await new Promise<void>((resolve, reject) => {
    child.stdout.on('data', (d: Buffer) => d.toString().includes('ready') && resolve());
    child.once('exit', (code) => reject(new Error(`worker exited with ${code}`)));
  });
  return child;
}

/** SIGKILLs a worker process and waits until it is gone. */
export async function killWorker(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const gone = new Promise((r) => child.once('exit', r));
  child.kill('SIGKILL');
  await gone;
}

/** The stack's family's route as the stack's router serves it now. */
export async function routeOf(stack: Stack): Promise<RouteState> {
  const admin = createRouterAdminClient({ baseUrl: stack.router.adminUrl });
  try {
    return await admin.getRoute(stack.plan.families[0]!.name);
  } finally {
    await admin.close();
  }
}
