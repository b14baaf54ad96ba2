/**
 * Slack side effects of a migration: approval requests, their update once decided, and notices
 * in the migration's thread. Without a Slack client (Slack off) they do nothing; with one, a
 * failure throws so the activity retries — the workflow treats these as best effort, so Slack
 * being down never blocks a migration's safety.
 */
import type { ChatPostMessageArguments, WebClient } from '@slack/web-api';
import type { Logger } from '../lib/logger.js';
import { approvalBlocks, clip, decidedBlocks, type ApprovalFigures } from '../slack/blocks.js';
import { rollbackBlocks } from '../slack/rollback-blocks.js';
import { triageBlocks, type TriageItem } from '../slack/triage-blocks.js';

/** Where a posted message is, so it can be updated or replied to. */
export interface SlackMessageRef {
  channel: string;
  ts: string;
}

export interface SlackActivityDeps {
  /** The Web API client; absent when Slack is off. @default Slack off */
  slack?: WebClient;
  log?: Logger;
  /** Signs button values so tampering is detected (the receiver checks it). @default unsigned */
  buttonSecret?: string;
}

export interface ApprovalRequestInput {
  workflowId: string;
  family: string;
  plan: string;
  channel: string | undefined;
  step: string;
  stepLabel: string;
  approvers: string[];
  deadline: string;
  uiUrl: string;
  thread?: SlackMessageRef;
  figures: ApprovalFigures;
}

export interface ApprovalUpdateInput {
  ref: SlackMessageRef;
  workflowId: string;
  family: string;
  step: string;
  stepLabel: string;
  /** `closed`: the Rollback button once the decommission checklist completed. */
  outcome: 'approved' | 'rejected' | 'timed-out' | 'superseded' | 'closed';
  by?: string;
  reason?: string;
  at: string;
}

export interface NoticeInput {
  workflowId: string;
  family: string;
  channel: string | undefined;
  thread?: SlackMessageRef;
  kind: 'started' | 'stage' | 'rollback' | 'reminder' | 'completed' | 'decommission';
  text: string;
  /** Also post to the channel, not only the thread (rollbacks). */
  alsoToChannel: boolean;
  /** Add a Rollback button (the decommission notice). @default false */
  rollbackButton?: boolean;
}

export interface TriageMessageInput {
  workflowId: string;
  family: string;
  channel: string | undefined;
  thread?: SlackMessageRef;
  /** Signatures not announced before, with an example each. */
  items: TriageItem[];
}

function refOf(channel: string, res: { ok?: boolean; ts?: string; channel?: string; error?: string }): SlackMessageRef {
  if (!res.ok || !res.ts) throw new Error(`Slack refused the message: ${res.error ?? 'no ts returned'}`);
  return { channel: res.channel ?? channel, ts: res.ts };
}

export function createSlackActivities(deps: SlackActivityDeps) {
  const slack = deps.slack;
  return {
    /** Posts the Block Kit approval request; returns where it is, or null when Slack is off. */
    async postApprovalRequest(input: ApprovalRequestInput): Promise<SlackMessageRef | null> {
      if (!slack || !input.channel) return null;
      const blocks = approvalBlocks(
        {
          family: input.family,
          plan: input.plan,
          step: input.step,
          stepLabel: input.stepLabel,
          approvers: input.approvers,
          deadline: input.deadline,
          uiUrl: input.uiUrl,
          figures: input.figures,
          button: { workflowId: input.workflowId, family: input.family, step: input.step },
        },
        deps.buttonSecret,
      );
      const res = await slack.chat.postMessage({
        channel: input.channel,
        text: clip(`Approve ${input.family}: ${input.stepLabel}?`),
        blocks,
        ...(input.thread ? { thread_ts: input.thread.ts, reply_broadcast: true } : {}),
      } as ChatPostMessageArguments);
      return refOf(input.channel, res);
    },

    /** Rewrites the approval request once decided (or timed out, or superseded by a rollback). */
    async updateApprovalMessage(input: ApprovalUpdateInput): Promise<void> {
      if (!slack) return;
      const res = await slack.chat.update({
        channel: input.ref.channel,
        ts: input.ref.ts,
        text: clip(`${input.family}: ${input.stepLabel} — ${input.outcome}${input.by ? ` by ${input.by}` : ''}`),
        blocks: decidedBlocks(input),
      });
      if (!res.ok) throw new Error(`Slack refused the update: ${res.error ?? 'unknown error'}`);
    },

    /** Posts new difference signatures with Accept / Block / Noise buttons; null when Slack is off. */
    async postTriageMessage(input: TriageMessageInput): Promise<SlackMessageRef | null> {
      if (!slack || !input.channel || input.items.length === 0) return null;
      const res = await slack.chat.postMessage({
        channel: input.channel,
        text: clip(`${input.family}: ${input.items.length} difference signatures wait for triage`),
        blocks: triageBlocks(
          { workflowId: input.workflowId, family: input.family, items: input.items },
          deps.buttonSecret,
        ),
        ...(input.thread ? { thread_ts: input.thread.ts, reply_broadcast: true } : {}),
      } as ChatPostMessageArguments);
      return refOf(input.channel, res);
    },

    /** Posts a notice in the migration's thread (the first one starts the thread). */
    async postMigrationNotice(input: NoticeInput): Promise<SlackMessageRef | null> {
      if (!slack || !input.channel) return null;
      const res = await slack.chat.postMessage({
        channel: input.channel,
        text: clip(input.text),
        ...(input.rollbackButton
          ? {
              blocks: rollbackBlocks(
                { workflowId: input.workflowId, family: input.family, text: input.text },
                deps.buttonSecret,
              ),
            }
          : {}),
        ...(input.thread
          ? { thread_ts: input.thread.ts, ...(input.alsoToChannel ? { reply_broadcast: true } : {}) }
          : {}),
      } as ChatPostMessageArguments);
      return refOf(input.channel, res);
    },
  };
}
