/**
 * What Phoenix does with a Slack interaction, however it arrived (the HTTP receiver or Socket
 * Mode): payloads are validated, the clicking user is checked against the plan's approvers, and
 * only then is the workflow's `approve` / `reject` / `rollback` / `triage` update sent (its
 * validator is the second line of defence). Refusals come back as ephemeral messages saying why.
 */
import { WorkflowNotFoundError, WorkflowUpdateFailedError, type Client } from '@temporalio/client';
import type { WebClient } from '@slack/web-api';
import { z } from 'zod';
import { createLogger, type Logger } from '../lib/logger.js';
import type { TriageDecision } from '../parity/signature.js';
import type { Plan } from '../plan/schema.js';
import { renderProgress } from '../report/render-progress.js';
import {
  approveUpdate,
  migrationWorkflowId,
  progressQuery,
  rejectUpdate,
  rollbackUpdate,
  triageUpdate,
} from '../workflows/messages.js';
import { Approvers } from './approvers.js';
import { APPROVE_ACTION, REJECT_ACTION, REJECT_MODAL, rejectModal, type ButtonValue } from './blocks.js';
import { ROLLBACK_ACTION, ROLLBACK_STEP } from './rollback-blocks.js';
import { TriageBaseline } from './triage-baseline.js';
import {
  TRIAGE_ACCEPT_ACTION,
  TRIAGE_ACCEPT_MODAL,
  TRIAGE_BLOCK_ACTION,
  TRIAGE_NOISE_ACTION,
  triageAcceptModal,
  triageSignatureOf,
} from './triage-blocks.js';

const TRIAGE_ACTIONS: Record<string, TriageDecision> = {
  [TRIAGE_ACCEPT_ACTION]: 'accept',
  [TRIAGE_BLOCK_ACTION]: 'block',
  [TRIAGE_NOISE_ACTION]: 'noise',
};

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

export interface InteractionOptions {
  temporal: Client;
  web: WebClient;
  plan: Plan;
  /** Secret the approval buttons were signed with. */
  buttonSecret: string;
  logger?: Logger;
}

/** What the receiver decided about one click, for logs and tests. */
export type Outcome = { ok: true; approver: string } | { ok: false; reason: string };

/** Shared by the HTTP receiver and Socket Mode: who may act, and acting. */
// eslint-disable-next-line @typescript-eslint/explicit-module-boundary-types -- its inferred shape is the handler's interface
export function createInteractionHandler(o: InteractionOptions) {
  const log = o.logger ?? createLogger('slack');
  const approvers = new Approvers(o);
  const baseline = new TriageBaseline({ plan: o.plan, log });
  const pending = new Set<Promise<unknown>>();

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
          args: [{ signature, decision: kind, approver, reason, text: button.text, via: 'slack' }],
        });
        // In the background: Slack wants the modal's answer within 3 s, the router may be slow to list.
        later(baseline.keep(button.family, r.entry));
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
      const auth = await approvers.authorize(action.value ?? '', p.data.user.id);
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
          if (baseline.enabled && !auth.button.text) await baseline.remember(auth.button.family, signature);
          return;
        }
        if (baseline.enabled && !auth.button.text) await baseline.remember(auth.button.family, signature);
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
      const auth = await approvers.authorize(p.data.view.private_metadata, p.data.user.id);
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
