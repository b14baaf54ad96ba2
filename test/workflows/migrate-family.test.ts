/**
 * `migrateFamily` end to end on the suite's Temporal server: the whole walk to decommission, and
 * the contract gate that stops it (rollbacks later in the ramp: migrate-family-rollbacks.test.ts;
 * pause and a killed worker: migrate-family-interrupted.test.ts).
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { access } from 'node:fs/promises';
import { WorkflowFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { abortSignal, approveUpdate, progressQuery, retrySignal } from '../../src/workflows/messages.js';
import { recordHistory, routeOf, scheduledActivities, waitForPending, waitForProgress } from './harness.js';
import { migrationResult } from '../../src/lib/migration-outcome.js';
import { assertDescribedMessages, assertNoRepeatedUpserts, assertUiShows } from './history-checks.js';
import { scenarioFile } from './family-scenario.js';

const suite = scenarioFile('phx-reports-');

describe('migrateFamily', { concurrency: 1 }, () => {
  test('walks every stage to decommission, writes the report and stays under 2,000 events', async () => {
    await suite.scenario('happy', { maxCachedWorkflows: 0 }, async ({ stack, start }) => {
      const handle = await start();
      // No workflow cache: every task replays the history, slow on a loaded machine; each query
      // replays it too, so these waits ask twice a second.
      await waitForPending(handle, 'ramp-start', 90_000, 500);
      const p = await handle.query(progressQuery);
      assert.equal(p.parity?.status, 'met');
      assert.ok((p.parity?.samples ?? 0) >= 20);
      await handle.executeUpdate(approveUpdate, { args: [{ step: 'ramp-start', approver: 'alice', via: 'cli' }] });
      await waitForPending(handle, 'ramp:100', 90_000, 500);
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
      await assertUiShows(suite.t.uiUrl, handle, {
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
      // happy-path.json is the same walk recorded before bakes were measured on the workflow's clock.
      const events = await recordHistory(handle, 'happy-path-holds-by-clock');
      assert.ok(events < 2000, `history has ${events} events`);
      const summaries = (await scheduledActivities(handle)).map((a) => a.summary);
      assert.ok(summaries.includes('canary 25%'), summaries.join(' | '));
      assert.ok(summaries.includes('pin route to new'));
    });
  });

  test('a failing contract case stops the migration before any route change', async () => {
    await suite.scenario('contract-fail', {}, async ({ stack, start }) => {
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
    await suite.scenario('teardown-fail', { cases, traffic: false }, async ({ stack, start }) => {
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
    await suite.scenario('retry', { family: { onRollback: 'wait-for-retry' } }, async ({ stack, start }) => {
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
});
