import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { access, readFile } from 'node:fs/promises';
import path from 'node:path';
import { WorkflowFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { migrationResult, outcomeOf } from '../../src/lib/migration-outcome.js';
import { withoutCredentials } from '../../src/workflows/memo.js';
import { abortSignal, rejectUpdate } from '../../src/workflows/messages.js';
import type { MigrationResult } from '../../src/workflows/migration-state.js';
import { waitFor } from '../helpers/wait.js';
import type { Stack } from './support.js';
import { scenarioFile } from './family-scenario.js';
import { recordHistory, routeOf, waitForPending, type MigrationHandle } from './harness.js';
import { assertDescribedMessages, assertNoRepeatedUpserts, assertUiShows } from './history-checks.js';

const suite = scenarioFile('phx-reports-');

/** A stack with traffic and the file's worker, for as long as `body` runs. */
function scenario(
  name: string,
  body: (ctx: { stack: Stack; handle: MigrationHandle }) => Promise<void>,
): Promise<void> {
  return suite.scenario(name, {}, async ({ stack, start }) => body({ stack, handle: await start() }));
}

/** The saved views' queries in docs/temporal-ui.md, by heading. */
async function savedViews(): Promise<Record<string, string>> {
  const text = await readFile(path.join(import.meta.dirname, '..', '..', 'docs', 'temporal-ui.md'), 'utf8');
  const views: Record<string, string> = {};
  for (const m of text.matchAll(/^### (.+)\n(?:(?!###)[\s\S])*?```text\n(.+)\n```/gm)) views[m[1]!] = m[2]!;
  return views;
}

/** Waits until the list filter `query`, narrowed to `handle`'s run, finds it (visibility lags a little). */
async function listedBy(handle: MigrationHandle, query: string): Promise<void> {
  const q = `(${query}) AND WorkflowId = '${handle.workflowId}'`;
  await waitFor(
    `the run listed by ${query}`,
    async () => {
      for await (const w of suite.t.client.workflow.list({ query: q }))
        if (w.workflowId === handle.workflowId) return true;
      return false;
    },
    { timeoutMs: 15_000, intervalMs: 300 },
  );
}

/** The failure a finished migration ended with; fails the test if it completed. */
async function failureOf(handle: MigrationHandle): Promise<ApplicationFailure> {
  const err = await handle.result().then(
    (r) => assert.fail(`the migration completed: ${JSON.stringify(r.outcome)}`),
    (e: unknown) => e,
  );
  assert.ok(err instanceof WorkflowFailedError, `expected a WorkflowFailedError, got ${String(err)}`);
  assert.ok(err.cause instanceof ApplicationFailure, `expected an ApplicationFailure, got ${String(err.cause)}`);
  return err.cause;
}

describe('a migration that does not go through ends as a failed workflow', { concurrency: 1 }, () => {
  test('a rejection rolls back, then fails as MigrationRolledBack with the result in its details', async () => {
    await scenario('rolled-back-fails', async ({ stack, handle }) => {
      const views = await savedViews();
      assert.deepEqual(Object.keys(views), ['In progress', 'Waiting for approval', 'Rolled back this week']);
      await waitForPending(handle, 'ramp-start');
      // The documented saved views find the run while it waits, and after it rolled back.
      await listedBy(handle, views['In progress']!);
      await listedBy(handle, views['Waiting for approval']!);
      await handle.executeUpdate(rejectUpdate, {
        args: [{ step: 'ramp-start', approver: 'alice', reason: 'p95 looks odd' }],
      });
      const failure = await failureOf(handle);
      assert.equal(failure.type, 'MigrationRolledBack');
      assert.equal(failure.nonRetryable, true);
      assert.match(failure.message, /p95 looks odd/);
      const result = failure.details?.[0] as MigrationResult;
      assert.equal(result.outcome, 'rolled-back');
      assert.equal(result.type, 'ApprovalRejected');
      assert.equal(result.reason, failure.message);
      assert.equal(result.progress.stage, 'rolled-back');
      assert.ok(result.report, 'the details carry the report paths');
      await access(result.report.json);
      await access(result.report.markdown);
      await access(result.report.html!);
      assert.equal((await routeOf(stack)).mode, 'legacy', 'compensations ran before the failure');
      assert.deepEqual(await migrationResult(handle), result);
      assert.equal(outcomeOf(result), 'rolled-back');

      const d = await handle.describe();
      assert.equal(d.status.name, 'FAILED');
      // The memo: what the UI's Memo tab shows, the report's location included once written.
      const family = stack.plan.families[0]!;
      const memo = {
        plan: stack.plan.name,
        family: family.name,
        routes: family.routes,
        upstreams: { legacy: family.legacy, new: family.new },
        report: result.report,
      };
      assert.deepEqual(d.memo, memo);
      // What the Temporal UI shows, through its own HTTP API: a Failed row, the reason, the memo.
      await assertUiShows(suite.t.uiUrl, handle, {
        status: 'FAILED',
        memo,
        failure: { type: 'MigrationRolledBack', message: result.reason },
      });
      await assertDescribedMessages(handle);
      const upserts = await assertNoRepeatedUpserts(handle);
      assert.match(upserts.at(-1)!, /PhoenixStage="rolled-back"/);
      const weekAgo = new Date(Date.now() - 7 * 24 * 3600_000).toISOString().replace(/\.\d+Z$/, 'Z');
      await listedBy(handle, views['Rolled back this week']!.replace(/'\d{4}-\d\d-\d\dT[\d:]+Z'/, `'${weekAgo}'`));
      await recordHistory(handle, 'rolled-back-fails');
    });
  });

  test('an abort rolls back, then fails as MigrationAborted, told apart from a rollback', async () => {
    await scenario('aborted-fails', async ({ stack, handle }) => {
      await waitForPending(handle, 'ramp-start');
      await handle.signal(abortSignal, { reason: 'customer incident', by: 'bob' });
      const failure = await failureOf(handle);
      assert.equal(failure.type, 'MigrationAborted');
      assert.equal(failure.nonRetryable, true);
      assert.match(failure.message, /aborted by bob: customer incident/);
      const result = failure.details?.[0] as MigrationResult;
      assert.equal(result.type, 'Aborted');
      assert.equal(outcomeOf(result), 'aborted');
      assert.ok(result.report, 'the details carry the report paths');
      assert.equal((await routeOf(stack)).mode, 'legacy');
    });
  });
});

describe('withoutCredentials', () => {
  test('drops user info, query and fragment of an upstream URL for the memo', () => {
    assert.equal(
      withoutCredentials('https://svc:s3cret@legacy.internal:8443/base?token=x#y'),
      'https://legacy.internal:8443/base',
    );
    assert.equal(withoutCredentials('http://127.0.0.1:5000'), 'http://127.0.0.1:5000');
    assert.equal(withoutCredentials('http://host/path@v2'), 'http://host/path@v2');
  });
});
