/** `migrateFamily` rolling back: each way a migration ends before 100%, with the route on legacy. */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ApplicationFailure, WorkflowUpdateFailedError } from '@temporalio/client';
import { abortSignal, approveUpdate, rejectUpdate } from '../../src/workflows/messages.js';
import { UpdateRefusal } from '../../src/workflows/failures.js';
import { bake25, type FamilyOverrides } from '../helpers/plan-builder.js';
import { recordHistory, routeOf, waitForPending, waitForProgress } from './harness.js';
import { migrationResult } from '../../src/lib/migration-outcome.js';
import { scenarioFile } from './family-scenario.js';
import { assertNoRepeatedUpserts } from './history-checks.js';

const suite = scenarioFile('phx-reports-');

describe('migrateFamily rolls back', { concurrency: 1 }, () => {
  test('parity never met rolls back at the deadline with the differing path', async () => {
    await suite.scenario(
      'parity-fail',
      { family: { parity: { timeout: '3s' } }, cases: {} },
      async ({ stack, start }) => {
        stack.candidate.behaviour = 'different';
        const handle = await start();
        const result = await migrationResult(handle);
        assert.equal(result.type, 'ParityNotReached', result.reason);
        assert.match(result.reason ?? '', /\$\.address\.zip/);
        assert.equal((await routeOf(stack)).mode, 'legacy');
        await recordHistory(handle, 'parity-not-reached');
      },
    );
  });

  test('no traffic is not enough evidence for parity, never parity', async () => {
    const family = { parity: { timeout: '2s' } };
    await suite.scenario('no-traffic', { family, cases: {}, traffic: false }, async ({ start }) => {
      const handle = await start();
      const result = await migrationResult(handle);
      assert.equal(result.type, 'NotEnoughEvidence');
      assert.match(result.reason ?? '', /not enough evidence for parity within 2s: no shadow samples/);
      assert.equal(result.progress.parity?.status, 'no-samples');
      assert.equal(result.progress.parity?.outcome, 'insufficient');
    });
  });

  test('an SLO breach at 25% rolls back before the bake ends, within seconds', async () => {
    const family = { ...bake25('5m'), slo: { maxP95Ratio: 3 } };
    await suite.scenario('slo-breach', { family }, async ({ stack, start }) => {
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
    // An error-rate SLO that never fails on its own, so the trip is the guard's (3 failures in a row).
    const family: FamilyOverrides = { ...bake25('5m'), slo: { maxErrorRate: 0.99 } };
    await suite.scenario('guard', { family }, async ({ stack, start }) => {
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
    await suite.scenario('reject', {}, async ({ stack, start }) => {
      const handle = await start();
      await waitForPending(handle, 'ramp-start');
      const beforeEvents = (await handle.fetchHistory()).events?.length ?? 0;
      await assert.rejects(
        handle.executeUpdate(approveUpdate, { args: [{ step: 'ramp-start', approver: 'mallory' }] }),
        (err: unknown) => refusedAs(err, UpdateRefusal.NotAllowed),
      );
      await assert.rejects(
        handle.executeUpdate(approveUpdate, { args: [{ step: 'ramp:100', approver: 'alice' }] }),
        (err: unknown) => refusedAs(err, UpdateRefusal.NotPending),
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
    await suite.scenario('abort', { family: bake25('5m') }, async ({ stack, start }) => {
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
    const family = { approval: { timeout: '2s', remindBefore: '1s', onTimeout: 'reject' as const } };
    await suite.scenario('approval-timeout', { family }, async ({ stack, start }) => {
      const handle = await start();
      const result = await migrationResult(handle);
      assert.equal(result.type, 'ApprovalTimedOut', result.reason);
      assert.equal((await routeOf(stack)).mode, 'legacy');
      assert.ok(result.progress.decisions.some((d) => d.kind === 'timed-out' && d.step === 'ramp-start'));
    });
  });
});

/** An update refused by its validator with the given type. */
function refusedAs(err: unknown, type: UpdateRefusal): boolean {
  return err instanceof WorkflowUpdateFailedError && err.cause instanceof ApplicationFailure && err.cause.type === type;
}
