/**
 * Slack approvals end to end: the real workflow on the suite's Temporal server, the real router
 * and upstreams, the real receiver over HTTP with real signatures, and the real WebClient talking
 * to a local server that stands in for Slack's Web API and records what it receives.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { startSocketMode } from '../../src/slack/socket-mode.js';
import { decodeButtonValue, encodeButtonValue } from '../../src/slack/blocks.js';
import { triageBlocks } from '../../src/slack/triage-blocks.js';
import type { RunningSlackReceiver } from '../../src/slack/receiver.js';
import { slackSignature, verifySlackRequest } from '../../src/slack/verify.js';
import { abortSignal, approveUpdate, progressQuery } from '../../src/workflows/messages.js';
import { clickButton, SECRET, signed, slackSuite, type Call } from '../helpers/slack.js';
import type { FamilyOverrides } from '../helpers/plan-builder.js';
import type { TestTemporal } from '../helpers/temporal.js';
import { waitFor } from '../helpers/wait.js';
import { startMigration, waitForPending, type MigrationHandle } from '../workflows/harness.js';
import {
  addressableFamily as F,
  driveTraffic,
  startStack,
  taskQueue,
  type PlanOverrides,
  type Stack,
} from '../workflows/support.js';
import { runWithSlack, startSlackWorker } from '../workflows/family-scenario.js';
import { migrationResult } from '../../src/lib/migration-outcome.js';

const TOKEN = 'xoxb-test-token';

const suite = slackSuite(TOKEN);

const click = (
  receiver: RunningSlackReceiver,
  user: string,
  action: 'phoenix_approve' | 'phoenix_reject',
  value: string,
  o: { secret?: string; ageSeconds?: number } = {},
) => clickButton(receiver, user, action, value, o);

type Approval = FamilyOverrides['approval'];

/** The test family posting to Slack with `approval`, and a second family only UBOB approves. */
const planWith = (approval: Approval): PlanOverrides => ({
  family: { slackChannel: 'C123', approval },
  moreFamilies: [
    { name: 'other', routes: ['GET /api/others/*'], new: 'http://127.0.0.1:1', approval: { approvers: ['UBOB'] } },
  ],
  approvers: ['UALICE'],
  name: F,
});

async function world(
  approval: Approval,
  body: (s: { stack: Stack; receiver: RunningSlackReceiver; tq: string }) => Promise<void>,
): Promise<void> {
  const stack = await startStack(planWith(approval));
  const traffic = driveTraffic(stack.router.url);
  const tq = taskQueue('slack');
  try {
    await runWithSlack(suite, stack, tq, (receiver) => body({ stack, receiver, tq }));
  } finally {
    await traffic.stop();
    await stack.close();
  }
}

/** The receiver accepts buttons of `phoenix-<family>` workflows only, so these tests use the real id. */
function startAddressable(client: TestTemporal['client'], stack: Stack, tq: string): Promise<MigrationHandle> {
  return startMigration(client, stack, tq, {}, { addressable: true });
}

const approvalPosts = (from = 0) =>
  suite.slack.calls
    .slice(from)
    .filter(
      (c) =>
        c.method === 'chat.postMessage' &&
        Array.isArray(c.body.blocks) &&
        JSON.stringify(c.body.blocks).includes('phoenix_approve'),
    );
const buttonOf = (c: Call): string =>
  (c.body.blocks as { type: string; elements?: { action_id: string; value?: string }[] }[])
    .find((b) => b.type === 'actions')!
    .elements!.find((e) => e.action_id === 'phoenix_approve')!.value!;

describe('Slack request signatures', () => {
  test('good, forged, old, future and tampered requests', () => {
    const now = 1_800_000_000;
    const body = 'payload=%7B%7D';
    const sig = slackSignature(SECRET, String(now), body);
    assert.deepEqual(verifySlackRequest(SECRET, { signature: sig, timestamp: String(now) }, body, now), { ok: true });
    assert.equal(verifySlackRequest('other-secret', { signature: sig, timestamp: String(now) }, body, now).ok, false);
    assert.equal(verifySlackRequest(SECRET, { signature: sig, timestamp: String(now) }, `${body}x`, now).ok, false);
    assert.match(
      (verifySlackRequest(SECRET, { signature: sig, timestamp: String(now) }, body, now + 301) as { reason: string })
        .reason,
      /old or replayed/,
    );
    assert.equal(verifySlackRequest(SECRET, { signature: sig, timestamp: String(now) }, body, now - 301).ok, false);
    assert.equal(verifySlackRequest(SECRET, { timestamp: String(now) }, body, now).ok, false);
  });

  test('button values carry an HMAC; a changed step is detected', () => {
    const v = encodeButtonValue({ workflowId: 'phoenix-users', family: 'users', step: 'ramp:25' }, SECRET);
    assert.deepEqual(decodeButtonValue(v, SECRET), { workflowId: 'phoenix-users', family: 'users', step: 'ramp:25' });
    const [, mac] = v.split('.');
    const forged = `${Buffer.from(JSON.stringify({ workflowId: 'phoenix-users', family: 'users', step: 'ramp:100' })).toString('base64url')}.${mac}`;
    assert.equal(decodeButtonValue(forged, SECRET), undefined);
    assert.ok(v.length < 2000);
  });

  test("triage buttons carry their signature's text, signed; a text too long for a button is left out", () => {
    const button = (text: string) => {
      const blocks = triageBlocks(
        { workflowId: 'phoenix-users', family: 'users', items: [{ id: 'a1b2c3d4e5f6', text, count: 3 }] },
        SECRET,
      );
      const actions = blocks.find((b) => b.type === 'actions') as { elements: { value: string }[] };
      return actions.elements[0]!.value;
    };
    const text = 'GET /api/users/:id $.role value';
    const v = button(text);
    assert.deepEqual(decodeButtonValue(v, SECRET), {
      workflowId: 'phoenix-users',
      family: 'users',
      step: 'triage:a1b2c3d4e5f6',
      text,
    });
    const [payload, mac] = v.split('.');
    const altered = JSON.parse(Buffer.from(payload!, 'base64url').toString('utf8')) as Record<string, unknown>;
    altered.text = 'GET /api/users/:id $.email value';
    assert.equal(
      decodeButtonValue(`${Buffer.from(JSON.stringify(altered)).toString('base64url')}.${mac}`, SECRET),
      undefined,
    );
    const long = button(`GET /api/users/:id $.${'x'.repeat(2000)} value`);
    assert.ok(long.length <= 2000);
    assert.deepEqual(decodeButtonValue(long, SECRET), {
      workflowId: 'phoenix-users',
      family: 'users',
      step: 'triage:a1b2c3d4e5f6',
    });
  });
});

describe('Slack approvals', { concurrency: 1 }, () => {
  test('a signed click approves; forged, old, unknown, other-family, tampered and stale clicks are refused; a CLI approval updates the message; Slack failing then recovering still posts', async () => {
    suite.slack.failPosts = 2;
    await world({ timeout: '30s', remindBefore: '10s' }, async ({ stack, receiver, tq }) => {
      const handle = await startAddressable(suite.t.client, stack, tq);
      await waitForPending(handle, 'ramp-start');
      const post = await waitFor('the approval request in Slack', () => approvalPosts()[0]);
      assert.ok(
        suite.slack.calls.some((c) => c.method === 'chat.postMessage (failed)'),
        'Slack failed first',
      );
      assert.equal(post.token, `Bearer ${TOKEN}`);
      assert.equal(post.body.channel, 'C123');
      // The parity verdict travels with its numbers: outcome, n, bounds, shift and p-value.
      assert.match(
        JSON.stringify(post.body.blocks),
        /Parity: pass — mismatch 0\.00% \(0 of \d+\), 95% bounds .*latency shift .*, p [=<] /,
      );
      const value = buttonOf(post);

      assert.equal((await click(receiver, 'UALICE', 'phoenix_approve', value, { secret: 'forged' })).statusCode, 401);
      assert.equal((await click(receiver, 'UALICE', 'phoenix_approve', value, { ageSeconds: 600 })).statusCode, 401);
      const refusals = async (n: number) =>
        waitFor(
          `${n} ephemeral refusals`,
          () => suite.slack.calls.filter((c) => c.method === 'chat.postEphemeral').length >= n,
        );
      await click(receiver, 'UEVE', 'phoenix_approve', value);
      await refusals(1);
      await click(receiver, 'UBOB', 'phoenix_approve', value);
      await refusals(2);
      const tampered = `${Buffer.from(JSON.stringify({ workflowId: handle.workflowId, family: F, step: 'ramp-start' })).toString('base64url')}.AAAA`;
      await click(receiver, 'UALICE', 'phoenix_approve', tampered);
      await refusals(3);
      const texts = suite.slack.calls.filter((c) => c.method === 'chat.postEphemeral').map((c) => String(c.body.text));
      assert.match(texts[0]!, new RegExp(`not an approver of ramp-start for ${F}`));
      assert.match(texts[1]!, /not an approver/);
      assert.match(texts[2]!, /altered/);
      assert.equal(
        (await handle.query(progressQuery)).decisions.filter((d) => d.kind === 'approved').length,
        0,
        'nothing reached the workflow',
      );

      const ok = await click(receiver, 'UALICE', 'phoenix_approve', value);
      assert.equal(ok.statusCode, 200);
      await waitFor('the Slack approval', async () =>
        (await handle.query(progressQuery)).decisions.find((d) => d.kind === 'approved' && d.step === 'ramp-start'),
      );
      const decision = (await handle.query(progressQuery)).decisions.find((d) => d.kind === 'approved')!;
      assert.equal(decision.by, 'UALICE');
      assert.match(decision.detail ?? '', /^slack/);
      const firstUpdate = await waitFor('the message updated', () =>
        suite.slack.calls.find((c) => c.method === 'chat.update'),
      );
      assert.equal(firstUpdate.body.channel, 'C123');

      await click(receiver, 'UALICE', 'phoenix_approve', value);
      await refusals(4);
      assert.match(
        String(suite.slack.calls.filter((c) => c.method === 'chat.postEphemeral').at(-1)!.body.text),
        /not applied/,
      );

      await waitForPending(handle, 'ramp:100');
      const second = await waitFor('the 100% approval request', () => approvalPosts()[1]);
      const updatesBefore = suite.slack.calls.filter((c) => c.method === 'chat.update').length;
      await handle.executeUpdate(approveUpdate, { args: [{ step: 'ramp:100', approver: 'UALICE', via: 'cli' }] });
      const update = await waitFor(
        'the message updated after the CLI approval',
        () => suite.slack.calls.filter((c) => c.method === 'chat.update')[updatesBefore],
      );
      assert.equal(update.body.channel, 'C123');
      assert.ok(JSON.stringify(update.body.blocks).includes('approved'));
      assert.ok(!JSON.stringify(update.body.blocks).includes('phoenix_approve'), 'buttons removed');
      void second;
      const result = await migrationResult(handle);
      assert.equal(result.outcome, 'completed', result.reason);
    });
  });

  test('reject through the reason modal by an approver named by email; a reminder goes out before the timeout', async () => {
    const from = suite.slack.calls.length;
    await world(
      { approvers: ['carol@example.com'], timeout: '20s', remindBefore: '19s' },
      async ({ stack, receiver, tq }) => {
        const handle = await startAddressable(suite.t.client, stack, tq);
        await waitForPending(handle, 'ramp-start');
        const post = await waitFor('the approval request', () => approvalPosts(from)[0]);
        await waitFor('a reminder', () =>
          suite.slack.calls
            .slice(from)
            .find((c) => c.method === 'chat.postMessage' && /times out in/.test(String(c.body.text))),
        );
        const value = buttonOf(post);
        await click(receiver, 'UCAROL', 'phoenix_reject', value);
        const open = await waitFor('the reason modal', () =>
          suite.slack.calls.slice(from).find((c) => c.method === 'views.open'),
        );
        const view = open.body.view as { private_metadata: string; callback_id: string };
        const submit = {
          type: 'view_submission',
          user: { id: 'UCAROL' },
          view: {
            callback_id: view.callback_id,
            private_metadata: view.private_metadata,
            state: { values: { reason: { value: { value: 'latency looks wrong' } } } },
          },
        };
        const res = await signed(receiver, '/slack/interactivity', { payload: JSON.stringify(submit) });
        assert.equal(res.statusCode, 200);
        const result = await migrationResult(handle);
        assert.equal(result.outcome, 'rolled-back');
        assert.equal(result.type, 'ApprovalRejected');
        const rejected = result.progress.decisions.find((d) => d.kind === 'rejected')!;
        assert.equal(rejected.by, 'carol@example.com');
        assert.match(rejected.detail ?? '', /slack: latency looks wrong/);
        assert.ok(
          suite.slack.calls.some((c) => c.method === 'users.lookupByEmail'),
          'the email was resolved through users.lookupByEmail',
        );
        const status = await signed(receiver, '/slack/commands', {
          command: '/phoenix',
          text: `status ${F}`,
          user_id: 'UCAROL',
        });
        assert.equal(status.statusCode, 200);
      },
    );
  });
});

describe('Slack Socket Mode', () => {
  const APP_TOKEN = 'xapp-test-app-token';

  test('over the socket: the same approver checks, an approval, a status command answered in the ack, and a rejection through the modal', async () => {
    const from = suite.slack.calls.length;
    const stack = await startStack(planWith({ timeout: '30s', remindBefore: '10s' }));
    const traffic = driveTraffic(stack.router.url);
    const tq = taskQueue('socket-mode');
    // Without a signing secret the worker and the socket both sign buttons with the app token.
    const worker = await startSlackWorker(suite, stack, tq, APP_TOKEN);
    const sm = await startSocketMode({
      appToken: APP_TOKEN,
      temporal: suite.t.client,
      web: suite.web,
      plan: stack.plan,
      buttonSecret: APP_TOKEN,
      apiUrl: suite.slack.url,
    });
    try {
      await worker.runUntil(async () => {
        const open = suite.slack.calls.slice(from).find((c) => c.method === 'apps.connections.open');
        assert.equal(open?.token, `Bearer ${APP_TOKEN}`, 'the socket was opened with the app-level token');
        const handle = await startAddressable(suite.t.client, stack, tq);
        await waitForPending(handle, 'ramp-start');
        const value = buttonOf(await waitFor('the approval request', () => approvalPosts(from)[0]));
        const click = (user: string, v = value) =>
          suite.slack.envelope('interactive', {
            type: 'block_actions',
            user: { id: user },
            trigger_id: 'trig-2',
            channel: { id: 'C123' },
            actions: [{ action_id: 'phoenix_approve', value: v }],
          });

        const ephemerals = () => suite.slack.calls.slice(from).filter((c) => c.method === 'chat.postEphemeral');
        await click('UBOB');
        await waitFor('a refusal', () => ephemerals().length === 1);
        assert.match(String(ephemerals()[0]!.body.text), new RegExp(`not an approver of ramp-start for ${F}`));
        await click(
          'UALICE',
          encodeButtonValue({ workflowId: handle.workflowId, family: F, step: 'ramp-start' }, 'another-secret'),
        );
        await waitFor('a second refusal', () => ephemerals().length === 2);
        assert.match(String(ephemerals()[1]!.body.text), /altered/);
        assert.equal(
          (await handle.query(progressQuery)).decisions.filter((d) => d.kind === 'approved').length,
          0,
          'nothing reached the workflow',
        );

        await click('UALICE');
        const approved = await waitFor('the approval', async () =>
          (await handle.query(progressQuery)).decisions.find((d) => d.kind === 'approved' && d.step === 'ramp-start'),
        );
        assert.equal(approved.by, 'UALICE');

        const status = await suite.slack.envelope('slash_commands', {
          command: '/phoenix',
          text: `status ${F}`,
          user_id: 'UALICE',
        });
        assert.equal(status.response_type, 'ephemeral');
        assert.match(String(status.text), new RegExp(F));

        await waitForPending(handle, 'ramp:100');
        const second = buttonOf(await waitFor('the 100% approval request', () => approvalPosts(from)[1]));
        const ack = await suite.slack.envelope('interactive', {
          type: 'view_submission',
          user: { id: 'UALICE' },
          view: {
            callback_id: 'phoenix_reject_reason',
            private_metadata: second,
            state: { values: { reason: { value: { value: 'p95 too high' } } } },
          },
        });
        assert.deepEqual(ack, {}, 'the modal closes');
        const result = await migrationResult(handle);
        assert.equal(result.outcome, 'rolled-back');
        assert.match(result.progress.decisions.find((d) => d.kind === 'rejected')?.detail ?? '', /p95 too high/);
      });
    } finally {
      await sm.close();
      await traffic.stop();
      await stack.close();
    }
  });

  test('`phoenix worker --slack-plan` takes approvals over Socket Mode in the worker process, configured from the environment only', async () => {
    const from = suite.slack.calls.length;
    const stack = await startStack(planWith({ timeout: '30s', remindBefore: '10s' }));
    const traffic = driveTraffic(stack.router.url);
    const tq = taskQueue('worker-socket');
    const worker = spawn(
      process.execPath,
      [
        path.resolve(import.meta.dirname, '../../bin/phoenix.mjs'),
        'worker',
        '--task-queue',
        tq,
        '--slack-plan',
        path.join(stack.dir, 'plan.yaml'),
        '--report-dir',
        path.join(stack.dir, 'reports'),
      ],
      {
        stdio: ['ignore', 'ignore', 'pipe'],
        env: {
          ...process.env,
          TEMPORAL_ADDRESS: suite.t.address,
          SLACK_BOT_TOKEN: TOKEN,
          SLACK_APP_TOKEN: APP_TOKEN,
          PHOENIX_SLACK_API_URL: suite.slack.url,
          SLACK_SIGNING_SECRET: '',
        },
      },
    );
    let stderr = '';
    worker.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<number | null>((r) => worker.once('exit', (code) => r(code)));
    try {
      await waitFor(
        'the worker to open the socket',
        () => suite.slack.calls.slice(from).find((c) => c.method === 'apps.connections.open'),
        { timeoutMs: 60_000 },
      );
      const handle = await startAddressable(suite.t.client, stack, tq);
      await waitForPending(handle, 'ramp-start', 60_000);
      const value = buttonOf(await waitFor('the approval request', () => approvalPosts(from)[0]));
      await suite.slack.envelope('interactive', {
        type: 'block_actions',
        user: { id: 'UALICE' },
        trigger_id: 'trig-3',
        channel: { id: 'C123' },
        actions: [{ action_id: 'phoenix_approve', value }],
      });
      await waitFor('the approval', async () =>
        (await handle.query(progressQuery)).decisions.find((d) => d.kind === 'approved' && d.step === 'ramp-start'),
      );
      await handle.signal(abortSignal, { reason: 'test done', by: 'UALICE' });
      assert.equal((await migrationResult(handle)).outcome, 'rolled-back');
      worker.kill('SIGTERM');
      assert.equal(await exited, 0, `the worker stops cleanly on SIGTERM:\n${stderr}`);
      assert.ok(!stderr.includes(APP_TOKEN) && !stderr.includes(TOKEN), 'no token in the logs');
    } finally {
      if (worker.exitCode === null) worker.kill('SIGKILL');
      await traffic.stop();
      await stack.close();
    }
  });
});
