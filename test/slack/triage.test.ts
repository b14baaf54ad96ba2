/**
 * Triage from Slack: the workflow posts new difference signatures with Accept / Block / Noise
 * buttons to a local stand-in for Slack's Web API; a non-approver's click is refused, Accept
 * opens the reason modal, and its submit sends the `triage` update, after which the gate passes.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import type { RunningSlackReceiver } from '../../src/slack/receiver.js';
import { abortSignal } from '../../src/workflows/messages.js';
import { clickButton, interaction, slackSuite } from '../helpers/slack.js';
import { waitFor } from '../helpers/wait.js';
import { startMigration, waitForPending } from '../workflows/harness.js';
import { addressableFamily, driveTraffic, startStack, taskQueue } from '../workflows/support.js';
import { runWithSlack } from '../workflows/family-scenario.js';
import { migrationResult } from '../../src/lib/migration-outcome.js';

const signed = (receiver: RunningSlackReceiver, payload: unknown) => interaction(receiver, payload);
const click = (receiver: RunningSlackReceiver, user: string, action: string, value: string) =>
  clickButton(receiver, user, action, value);

const suite = slackSuite();

describe('triage from Slack', () => {
  test('new signatures are posted with buttons; Accept asks why and its submit lets the gate pass', async () => {
    const stack = await startStack({
      family: { parity: { timeout: '60s' }, slackChannel: 'C123' },
      approvers: ['UALICE'],
      cases: {},
      name: addressableFamily,
    });
    stack.candidate.behaviour = 'different';
    const traffic = driveTraffic(stack.router.url);
    const tq = taskQueue('slack-triage');
    try {
      await runWithSlack(suite, stack, tq, async (receiver) => {
        const handle = await startMigration(suite.t.client, stack, tq, {}, { addressable: true });
        const post = await waitFor(
          'a triage message',
          () =>
            suite.slack.calls.find(
              (c) =>
                c.method === 'chat.postMessage' &&
                JSON.stringify(c.body.blocks ?? '').includes('phoenix_triage_accept'),
            ),
          { timeoutMs: 30_000, intervalMs: 100 },
        );
        const blocks = post.body.blocks as {
          type: string;
          block_id?: string;
          text?: { text: string };
          elements?: { action_id: string; value: string }[];
        }[];
        const i = blocks.findIndex((b) => b.text?.text.includes('GET /api/users/:id $.address.zip type string→number'));
        assert.ok(i > 0, JSON.stringify(blocks.map((b) => b.text?.text)));
        assert.match(blocks[i]!.text!.text, /example \S+: legacy "\d+" → new \d+/);
        const buttons = blocks[i + 1]!.elements!;
        const value = (action: string): string => buttons.find((b) => b.action_id === action)!.value;

        // Someone who is not an approver is refused, and told why.
        assert.equal(
          (await click(receiver, 'UMALLORY', 'phoenix_triage_block', value('phoenix_triage_block'))).statusCode,
          200,
        );
        await waitFor(
          'the refusal',
          () =>
            suite.slack.calls.find(
              (c) => c.method === 'chat.postEphemeral' && /not an approver of triage:/.test(String(c.body.text)),
            ),
          { timeoutMs: 5000, intervalMs: 50 },
        );

        // Accept opens the modal; its submit carries the reason into the triage update.
        await click(receiver, 'UALICE', 'phoenix_triage_accept', value('phoenix_triage_accept'));
        const modal = await waitFor(
          'the reason modal',
          () => suite.slack.calls.find((c) => c.method === 'views.open'),
          { timeoutMs: 5000, intervalMs: 50 },
        );
        const view = modal.body.view as { callback_id: string; private_metadata: string };
        assert.equal(view.callback_id, 'phoenix_triage_accept_reason');
        const submit = (reason: string) =>
          signed(receiver, {
            type: 'view_submission',
            user: { id: 'UALICE' },
            view: {
              callback_id: view.callback_id,
              private_metadata: view.private_metadata,
              state: { values: { reason: { value: { value: reason } } } },
            },
          });
        const empty = await submit('  ');
        assert.match(await empty.body.text(), /accepting needs a reason/);
        const ok = await submit('zip codes are numbers in the rewrite');
        assert.equal(ok.statusCode, 200);
        await ok.body.dump();

        const passed = await waitForPending(handle, 'ramp-start', 40_000);
        assert.equal(passed.parity?.outcome, 'pass', passed.parity?.reasons.join('; '));
        const d = passed.triage!.decisions;
        assert.deepEqual(
          d.map((e) => [e.decision, e.by, e.reason]),
          [['accept', 'UALICE', 'zip codes are numbers in the rewrite']],
        );
        assert.ok(passed.decisions.some((r) => r.kind === 'triaged' && /^slack: accept/.test(r.detail ?? '')));
        // Kept in the plan's baseline file as well, for review and for the next migration.
        const entry =
          /- id: [0-9a-f]{12}\n(\s+text: .*\n)?\s+decision: accept\n\s+reason: zip codes are numbers in the rewrite\n\s+by: UALICE/;
        await waitFor(
          'the decision in the baseline file',
          async () => entry.test(await readFile(stack.plan.baselineFile!, 'utf8')) || undefined,
          { timeoutMs: 10_000, intervalMs: 100 },
        );
        await handle.signal(abortSignal, { reason: 'test done' });
        await migrationResult(handle);
      });
    } finally {
      await traffic.stop();
      await stack.close();
    }
  });
});
