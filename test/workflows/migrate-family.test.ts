import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { access, mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { WorkflowFailedError, WorkflowUpdateFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import type { Worker } from '@temporalio/worker';
import { createPhoenixWorker } from '../../src/worker/worker.js';
import {
  abortSignal,
  approveUpdate,
  pauseSignal,
  progressQuery,
  rejectUpdate,
  resumeSignal,
  retrySignal,
} from '../../src/workflows/messages.js';
import { testTemporal, type TestTemporal } from '../helpers/temporal.js';
import { waitFor } from '../helpers/wait.js';
import { driveTraffic, startStack, taskQueue, workflowBundle, defaultFamily, type Stack } from './support.js';
import {
  killWorker,
  recordHistory,
  routeOf,
  scheduledActivities,
  spawnWorker as spawnHarnessWorker,
  startMigration,
  waitForPending,
  waitForProgress,
  type MigrationHandle,
} from './harness.js';
import { migrationResult } from '../../src/lib/migration-outcome.js';
import { assertDescribedMessages, assertNoRepeatedUpserts, assertUiShows } from './history-checks.js';

let t: TestTemporal;
let reportDir: string;

before(async () => {
  t = await testTemporal();
  reportDir = await mkdtemp(path.join(os.tmpdir(), 'phx-reports-'));
});
after(async () => {
  await t?.close();
});

/** One test's world: stack, traffic, and a worker running until the test body ends. */
async function scenario(
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

describe('migrateFamily', { concurrency: 1 }, () => {
  test('walks every stage to decommission, writes the report and stays under 2,000 events', async () => {
    await scenario('happy', { maxCachedWorkflows: 0 }, async ({ stack, start }) => {
      const handle = await start();
      await waitForPending(handle, 'ramp-start');
      const p = await handle.query(progressQuery);
      assert.equal(p.parity?.status, 'met');
      assert.ok((p.parity?.samples ?? 0) >= 20);
      await handle.executeUpdate(approveUpdate, { args: [{ step: 'ramp-start', approver: 'alice', via: 'cli' }] });
      await waitForPending(handle, 'ramp:100');
      assert.equal((await routeOf(stack)).percent, 25);
      await handle.executeUpdate(approveUpdate, { args: [{ step: 'ramp:100', approver: 'alice', via: 'cli' }] });
      const result = await migrationResult(handle);
      assert.equal(result.outcome, 'completed', result.reason);
      assert.equal(result.progress.stage, 'completed');
      assert.equal(result.progress.percent, 100);
      assert.deepEqual(
        result.progress.checklist.map((c) => [c.id, c.status]),
        [
          ['no-legacy-traffic', 'passed'],
          ['contracts-green-on-new', 'passed'],
          ['route-pinned-new', 'passed'],
        ],
      );
      const route = await routeOf(stack);
      assert.equal(route.mode, 'new');
      assert.ok(result.report, 'a report was written');
      await access(result.report.json);
      await access(result.report.markdown);
      const decisions = result.progress.decisions.filter((d) => d.kind === 'approved').map((d) => [d.step, d.by]);
      assert.deepEqual(decisions, [
        ['ramp-start', 'alice'],
        ['ramp:100', 'alice'],
      ]);
      // A completed migration still completes, and its history is as tidy as a rolled-back one's.
      assert.equal((await handle.describe()).status.name, 'COMPLETED');
      assert.deepEqual((await handle.describe()).memo?.report, result.report);
      const family = stack.plan.families[0]!;
      await assertUiShows(t.uiUrl, handle, {
        status: 'COMPLETED',
        memo: {
          plan: stack.plan.name,
          family: family.name,
          routes: family.routes,
          upstreams: { legacy: family.legacy, new: family.new },
          report: result.report,
        },
      });
      await assertDescribedMessages(handle);
      await assertNoRepeatedUpserts(handle);
      const events = await recordHistory(handle, 'happy-path');
      assert.ok(events < 2000, `history has ${events} events`);
      const summaries = (await scheduledActivities(handle)).map((a) => a.summary);
      assert.ok(summaries.includes('canary 25%'), summaries.join(' | '));
      assert.ok(summaries.includes('pin route to new'));
    });
  });

  test('a failing contract case stops the migration before any route change', async () => {
    await scenario('contract-fail', {}, async ({ stack, start }) => {
      const before = await routeOf(stack);
      stack.candidate.behaviour = 'different';
      const handle = await start();
      const result = await migrationResult(handle);
      assert.equal(result.outcome, 'rolled-back');
      assert.equal(result.type, 'ContractGateFailed');
      assert.match(result.reason ?? '', /get one user/);
      const after = await routeOf(stack);
      assert.equal(after.mode, 'legacy');
      assert.equal(after.version, before.version, 'the route was never touched');
      await recordHistory(handle, 'contract-gate-failed');
    });
  });

  test('a teardown step that fails stops the migration too: the sides may no longer hold the same data', async () => {
    const cases = {
      'users.yaml': `teardown:
  - request: { method: POST, path: /api/no-such-reset }
    side: new
cases:
  - name: get one user
    request: { method: GET, path: /api/users/7 }
`,
    };
    await scenario('teardown-fail', { cases, traffic: false }, async ({ stack, start }) => {
      const result = await migrationResult(await start());
      assert.equal(result.outcome, 'rolled-back');
      assert.equal(result.type, 'ContractGateFailed');
      assert.match(
        result.reason ?? '',
        /^contract gate failed: 1 step failed — teardown of users\.yaml on new: POST \/api\/no-such-reset answered 404/,
      );
      assert.equal((await routeOf(stack)).mode, 'legacy');
    });
  });

  test('after a rollback the plan can wait for a retry, which starts again from the contract gate', async () => {
    const family = `${defaultFamily}    onRollback: wait-for-retry\n`;
    await scenario('retry', { family }, async ({ stack, start }) => {
      stack.candidate.behaviour = 'different';
      const handle = await start();
      const waiting = await waitForProgress(handle, 'a retry to be awaited', (p) => p.stage === 'waiting-for-retry');
      assert.equal(waiting.rollback?.type, 'ContractGateFailed');
      stack.candidate.behaviour = 'same';
      await handle.signal(retrySignal, { by: 'alice' });
      const again = await waitForPending(handle, 'ramp-start');
      assert.equal(again.attempt, 2);
      assert.equal(again.parity?.status, 'met');
      await handle.signal(abortSignal, { by: 'alice', reason: 'enough for today' });
      await waitForProgress(handle, 'the second rollback', (p) => p.stage === 'waiting-for-retry' && p.attempt === 2);
      assert.equal((await handle.describe()).status.name, 'RUNNING', 'a migration waiting for retry is still running');
      await handle.signal(abortSignal, { by: 'alice', reason: 'giving up' });
      // The abort that ends the wait is how the run ends: a failure of its own type.
      const failure = await handle.result().then(
        () => assert.fail('the migration completed'),
        (err: unknown) => err,
      );
      assert.ok(failure instanceof WorkflowFailedError && failure.cause instanceof ApplicationFailure, String(failure));
      assert.equal(failure.cause.type, 'MigrationAborted');
      assert.match(
        failure.cause.message,
        /^aborted by alice while waiting for retry: giving up \(rolled back — Aborted: /,
      );
      const result = await migrationResult(handle);
      assert.equal(result.outcome, 'rolled-back');
      assert.equal(result.type, 'Aborted');
      assert.equal(result.reason, failure.cause.message);
      assert.equal((await routeOf(stack)).mode, 'legacy');
    });
  });

  test('parity never met rolls back at the deadline with the differing path', async () => {
    const family = defaultFamily.replace('timeout: 20s', 'timeout: 3s');
    await scenario('parity-fail', { family, cases: {} }, async ({ stack, start }) => {
      stack.candidate.behaviour = 'different';
      const handle = await start();
      const result = await migrationResult(handle);
      assert.equal(result.type, 'ParityNotReached', result.reason);
      assert.match(result.reason ?? '', /\$\.address\.zip/);
      assert.equal((await routeOf(stack)).mode, 'legacy');
      await recordHistory(handle, 'parity-not-reached');
    });
  });

  test('no traffic is not enough evidence for parity, never parity', async () => {
    const family = defaultFamily.replace('timeout: 20s', 'timeout: 2s');
    await scenario('no-traffic', { family, cases: {}, traffic: false }, async ({ start }) => {
      const handle = await start();
      const result = await migrationResult(handle);
      assert.equal(result.type, 'NotEnoughEvidence');
      assert.match(result.reason ?? '', /not enough evidence for parity within 2s: no shadow samples/);
      assert.equal(result.progress.parity?.status, 'no-samples');
      assert.equal(result.progress.parity?.outcome, 'insufficient');
    });
  });

  test('an SLO breach at 25% rolls back before the bake ends, within seconds', async () => {
    const family = defaultFamily
      .replace('{ percent: 25, bake: 1500ms }', '{ percent: 25, bake: 5m }')
      .replace('maxP95Ratio: 20', 'maxP95Ratio: 3');
    await scenario('slo-breach', { family }, async ({ stack, start }) => {
      const handle = await start();
      await waitForPending(handle, 'ramp-start');
      await handle.executeUpdate(approveUpdate, { args: [{ step: 'ramp-start', approver: 'alice' }] });
      await waitForProgress(handle, 'the 25% bake', (p) => p.percent === 25 && p.stage === 'ramp');
      stack.candidate.behaviour = 'slow';
      const flipped = Date.now();
      const result = await migrationResult(handle);
      const took = Date.now() - flipped;
      assert.equal(result.type, 'SloBreached', result.reason);
      assert.match(result.reason ?? '', /p95/);
      assert.equal((await routeOf(stack)).mode, 'legacy');
      assert.ok(took < 60_000, 'long before the 5m bake ended');
      assert.ok(
        (result.progress.rollback?.durationMs ?? Infinity) <= 5000,
        `compensations took ${result.progress.rollback?.durationMs} ms`,
      );
      await assertNoRepeatedUpserts(handle);
      await recordHistory(handle, 'slo-breach');
    });
  });

  test('a router guard trip rolls the workflow back', async () => {
    const family = defaultFamily.replace('{ percent: 25, bake: 1500ms }', '{ percent: 25, bake: 5m }');
    await scenario('guard', { family }, async ({ stack, start }) => {
      const handle = await start();
      await waitForPending(handle, 'ramp-start');
      await handle.executeUpdate(approveUpdate, { args: [{ step: 'ramp-start', approver: 'alice' }] });
      await waitForProgress(handle, 'the 25% bake', (p) => p.percent === 25 && p.stage === 'ramp');
      stack.candidate.behaviour = 'errors';
      const result = await migrationResult(handle);
      assert.equal(result.type, 'GuardTripped', result.reason);
      const route = await routeOf(stack);
      assert.equal(route.mode, 'legacy');
      // The demo's rollback: one upsert per change through ramp, trip and compensations.
      const upserts = await assertNoRepeatedUpserts(handle);
      assert.match(upserts.at(-1)!, /PhoenixPercent=0 .*PhoenixStage="rolled-back"/);
      await recordHistory(handle, 'guard-tripped');
    });
  });

  test('a rejection rolls back with the reason, and a wrong step or approver is refused without a trace', async () => {
    await scenario('reject', {}, async ({ stack, start }) => {
      const handle = await start();
      await waitForPending(handle, 'ramp-start');
      const beforeEvents = (await handle.fetchHistory()).events?.length ?? 0;
      await assert.rejects(
        handle.executeUpdate(approveUpdate, { args: [{ step: 'ramp-start', approver: 'mallory' }] }),
        (err: unknown) =>
          err instanceof WorkflowUpdateFailedError && /may not decide/.test(String((err.cause as Error)?.message)),
      );
      await assert.rejects(
        handle.executeUpdate(approveUpdate, { args: [{ step: 'ramp:100', approver: 'alice' }] }),
        (err: unknown) =>
          err instanceof WorkflowUpdateFailedError && /not pending/.test(String((err.cause as Error)?.message)),
      );
      const history = await handle.fetchHistory();
      assert.ok(
        !(history.events ?? []).some((e) => e.workflowExecutionUpdateAcceptedEventAttributes),
        'refused updates leave no trace',
      );
      assert.ok((history.events?.length ?? 0) >= beforeEvents);
      await handle.executeUpdate(rejectUpdate, {
        args: [{ step: 'ramp-start', approver: 'alice', reason: 'p95 looks odd' }],
      });
      const result = await migrationResult(handle);
      assert.equal(result.type, 'ApprovalRejected');
      assert.match(result.reason ?? '', /p95 looks odd/);
      assert.equal((await routeOf(stack)).mode, 'legacy');
      await recordHistory(handle, 'rejected');
    });
  });

  test('an abort mid-ramp rolls back to legacy', async () => {
    const family = defaultFamily.replace('{ percent: 25, bake: 1500ms }', '{ percent: 25, bake: 5m }');
    await scenario('abort', { family }, async ({ stack, start }) => {
      const handle = await start();
      await waitForPending(handle, 'ramp-start');
      await handle.executeUpdate(approveUpdate, { args: [{ step: 'ramp-start', approver: 'alice' }] });
      await waitForProgress(handle, 'the 25% bake', (p) => p.percent === 25 && p.stage === 'ramp');
      await handle.signal(abortSignal, { reason: 'customer incident', by: 'bob' });
      const result = await migrationResult(handle);
      assert.equal(result.type, 'Aborted');
      assert.match(result.reason ?? '', /customer incident/);
      assert.equal((await routeOf(stack)).mode, 'legacy');
      assert.equal(result.progress.percent, 0);
      await recordHistory(handle, 'aborted');
    });
  });

  test('an approval timeout follows the plan: reject rolls back', async () => {
    const family = defaultFamily.replace(
      'approval: { timeout: 30s, remindBefore: 10s }',
      'approval: { timeout: 2s, remindBefore: 1s, onTimeout: reject }',
    );
    await scenario('approval-timeout', { family }, async ({ stack, start }) => {
      const handle = await start();
      const result = await migrationResult(handle);
      assert.equal(result.type, 'ApprovalTimedOut', result.reason);
      assert.equal((await routeOf(stack)).mode, 'legacy');
      assert.ok(result.progress.decisions.some((d) => d.kind === 'timed-out' && d.step === 'ramp-start'));
    });
  });

  test('pause holds the current percent past the bake; resume continues', async () => {
    const family = defaultFamily.replace('{ percent: 25, bake: 1500ms }', '{ percent: 25, bake: 2s }');
    await scenario('pause', { family }, async ({ stack, start }) => {
      const handle = await start();
      await waitForPending(handle, 'ramp-start');
      await handle.executeUpdate(approveUpdate, { args: [{ step: 'ramp-start', approver: 'alice' }] });
      await waitForProgress(handle, 'the 25% bake', (p) => p.percent === 25 && p.stage === 'ramp');
      await handle.signal(pauseSignal, { by: 'bob', reason: 'watching dashboards' });
      await waitForProgress(handle, 'paused', (p) => p.paused);
      // Held well past the 2 s bake: still at 25% and not asking for the next step.
      const pausedAt = Date.now();
      await waitFor('4 s of pause', () => Date.now() - pausedAt > 4000, { timeoutMs: 10_000, intervalMs: 200 });
      const held = await handle.query(progressQuery);
      assert.equal(held.percent, 25);
      assert.equal(held.pending, undefined);
      assert.equal((await routeOf(stack)).percent, 25);
      await handle.signal(resumeSignal, { by: 'bob' });
      await waitForPending(handle, 'ramp:100');
      await handle.executeUpdate(approveUpdate, { args: [{ step: 'ramp:100', approver: 'alice' }] });
      const result = await migrationResult(handle);
      assert.equal(result.outcome, 'completed', result.reason);
      assert.deepEqual(
        result.progress.decisions.filter((d) => d.kind === 'paused' || d.kind === 'resumed').map((d) => d.kind),
        ['paused', 'resumed'],
      );
      await recordHistory(handle, 'pause-resume');
    });
  });
});

describe('migrateFamily with a worker killed mid-ramp', () => {
  test('a restarted worker continues from the same step without ramping twice', async () => {
    const family = defaultFamily.replace('{ percent: 25, bake: 1500ms }', '{ percent: 25, bake: 4s }');
    const stack = await startStack({ family });
    const traffic = driveTraffic(stack.router.url);
    const tq = taskQueue('kill');
    const spawnWorker = () => spawnHarnessWorker(t.address, tq, reportDir);
    let worker = await spawnWorker();
    try {
      const handle = await startMigration(t.client, stack, tq);
      await waitForPending(handle, 'ramp-start', 60_000);
      await handle.executeUpdate(approveUpdate, { args: [{ step: 'ramp-start', approver: 'alice' }] });
      await waitForProgress(handle, 'the 25% bake', (p) => p.percent === 25 && p.stage === 'ramp');
      await killWorker(worker);
      worker = await spawnWorker();
      await waitForPending(handle, 'ramp:100', 60_000);
      await handle.executeUpdate(approveUpdate, { args: [{ step: 'ramp:100', approver: 'alice' }] });
      const result = await migrationResult(handle);
      assert.equal(result.outcome, 'completed', result.reason);
      const canary = (await scheduledActivities(handle)).filter((a) => a.summary === 'canary 25%');
      assert.equal(canary.length, 1, 'the 25% step was applied once');
      await recordHistory(handle, 'worker-killed');
    } finally {
      await killWorker(worker);
      await traffic.stop();
      await stack.close();
    }
  });
});
