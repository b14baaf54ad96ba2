/**
 * Block Kit messages Phoenix posts: approval requests with Approve / Reject buttons, the same
 * message once decided, and notices. Kept within Block Kit limits (section text ≤ 3000
 * characters, button value ≤ 2000). Button values are signed so a tampered value is detected.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { KnownBlock } from '@slack/web-api';
import { millis as ms, percent as pct, roughDuration as duration } from '../lib/format.js';

/** Block Kit's limit on a section's text. */
export const MAX_TEXT = 3000;
/** Block Kit's limit on a button's value. */
export const MAX_VALUE = 2000;

export const APPROVE_ACTION = 'phoenix_approve';
export const REJECT_ACTION = 'phoenix_reject';
export const REJECT_MODAL = 'phoenix_reject_reason';

/** What an approval button carries. */
export interface ButtonValue {
  workflowId: string;
  family: string;
  step: string;
  /**
   * A triage button's signature text, signed with the rest, so a decision taken in Slack keeps
   * its text without asking the router (which forgets a signature when its window restarts).
   */
  text?: string;
}

/** A Block Kit block, as the Web API client types it. */
export type Block = KnownBlock;

/** Cuts text to Block Kit's limit. */
export function clip(text: string, max = MAX_TEXT): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

function sign(payload: string, secret: string): string {
  return createHmac('sha256', secret).update(payload).digest('base64url');
}

/** Serialises a button value with an HMAC when a secret is given. */
export function encodeButtonValue(v: ButtonValue, secret?: string): string {
  const payload = Buffer.from(JSON.stringify(v)).toString('base64url');
  return secret ? `${payload}.${sign(payload, secret)}` : payload;
}

/**
 * Reads a button value; returns undefined when it is malformed or (with a secret) its HMAC does
 * not match — a tampered button.
 */
export function decodeButtonValue(raw: string, secret?: string): ButtonValue | undefined {
  const [payload, mac] = raw.split('.');
  if (!payload) return undefined;
  if (secret) {
    if (!mac) return undefined;
    const want = Buffer.from(sign(payload, secret));
    const got = Buffer.from(mac);
    if (want.length !== got.length || !timingSafeEqual(want, got)) return undefined;
  }
  try {
    const v = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as Partial<ButtonValue>;
    if (typeof v.workflowId !== 'string' || typeof v.family !== 'string' || typeof v.step !== 'string')
      return undefined;
    if (v.text !== undefined && typeof v.text !== 'string') return undefined;
    return { workflowId: v.workflowId, family: v.family, step: v.step, ...(v.text ? { text: v.text } : {}) };
  } catch {
    return undefined;
  }
}

/** Figures shown with an approval request. */
export interface ApprovalFigures {
  percent: number;
  samples?: number;
  mismatchRate?: number;
  errorRate?: number;
  p95Legacy?: number | null;
  p95New?: number | null;
  timeAtStepMs: number;
  /**
   * The gates' verdicts in words with their numbers (outcome, n, observed rate, bound, p-value,
   * shift, observed split): `parity` for the shadow gate, `step` for the current percent.
   */
  verdicts?: { parity?: string; step?: string };
}

export interface ApprovalRequest {
  family: string;
  plan: string;
  step: string;
  stepLabel: string;
  approvers: string[];
  deadline: string;
  uiUrl: string;
  figures: ApprovalFigures;
  button: ButtonValue;
}

/** The approval request: what is asked, the figures that matter, a link, and the two buttons. */
export function approvalBlocks(r: ApprovalRequest, secret?: string): Block[] {
  const f = r.figures;
  const value = encodeButtonValue(r.button, secret);
  if (value.length > MAX_VALUE)
    throw new Error(`button value of ${value.length} characters exceeds Block Kit's ${MAX_VALUE}`);
  const who = r.approvers.map((a) => (/^[UW][A-Z0-9]+$/.test(a) ? `<@${a}>` : a)).join(', ');
  return [
    { type: 'header', text: { type: 'plain_text', text: clip(`Approve ${r.family}: ${r.stepLabel}?`, 150) } },
    {
      type: 'section',
      text: {
        type: 'mrkdwn',
        text: clip(
          `*${r.family}* (plan \`${r.plan}\`) waits for approval of *${r.step}* — ${r.stepLabel}.\nApprovers: ${who || '—'} · decide before ${r.deadline}`,
        ),
      },
    },
    {
      type: 'section',
      fields: [
        { type: 'mrkdwn', text: `*On new*\n${f.percent}%` },
        { type: 'mrkdwn', text: `*Parity*\n${f.samples ?? '—'} samples, ${pct(f.mismatchRate)} mismatch` },
        { type: 'mrkdwn', text: `*p95 legacy → new*\n${ms(f.p95Legacy)} → ${ms(f.p95New)}` },
        { type: 'mrkdwn', text: `*New error rate*\n${pct(f.errorRate)}` },
        { type: 'mrkdwn', text: `*Time at this step*\n${duration(f.timeAtStepMs)}` },
      ],
    },
    ...(f.verdicts?.parity || f.verdicts?.step
      ? [
          {
            type: 'section',
            text: {
              type: 'mrkdwn',
              text: clip(
                [
                  '*Evidence*',
                  f.verdicts.parity ? `• Parity: ${f.verdicts.parity}` : '',
                  f.verdicts.step ? `• At ${f.percent}%: ${f.verdicts.step}` : '',
                ]
                  .filter(Boolean)
                  .join('\n'),
              ),
            },
          },
        ]
      : []),
    {
      type: 'actions',
      block_id: 'phoenix_decision',
      elements: [
        {
          type: 'button',
          action_id: APPROVE_ACTION,
          style: 'primary',
          text: { type: 'plain_text', text: 'Approve' },
          value,
        },
        {
          type: 'button',
          action_id: REJECT_ACTION,
          style: 'danger',
          text: { type: 'plain_text', text: 'Reject…' },
          value,
        },
        {
          type: 'button',
          action_id: 'phoenix_open_ui',
          text: { type: 'plain_text', text: 'Open in Temporal' },
          url: r.uiUrl,
        },
      ],
    },
  ] as const as unknown as Block[];
}

/** The same message once decided: who, when, and no buttons. */
export function decidedBlocks(d: {
  family: string;
  step: string;
  stepLabel: string;
  outcome: string;
  by?: string;
  reason?: string;
  at: string;
}): Block[] {
  const icon =
    d.outcome === 'approved'
      ? ':white_check_mark:'
      : d.outcome === 'rejected'
        ? ':x:'
        : d.outcome === 'closed'
          ? ':lock:'
          : ':hourglass:';
  const who = d.by ? ` by ${/^[UW][A-Z0-9]+$/.test(d.by) ? `<@${d.by}>` : d.by}` : '';
  return [
    {
      type: 'section' as const,
      text: {
        type: 'mrkdwn' as const,
        text: clip(
          `${icon} *${d.family}*: ${d.stepLabel} (${d.step}) — *${d.outcome}*${who} at ${d.at}${d.reason ? `\nReason: ${d.reason}` : ''}`,
        ),
      },
    },
  ];
}

/** A modal that asks for a required reason (3–500 characters) in its `reason` input. */
export function reasonModal(o: {
  callbackId: string;
  button: string;
  title: string;
  submit: string;
  label: string;
}): Record<string, unknown> {
  return {
    type: 'modal',
    callback_id: o.callbackId,
    private_metadata: o.button,
    title: { type: 'plain_text', text: o.title },
    submit: { type: 'plain_text', text: o.submit },
    close: { type: 'plain_text', text: 'Cancel' },
    blocks: [
      {
        type: 'input',
        block_id: 'reason',
        label: { type: 'plain_text', text: o.label },
        element: { type: 'plain_text_input', action_id: 'value', multiline: true, min_length: 3, max_length: 500 },
      },
    ],
  };
}

/** The modal that asks for a rejection's reason. */
export function rejectModal(button: string): Record<string, unknown> {
  return reasonModal({
    callbackId: REJECT_MODAL,
    button,
    title: 'Reject this step',
    submit: 'Reject',
    label: 'Why? (recorded in the migration and its report)',
  });
}
