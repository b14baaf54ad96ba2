/**
 * The Slack interactivity receiver: verifies every request's signature, checks that the person
 * who clicked may approve for that family, and only then sends the workflow's `approve` /
 * `reject` update (whose validator is the second line of defence). Slack gets its answer within
 * its 3-second limit; refusals come back as ephemeral messages saying why.
 *
 *   POST /slack/interactivity   buttons (approve, reject → reason modal) and the modal's submit
 *   POST /slack/commands        `/phoenix status <family>`
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { WorkflowNotFoundError, WorkflowUpdateFailedError, type Client } from '@temporalio/client';
import type { WebClient } from '@slack/web-api';
import { z } from 'zod';
import { createLogger, type Logger } from '../lib/logger.js';
import { readBody } from '../lib/read-body.js';
import type { FamilyPlan, Plan } from '../plan/schema.js';
import { renderProgress } from '../workflows/render-progress.js';
import {
  approveUpdate,
  migrationWorkflowId,
  progressQuery,
  rejectUpdate,
  rollbackUpdate,
  triageUpdate,
} from '../workflows/messages.js';
import type { TriageDecision, TriageEntry } from '../parity/signature.js';
import { writeDecision } from '../plan/baseline.js';
import { createRouterAdminClient } from '../router/client.js';
import {
  APPROVE_ACTION,
  REJECT_ACTION,
  REJECT_MODAL,
  decodeButtonValue,
  rejectModal,
  type ButtonValue,
} from './blocks.js';
import {
  TRIAGE_ACCEPT_ACTION,
  TRIAGE_ACCEPT_MODAL,
  TRIAGE_BLOCK_ACTION,
  TRIAGE_NOISE_ACTION,
  triageAcceptModal,
  triageSignatureOf,
} from './triage-blocks.js';
import { ROLLBACK_ACTION, ROLLBACK_STEP } from './rollback-blocks.js';
import { verifySlackRequest } from './verify.js';

const TRIAGE_ACTIONS: Record<string, TriageDecision> = {
  [TRIAGE_ACCEPT_ACTION]: 'accept',
  [TRIAGE_BLOCK_ACTION]: 'block',
  [TRIAGE_NOISE_ACTION]: 'noise',
};

/** Largest request body accepted from Slack, bytes. */
const MAX_BODY = 256 * 1024;

const blockActions = z.object({
  type: z.literal('block_actions'),
  user: z.object({ id: z.string() }),
  trigger_id: z.string().optional(),
  channel: z.object({ id: z.string() }).optional(),
  actions: z.array(z.object({ action_id: z.string(), value: z.string().optional() })).min(1),
});
const viewSubmission = z.object({
  type: z.literal('view_submission'),
  user: z.object({ id: z.string() }),
  view: z.object({
    callback_id: z.string(),
    private_metadata: z.string(),
    state: z.object({
      values: z.record(z.string(), z.record(z.string(), z.object({ value: z.string().nullable().optional() }))),
    }),
  }),
});

export interface SlackReceiverOptions {
  port: number;
  /** @default "127.0.0.1" */
  host?: string;
  signingSecret: string;
  temporal: Client;
  web: WebClient;
  plan: Plan;
  /** Secret the approval buttons were signed with. @default the signing secret */
  buttonSecret?: string;
  logger?: Logger;
}

export interface RunningSlackReceiver {
  url: string;
  port: number;
  close(): Promise<void>;
}

/** What the receiver decided about one click, for logs and tests. */
export type Outcome = { ok: true; approver: string } | { ok: false; reason: string };

/** Shared by the HTTP receiver and Socket Mode: who may act, and acting. */
// eslint-disable-next-line @typescript-eslint/explicit-module-boundary-types -- its inferred shape is the handler's interface
export function createInteractionHandler(
  o: Omit<SlackReceiverOptions, 'port' | 'host' | 'signingSecret'> & { buttonSecret: string },
) {
  const log = o.logger ?? createLogger('slack');
  const families = new Map(o.plan.families.map((f) => [f.name, f]));
  const emailToId = new Map<string, string | null>();
  const pending = new Set<Promise<unknown>>();

  async function idOfEmail(email: string): Promise<string | null> {
    if (!emailToId.has(email)) {
      try {
        const r = await o.web.users.lookupByEmail({ email });
        emailToId.set(email, r.user?.id ?? null);
      } catch {
        return null;
      }
    }
    return emailToId.get(email) ?? null;
  }

  /** The plan's approver entry (a Slack id or an email) that this Slack user is, if any. */
  async function approverFor(family: FamilyPlan, step: string, userId: string): Promise<string | undefined> {
    const manual = step.startsWith('decommission:')
      ? family.decommission.manual.find((m) => `decommission:${m.id}` === step)
      : undefined;
    const allowed = manual ? [manual.owner] : family.approval.approvers;
    if (allowed.includes(userId)) return userId;
    for (const a of allowed) if (a.includes('@') && (await idOfEmail(a)) === userId) return a;
    return undefined;
  }

  /** Checks a button value and the clicking user; the reason is safe to show the user. */
  async function authorize(
    raw: string,
    userId: string,
  ): Promise<{ ok: true; button: ButtonValue; approver: string } | { ok: false; reason: string }> {
    const button = decodeButtonValue(raw, o.buttonSecret);
    if (!button || button.workflowId !== migrationWorkflowId(button.family))
      return { ok: false, reason: 'this button was altered; nothing was done' };
    const family = families.get(button.family);
    if (!family) return { ok: false, reason: `family "${button.family}" is not in this receiver's plan` };
    const approver = await approverFor(family, button.step, userId);
    if (!approver) return { ok: false, reason: `you are not an approver of ${button.step} for ${button.family}` };
    return { ok: true, button, approver };
  }

  async function decide(
    kind: 'approve' | 'reject' | 'rollback' | TriageDecision,
    button: ButtonValue,
    approver: string,
    reason?: string,
  ): Promise<Outcome> {
    const handle = o.temporal.workflow.getHandle(button.workflowId);
    const signature = triageSignatureOf(button);
    try {
      if (kind === 'rollback')
        await handle.executeUpdate(rollbackUpdate, {
          args: [{ approver, reason: 'Rollback button in Slack', via: 'slack' }],
        });
      else if (signature !== undefined && kind !== 'approve' && kind !== 'reject') {
        const r = await handle.executeUpdate(triageUpdate, {
          args: [{ signature, decision: kind, approver, reason, via: 'slack' }],
        });
        // In the background: Slack wants the modal's answer within 3 s, the router may be slow to list.
        later(keepInBaseline(button.family, r.entry));
      } else if (kind === 'approve')
        await handle.executeUpdate(approveUpdate, { args: [{ step: button.step, approver, via: 'slack' }] });
      else
        await handle.executeUpdate(rejectUpdate, {
          args: [{ step: button.step, approver, reason: reason ?? '', via: 'slack' }],
        });
      log.info({ family: button.family, step: button.step, approver, kind }, 'decision from Slack');
      return { ok: true, approver };
    } catch (err) {
      if (err instanceof WorkflowUpdateFailedError)
        return { ok: false, reason: `not applied: ${err.cause?.message ?? err.message}` };
      if (err instanceof WorkflowNotFoundError || /not found|already completed/i.test((err as Error).message)) {
        return { ok: false, reason: `the migration of ${button.family} has finished; this button is stale` };
      }
      throw err;
    }
  }

  /**
   * A decision from Slack goes into the plan's baseline file too (when this receiver can write
   * it), so the next migration starts from it and it is reviewed with the plan like the CLI's.
   */
  async function keepInBaseline(family: string, entry: TriageEntry): Promise<void> {
    if (!o.plan.baselineFile) return;
    try {
      // The router restarts its window once a decision is in force, so the text read before the
      // decision (when the button was clicked) is the one to trust; the router is the fallback.
      await reading.get(entry.id);
      const text = entry.text ?? texts.get(entry.id) ?? (await textOf(family, entry.id)).text;
      texts.delete(entry.id);
      await writeDecision(o.plan.baselineFile, family, text ? { ...entry, text } : entry);
    } catch (err) {
      log.warn(
        { family, signature: entry.id, file: o.plan.baselineFile, err: (err as Error).message },
        'the triage decision is in force but not in the baseline file; record it with `phoenix parity <decision> --no-migration`',
      );
    }
  }

  /** Signature texts read when a triage button was clicked, by signature id (bounded). */
  const texts = new Map<string, string>();
  /** Lookups under way, so a decision that arrives meanwhile waits for its text. */
  const reading = new Map<string, Promise<void>>();
  async function rememberText(family: string, id: string): Promise<void> {
    const p = textOf(family, id).then(({ text }) => {
      if (text === undefined) return;
      if (texts.size >= 1000) texts.delete(texts.keys().next().value as string);
      texts.set(id, text);
    });
    reading.set(id, p);
    try {
      await p;
    } finally {
      if (reading.get(id) === p) reading.delete(id);
    }
  }

  /** The signature's text from the router, for readers of the baseline; nothing when it cannot say. */
  async function textOf(family: string, id: string): Promise<{ text?: string }> {
    const admin = createRouterAdminClient({
      baseUrl: o.plan.router.adminUrl,
      token: process.env.PHOENIX_ADMIN_TOKEN,
      timeoutMs: 5000,
    });
    try {
      const text = (await admin.getSignatures(family)).signatures.find((x) => x.id === id)?.text;
      return text ? { text } : {};
    } catch {
      return {};
    } finally {
      await admin.close();
    }
  }

  async function ephemeral(channel: string | undefined, user: string, text: string): Promise<void> {
    if (!channel) return;
    await o.web.chat
      .postEphemeral({ channel, user, text })
      .catch((err: unknown) => log.warn({ err: (err as Error).message }, 'could not post an ephemeral message'));
  }

  /** Runs work after Slack has its answer; failures are logged, and `drain` waits for it. */
  function later(p: Promise<unknown>): void {
    const q = p
      .catch((err: unknown) => log.error({ err: (err as Error).message }, 'Slack interaction failed'))
      .finally(() => pending.delete(q));
    pending.add(q);
  }

  return {
    later,

    /** Waits for the work handed to `later` (on close). */
    async drain(): Promise<void> {
      await Promise.all(pending);
    },

    /** A button click. Returns quickly; the update runs after Slack has its answer. */
    async onBlockActions(payload: unknown): Promise<void> {
      const p = blockActions.safeParse(payload);
      if (!p.success) {
        log.warn({ problem: p.error.issues[0]?.message }, 'refused a malformed Slack payload');
        return;
      }
      const action = p.data.actions[0]!;
      const triage = TRIAGE_ACTIONS[action.action_id];
      const rollback = action.action_id === ROLLBACK_ACTION;
      if (action.action_id !== APPROVE_ACTION && action.action_id !== REJECT_ACTION && !triage && !rollback) return;
      const auth = await authorize(action.value ?? '', p.data.user.id);
      if (!auth.ok) {
        log.warn({ user: p.data.user.id, reason: auth.reason }, 'refused a Slack approval');
        await ephemeral(p.data.channel?.id, p.data.user.id, `:no_entry: ${auth.reason}`);
        return;
      }
      if (triage) {
        const signature = triageSignatureOf(auth.button);
        if (signature === undefined) return;
        // The modal first: its trigger expires in 3 s. The text is read while the reason is typed.
        if (triage === 'accept') {
          if (p.data.trigger_id)
            await o.web.views.open({
              trigger_id: p.data.trigger_id,
              view: triageAcceptModal(action.value ?? '') as never,
            });
          if (o.plan.baselineFile) await rememberText(auth.button.family, signature);
          return;
        }
        if (o.plan.baselineFile) await rememberText(auth.button.family, signature);
        const r = await decide(triage, auth.button, auth.approver);
        if (!r.ok) await ephemeral(p.data.channel?.id, p.data.user.id, `:warning: ${r.reason}`);
        return;
      }
      if (rollback) {
        if (auth.button.step !== ROLLBACK_STEP) return;
        const r = await decide('rollback', auth.button, auth.approver);
        if (!r.ok) await ephemeral(p.data.channel?.id, p.data.user.id, `:warning: ${r.reason}`);
        return;
      }
      if (action.action_id === REJECT_ACTION) {
        if (p.data.trigger_id)
          await o.web.views.open({ trigger_id: p.data.trigger_id, view: rejectModal(action.value ?? '') as never });
        return;
      }
      const r = await decide('approve', auth.button, auth.approver);
      if (!r.ok) await ephemeral(p.data.channel?.id, p.data.user.id, `:warning: ${r.reason}`);
    },

    /** The rejection modal's submit. Returns the body Slack should get (errors keep the modal open). */
    async onViewSubmission(payload: unknown): Promise<Record<string, unknown> | undefined> {
      const p = viewSubmission.safeParse(payload);
      const accepting = p.success && p.data.view.callback_id === TRIAGE_ACCEPT_MODAL;
      if (!p.success || (p.data.view.callback_id !== REJECT_MODAL && !accepting)) return undefined;
      const auth = await authorize(p.data.view.private_metadata, p.data.user.id);
      if (!auth.ok) {
        log.warn({ user: p.data.user.id, reason: auth.reason }, 'refused a Slack rejection');
        return { response_action: 'errors', errors: { reason: auth.reason } };
      }
      const reason = p.data.view.state.values.reason?.value?.value?.trim();
      if (!reason)
        return {
          response_action: 'errors',
          errors: { reason: accepting ? 'accepting needs a reason' : 'a rejection needs a reason' },
        };
      if (accepting && triageSignatureOf(auth.button) === undefined)
        return { response_action: 'errors', errors: { reason: 'this button was altered; nothing was done' } };
      const r = await decide(accepting ? 'accept' : 'reject', auth.button, auth.approver, reason);
      return r.ok ? undefined : { response_action: 'errors', errors: { reason: r.reason } };
    },

    /** `/phoenix status <family>`: the progress query as an ephemeral answer. */
    async onCommand(text: string): Promise<{ response_type: 'ephemeral'; text: string }> {
      const [verb, family] = text.trim().split(/\s+/);
      if (verb !== 'status' || !family) return { response_type: 'ephemeral', text: 'usage: /phoenix status <family>' };
      try {
        const p = await o.temporal.workflow.getHandle(migrationWorkflowId(family)).query(progressQuery);
        return { response_type: 'ephemeral', text: `\`\`\`${renderProgress(p)}\`\`\`` };
      } catch {
        return { response_type: 'ephemeral', text: `no running migration for "${family}"` };
      }
    },
  };
}

/** Starts the HTTP receiver. */
export async function startSlackReceiver(o: SlackReceiverOptions): Promise<RunningSlackReceiver> {
  const log = o.logger ?? createLogger('slack');
  const handler = createInteractionHandler({ ...o, logger: log, buttonSecret: o.buttonSecret ?? o.signingSecret });
  const server = http.createServer((req, res) => {
    const reply = (status: number, body?: unknown): void => {
      const text = body === undefined ? '' : JSON.stringify(body);
      res.writeHead(status, body === undefined ? {} : { 'content-type': 'application/json' });
      res.end(text);
    };
    if (req.method !== 'POST' || (req.url !== '/slack/interactivity' && req.url !== '/slack/commands'))
      return reply(404, { error: 'not found' });
    readBody(req, MAX_BODY, () => new Error('body too large')).then(
      async (raw) => {
        const v = verifySlackRequest(
          o.signingSecret,
          { signature: req.headers['x-slack-signature'], timestamp: req.headers['x-slack-request-timestamp'] },
          raw,
        );
        if (!v.ok) {
          log.warn(
            { path: req.url, remote: req.socket.remoteAddress, reason: v.reason },
            'refused an unsigned or badly signed Slack request',
          );
          return reply(401, { error: 'invalid signature' });
        }
        const form = new URLSearchParams(raw);
        if (req.url === '/slack/commands') return reply(200, await handler.onCommand(form.get('text') ?? ''));
        let payload: unknown;
        try {
          payload = JSON.parse(form.get('payload') ?? '');
        } catch {
          log.warn('refused a Slack request without a JSON payload');
          return reply(400, { error: 'payload is not JSON' });
        }
        const type = (payload as { type?: string }).type;
        if (type === 'view_submission') {
          // The modal waits for this answer, so the update runs before replying (well within 3 s).
          const body = await handler.onViewSubmission(payload);
          return reply(200, body);
        }
        // Acknowledge first: Slack wants an answer within 3 s, the update may take longer.
        reply(200);
        if (type === 'block_actions') handler.later(handler.onBlockActions(payload));
      },
      () => reply(413, { error: 'body too large' }),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.port, o.host ?? '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://${o.host ?? '127.0.0.1'}:${port}`,
    port,
    async close() {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
      await handler.drain();
    },
  };
}
