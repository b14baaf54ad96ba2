import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { approveUpdate, progressQuery, rejectUpdate } from '../../src/workflows/messages.js';
import { renderProgress } from '../../src/report/render-progress.js';
import { clickButton, startTestReceiver } from '../helpers/slack.js';
import { bake25, type FamilyOverrides } from '../helpers/plan-builder.js';
import { waitFor } from '../helpers/wait.js';
import { addressableFamily, driveTraffic, startStack, type Stack } from './support.js';
import {
  recordHistory,
  routeOf,
  scheduledActivities,
  startMigration,
  waitForPending,
  waitForProgress,
  type MigrationHandle,
} from './harness.js';
import { slackScenarioFile } from './family-scenario.js';
import { migrationResult } from '../../src/lib/migration-outcome.js';

const suite = slackScenarioFile('hold');

/**
 * The default family with `onBreach: hold` and a 25% bake of `bake`; a `slow` new service (150 ms)
 * breaches its latency SLO (shift over 25 ms), well below the guard's hard errors.
 */
function holdFamily(bake: string, decisionTimeout = '30s'): FamilyOverrides {
  return { ...bake25(bake), onBreach: 'hold', breachDecision: { timeout: decisionTimeout } };
}

/**
 * A migration baking 25% with `family`. With `withSlack`, approvers are Slack ids, the worker
 * posts to the Slack stand-in and a receiver takes clicks; the workflow id is then the real
 * `phoenix-<family>` (of a family no other test file uses), which the receiver insists on.
 */
async function scenario(
  name: string,
  family: FamilyOverrides,
  body: (ctx: {
    stack: Stack;
    handle: MigrationHandle;
    approver: string;
    click?: (user: string, action: string, value: string) => Promise<unknown>;
  }) => Promise<void>,
  withSlack = false,
): Promise<void> {
  const approver = withSlack ? 'UALICE' : 'alice';
  const stack = await startStack({
    family: withSlack ? { ...family, slackChannel: 'C123' } : family,
    approvers: [approver],
    ...(withSlack ? { name: addressableFamily } : {}),
  });
  const traffic = driveTraffic(stack.router.url);
  const receiver = withSlack ? await startTestReceiver(suite, stack.plan) : undefined;
  let handle: MigrationHandle | undefined;
  try {
    await suite.worker.run(async () => {
      handle = withSlack
        ? await startMigration(suite.t.client, stack, suite.worker.tq, {}, { addressable: true })
        : await startMigration(suite.t.client, stack, suite.worker.tq, {}, { workflowId: suite.worker.idFor(name) });
      await waitForPending(handle, 'ramp-start');
      await handle.executeUpdate(approveUpdate, { args: [{ step: 'ramp-start', approver }] });
      await waitForProgress(handle, 'the 25% bake', (p) => p.percent === 25 && p.stage === 'ramp');
      await body({
        stack,
        handle,
        approver,
        click: receiver ? (user, action, value) => clickButton(receiver, user, action, value) : undefined,
      });
    });
  } finally {
    // A migration a failed test left running stops here, as it did when its worker stopped.
    await handle?.terminate('the test scenario ended').catch(() => undefined);
    await receiver?.close();
    await traffic.stop();
    await stack.close();
  }
}

describe('onBreach: hold', { concurrency: 1 }, () => {
  test('a breach holds the route at its step and asks in Slack; Approve there continues the ramp', async () => {
    const from = suite.slack.calls.length;
    await scenario(
      'hold-continue',
      holdFamily('3s'),
      async ({ stack, handle, click }) => {
        const before = await routeOf(stack);
        stack.candidate.behaviour = 'slow';
        const held = await waitForPending(handle, 'hold:ramp:25');
        assert.equal(held.stage, 'awaiting-approval');
        assert.equal(held.percent, 25);
        assert.match(
          held.pending!.description,
          /^breach at 25% \(.+\); approve to continue the ramp, reject to roll back$/,
        );
        assert.deepEqual(held.pending!.approvers, ['UALICE']);
        const shown = renderProgress(held);
        assert.match(shown, new RegExp(`npx phoenix approve ${addressableFamily} --step hold:ramp:25 --as UALICE`));
        assert.match(shown, new RegExp(`npx phoenix reject ${addressableFamily} --step hold:ramp:25`));
        // Held, not rolled back: the route stays canary 25% while the decision waits, through four
        // of the hold's guard checks (one each 250 ms analysis interval).
        await waitFor(
          'four guard checks while held',
          async () =>
            (await scheduledActivities(handle)).filter((a) => a.summary === 'guard while held at 25%').length >= 4,
          { intervalMs: 250 },
        );
        const during = await routeOf(stack);
        assert.equal(during.mode, 'canary');
        assert.equal(during.percent, 25);
        assert.equal(during.version, before.version, 'the route was not touched');
        assert.equal((await handle.query(progressQuery)).pending?.step, 'hold:ramp:25');

        const ask = await waitFor('the Slack request for a decision on the hold', () =>
          suite.slack.calls
            .slice(from)
            .find(
              (c) => c.method === 'chat.postMessage' && JSON.stringify(c.body.blocks ?? '').includes('hold:ramp:25'),
            ),
        );
        assert.match(
          String(ask.body.text),
          new RegExp(`^Approve ${addressableFamily}: continue the ramp at 25% after a breach \\(.+\\)\\?$`),
        );
        const value = (ask.body.blocks as { type: string; elements?: { action_id: string; value?: string }[] }[])
          .find((b) => b.type === 'actions')!
          .elements!.find((e) => e.action_id === 'phoenix_approve')!.value!;

        stack.candidate.behaviour = 'same';
        await click!('UALICE', 'phoenix_approve', value);
        await waitForProgress(handle, 'the ramp to go on at 25%', (p) => p.stage === 'ramp' && p.pending === undefined);
        assert.equal((await routeOf(stack)).percent, 25);
        await waitForPending(handle, 'ramp:100', 90_000);
        await handle.executeUpdate(approveUpdate, { args: [{ step: 'ramp:100', approver: 'UALICE' }] });
        const result = await migrationResult(handle);
        assert.equal(result.outcome, 'completed', result.reason);
        assert.ok(
          result.progress.decisions.some(
            (d) => d.kind === 'approved' && d.step === 'hold:ramp:25' && d.by === 'UALICE' && d.detail === 'slack',
          ),
        );
        assert.ok(result.progress.decisions.some((d) => d.step === 'hold:ramp:25' && /^held: .+/.test(d.detail ?? '')));
        await recordHistory(handle, 'held-continued');
      },
      true,
    );
  });

  test('rejecting a held breach rolls back to legacy with the breach as the reason', async () => {
    await scenario('hold-reject', holdFamily('5m'), async ({ stack, handle }) => {
      stack.candidate.behaviour = 'slow';
      await waitForPending(handle, 'hold:ramp:25');
      assert.equal((await routeOf(stack)).percent, 25);
      await handle.executeUpdate(rejectUpdate, {
        args: [{ step: 'hold:ramp:25', approver: 'alice', reason: 'too slow for checkout' }],
      });
      const result = await migrationResult(handle);
      assert.equal(result.outcome, 'rolled-back');
      assert.equal(result.type, 'SloBreached');
      assert.match(
        result.reason ?? '',
        /^SLO breached at 25%: .+ — held, rolled back by alice: too slow for checkout$/,
      );
      assert.equal((await routeOf(stack)).mode, 'legacy');
      await recordHistory(handle, 'held-rejected');
    });
  });

  test('without a decision the timeout rolls back (the default)', async () => {
    await scenario('hold-timeout', holdFamily('5m', '1500ms'), async ({ stack, handle }) => {
      stack.candidate.behaviour = 'slow';
      await waitForPending(handle, 'hold:ramp:25');
      const result = await migrationResult(handle);
      assert.equal(result.type, 'SloBreached', result.reason);
      assert.match(result.reason ?? '', /held, no decision within 1s500ms/);
      assert.ok(result.progress.decisions.some((d) => d.kind === 'timed-out' && d.step === 'hold:ramp:25'));
      assert.equal((await routeOf(stack)).mode, 'legacy');
    });
  });

  test('a tripped router guard is never held: it rolls back at once', async () => {
    // An error-rate SLO that never fails on its own: a breach seen first would be held.
    const family: FamilyOverrides = { ...holdFamily('5m'), slo: { maxErrorRate: 0.99 } };
    await scenario('hold-guard', family, async ({ stack, handle }) => {
      stack.candidate.behaviour = 'errors';
      const result = await migrationResult(handle);
      assert.equal(result.type, 'GuardTripped', result.reason);
      assert.ok(!result.progress.decisions.some((d) => d.step?.startsWith('hold:')), 'nothing was held');
      assert.equal((await routeOf(stack)).mode, 'legacy');
    });
  });

  test('the guard tripping while a breach is held rolls back without waiting for the decision', async () => {
    await scenario('hold-then-guard', holdFamily('5m', '5m'), async ({ stack, handle }) => {
      stack.candidate.behaviour = 'slow';
      await waitForPending(handle, 'hold:ramp:25');
      stack.candidate.behaviour = 'errors';
      const result = await migrationResult(handle);
      assert.equal(result.type, 'GuardTripped', result.reason);
      assert.match(result.reason ?? '', /while held/);
      assert.equal((await routeOf(stack)).mode, 'legacy');
    });
  });
});
