import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import type { RunningSlackReceiver } from '../../src/slack/receiver.js';
import { ROLLBACK_ACTION } from '../../src/slack/rollback-blocks.js';
import type { FamilyPlan } from '../../src/plan/index.js';
import { approveUpdate } from '../../src/workflows/messages.js';
import { renderProgress } from '../../src/report/render-progress.js';
import { clickButton, startTestReceiver } from '../helpers/slack.js';
import type { FamilyOverrides } from '../helpers/plan-builder.js';
import { waitFor } from '../helpers/wait.js';
import { runPhoenix, type CliRun } from '../helpers/phoenix-cli.js';
import { addressableFamily as F, driveTraffic, startStack, type Stack } from './support.js';
import { slackScenarioFile } from './family-scenario.js';
import { routeOf, startMigration, waitForPending, waitForProgress, type MigrationHandle } from './harness.js';
import { migrationResult } from '../../src/lib/migration-outcome.js';

const suite = slackScenarioFile('rb100');

const phoenix = (...args: string[]): Promise<CliRun> => runPhoenix(suite.t.address, ...args);

const longWindow: FamilyOverrides = { decommission: { noLegacyTrafficFor: '5m' } };

/**
 * A stack, traffic and a worker; the CLI and the Slack receiver address `phoenix-<family>`, so
 * migrations here use that id (one at a time).
 */
async function world(
  o: { family?: FamilyOverrides; approvers?: string[]; slack?: boolean },
  body: (w: {
    stack: Stack;
    start: (f?: Partial<FamilyPlan>) => Promise<MigrationHandle>;
    receiver?: RunningSlackReceiver;
  }) => Promise<void>,
): Promise<void> {
  const stack = await startStack({ family: o.family, approvers: o.approvers, name: F });
  const traffic = driveTraffic(stack.router.url);
  let receiver: RunningSlackReceiver | undefined;
  let handle: MigrationHandle | undefined;
  try {
    if (o.slack) receiver = await startTestReceiver(suite, stack.plan);
    const start = async (f: Partial<FamilyPlan> = {}): Promise<MigrationHandle> =>
      (handle = await startMigration(suite.t.client, stack, suite.worker.tq, f, { addressable: true }));
    await suite.worker.run(() => body({ stack, start, receiver }));
  } finally {
    // A migration a failed test left running stops here, as it did when its worker stopped.
    await handle?.terminate('the test world ended').catch(() => undefined);
    await receiver?.close();
    await traffic.stop();
    await stack.close();
  }
}

/** Approves the ramp through to 100% and waits in the decommission checklist with the route on new. */
async function toDecommission(handle: MigrationHandle, stack: Stack, approver: string): Promise<void> {
  await waitForPending(handle, 'ramp-start');
  await handle.executeUpdate(approveUpdate, { args: [{ step: 'ramp-start', approver }] });
  await waitForPending(handle, 'ramp:100');
  await handle.executeUpdate(approveUpdate, { args: [{ step: 'ramp:100', approver }] });
  await waitForProgress(
    handle,
    'the decommission checklist at 100%',
    (p) => p.stage === 'decommission' && p.percent === 100,
  );
  // The stage opens before its first step pins the route to new (from canary at 100%).
  await waitFor('the route pinned to new', async () => (await routeOf(stack)).mode === 'new', { timeoutMs: 10_000 });
}

/** Polls the router until the family is on legacy; returns how long that took. */
async function msUntilLegacy(stack: Stack, from: number): Promise<number> {
  await waitFor('the route back on legacy', async () => (await routeOf(stack)).mode === 'legacy', {
    timeoutMs: 10_000,
    intervalMs: 10,
  });
  return Date.now() - from;
}

describe('rollback after 100%', { concurrency: 1 }, () => {
  test('phoenix rollback in the decommission stage sends the family to legacy within a second', async () => {
    await world({ family: longWindow }, async ({ stack, start }) => {
      const handle = await start();
      await toDecommission(handle, stack, 'alice');
      const p = await waitForProgress(handle, 'the no-legacy window', (x) => x.checklist.length > 0);
      assert.match(renderProgress(p), new RegExp(`npx phoenix rollback ${F} --as <approver>`));

      const refused = await phoenix('rollback', F, '--as', 'mallory');
      assert.equal(refused.code, 5, refused.stderr);
      assert.match(
        refused.stderr,
        new RegExp(`PHX_ERR_ROLLBACK_REFUSED: refused: "mallory" may not roll back ${F}; allowed: alice`),
      );
      assert.equal((await routeOf(stack)).mode, 'new');

      const r = await phoenix('rollback', F, '--as', 'alice', '--reason', 'orders missing on new', '--json');
      const accepted = Date.now();
      assert.equal(r.code, 0, r.stderr);
      const body = JSON.parse(r.stdout) as { by: string; stage: string; percent: number };
      assert.deepEqual([body.by, body.stage, body.percent], ['alice', 'decommission', 100]);
      const took = await msUntilLegacy(stack, accepted);
      assert.ok(took <= 1000, `legacy again ${took} ms after the rollback was accepted`);

      const result = await migrationResult(handle);
      assert.equal(result.outcome, 'rolled-back');
      assert.equal(result.type, 'RollbackRequested');
      assert.match(result.reason ?? '', /rollback requested by alice: orders missing on new/);
      assert.equal(result.progress.legacyRemovableFrom, undefined);
      assert.equal(result.progress.percent, 0);
      const report = await readFile(result.report!.markdown, 'utf8');
      assert.match(
        report,
        /Legacy handlers stay: the family was rolled back before its decommission checklist completed/,
      );
      // The HTML report beside it: the ramp chart has a dot per analysis that saw client traffic,
      // at 25% and at 100%, and the time charts mark the rollback.
      const html = await readFile(result.report!.html!, 'utf8');
      const steps = result.progress.history!.steps;
      assert.deepEqual([...new Set(steps.map((s) => s.percent))], [25, 100]);
      const ramp = html.match(/<figure class="phx-chart" data-chart="ramp">([\s\S]*?)<\/figure>/)?.[1] ?? '';
      const seen = steps.filter((s) => s.totalRequests > 0).length;
      assert.ok(seen > 0, 'analyses saw client traffic');
      assert.equal(ramp.split('<circle').length - 1, seen, 'one dot per analysis with traffic');
      assert.match(ramp, /class="phx-rollback"[^>]*><line /);
      assert.match(ramp, /rollback — RollbackRequested/);
      // The CLI points at it: `report --html` prints its path, `status --json` lists the report's paths.
      const printed = await phoenix('report', F, '--html');
      assert.equal(printed.code, 0, printed.stderr);
      assert.equal(printed.stdout.trim(), result.report!.html);
      const status = await phoenix('status', F, '--json');
      assert.equal(status.code, 0, status.stderr);
      assert.deepEqual((JSON.parse(status.stdout) as { report: unknown }).report, result.report);

      const after = await phoenix('rollback', F, '--as', 'alice');
      assert.equal(after.code, 5);
      assert.match(after.stderr, /PHX_ERR_MIGRATION_NOT_RUNNING/);
    });
  });

  test('a completed checklist states from when legacy may go, and rollback is then refused', async () => {
    await world({}, async ({ stack, start }) => {
      const handle = await start();
      await toDecommission(handle, stack, 'alice');
      const result = await migrationResult(handle);
      assert.equal(result.outcome, 'completed', result.reason);
      const from = result.progress.legacyRemovableFrom;
      assert.ok(from, 'the time the checklist completed');
      const done = result.progress.stageTimings.find((s) => s.stage === 'completed')!.startedAt;
      assert.ok(Date.parse(from) <= Date.parse(done));
      assert.ok(result.progress.checklist.every((c) => c.status === 'passed'));
      const report = await readFile(result.report!.markdown, 'utf8');
      assert.match(report, new RegExp(`Legacy handlers may be removed from ${from.replace(/[.]/g, '\\.')}`));
      const late = await phoenix('rollback', F, '--as', 'alice');
      assert.equal(late.code, 5);
      assert.match(late.stderr, /PHX_ERR_MIGRATION_NOT_RUNNING/);
      assert.equal((await routeOf(stack)).mode, 'new');
    });
  });

  test("the decommission message's Rollback button rolls back for an approver only", async () => {
    const family: FamilyOverrides = { ...longWindow, slackChannel: 'C123' };
    await world({ family, approvers: ['UALICE'], slack: true }, async ({ stack, start, receiver }) => {
      const from = suite.slack.calls.length;
      const handle = await start();
      await toDecommission(handle, stack, 'UALICE');
      const post = await waitFor('the decommission message with a Rollback button', () =>
        suite.slack.calls
          .slice(from)
          .find(
            (c) => c.method === 'chat.postMessage' && JSON.stringify(c.body.blocks ?? '').includes(ROLLBACK_ACTION),
          ),
      );
      const button = (post.body.blocks as { type: string; elements?: { action_id: string; value: string }[] }[])
        .find((b) => b.type === 'actions')!
        .elements!.find((e) => e.action_id === ROLLBACK_ACTION)!.value;
      assert.match(String(post.body.text), /100% of traffic on the new service/);

      assert.equal(
        (await clickButton(receiver!, 'UALICE', ROLLBACK_ACTION, button, { secret: 'forged' })).statusCode,
        401,
      );
      await clickButton(receiver!, 'UBOB', ROLLBACK_ACTION, button);
      const refusal = await waitFor('a refusal for UBOB', () =>
        suite.slack.calls.slice(from).find((c) => c.method === 'chat.postEphemeral' && c.body.user === 'UBOB'),
      );
      assert.match(String(refusal.body.text), new RegExp(`not an approver of rollback for ${F}`));
      assert.equal((await routeOf(stack)).mode, 'new');

      const clicked = Date.now();
      await clickButton(receiver!, 'UALICE', ROLLBACK_ACTION, button);
      const took = await msUntilLegacy(stack, clicked);
      assert.ok(took <= 1500, `legacy again ${took} ms after the click`);
      const result = await migrationResult(handle);
      assert.equal(result.type, 'RollbackRequested');
      const closed = suite.slack.calls
        .slice(from)
        .find(
          (c) =>
            c.method === 'chat.update' && JSON.stringify(c.body.blocks ?? '').includes('roll back to legacy until'),
        );
      assert.ok(closed, 'the Rollback message was rewritten');
      assert.match(JSON.stringify(closed.body.blocks), /superseded/);
      assert.doesNotMatch(JSON.stringify(closed.body.blocks), new RegExp(ROLLBACK_ACTION));
      assert.ok(
        result.progress.decisions.some(
          (d) => d.kind === 'rollback' && d.by === 'UALICE' && /^slack/.test(d.detail ?? ''),
        ),
      );
    });
  });
});
