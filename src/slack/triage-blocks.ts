/**
 * The triage message: new difference signatures of a family, each with an example and Accept /
 * Block / Noise buttons, and the modal that asks why when a signature is accepted. Button values
 * are signed like the approval buttons; their step is `triage:<signature id>`.
 */
import { clip, encodeButtonValue, MAX_VALUE, reasonModal, type Block, type ButtonValue } from './blocks.js';

export const TRIAGE_ACCEPT_ACTION = 'phoenix_triage_accept';
export const TRIAGE_BLOCK_ACTION = 'phoenix_triage_block';
export const TRIAGE_NOISE_ACTION = 'phoenix_triage_noise';
export const TRIAGE_ACCEPT_MODAL = 'phoenix_triage_accept_reason';

/** Signatures listed in one message; Slack allows 50 blocks, two per signature. */
const MAX_LISTED = 20;

/** A signature as the triage message shows it. */
export interface TriageItem {
  id: string;
  text: string;
  count: number;
  example?: { requestId: string; legacy?: unknown; candidate?: unknown };
}

/** The signature id a triage button is about, or undefined for another button. */
export function triageSignatureOf(button: ButtonValue): string | undefined {
  return button.step.startsWith('triage:') ? button.step.slice(7) : undefined;
}

function shown(v: unknown): string {
  return v === undefined ? '∅' : clip(JSON.stringify(v) ?? '∅', 200);
}

export function triageBlocks(r: { workflowId: string; family: string; items: TriageItem[] }, secret?: string): Block[] {
  const listed = r.items.slice(0, MAX_LISTED);
  const blocks: Block[] = [
    {
      type: 'section',
      text: {
        type: 'mrkdwn',
        text: clip(
          `:mag: *${r.family}*: ${r.items.length} new difference signature${r.items.length === 1 ? '' : 's'} wait for triage. ` +
            'Accept an intended change (you will be asked why), Block a regression, or mark Noise.' +
            (r.items.length > listed.length
              ? ` The first ${listed.length} are listed; \`phoenix parity diffs ${r.family}\` has all.`
              : ''),
        ),
      },
    },
  ];
  for (const s of listed) {
    const value = (step: string): string => {
      const button = { workflowId: r.workflowId, family: r.family, step };
      const withText = encodeButtonValue({ ...button, text: s.text }, secret);
      // A text too long for a button is read from the router when the button is clicked.
      return withText.length <= MAX_VALUE ? withText : encodeButtonValue(button, secret);
    };
    const e = s.example;
    blocks.push({
      type: 'section',
      text: {
        type: 'mrkdwn',
        text: clip(
          `\`${s.id}\` *${s.text}* — seen ${s.count}×` +
            (e ? `\nexample ${e.requestId}: legacy ${shown(e.legacy)} → new ${shown(e.candidate)}` : ''),
        ),
      },
    });
    blocks.push({
      type: 'actions',
      block_id: `triage-${s.id}`,
      elements: [
        {
          type: 'button',
          action_id: TRIAGE_ACCEPT_ACTION,
          text: { type: 'plain_text', text: 'Accept' },
          style: 'primary',
          value: value(`triage:${s.id}`),
        },
        {
          type: 'button',
          action_id: TRIAGE_BLOCK_ACTION,
          text: { type: 'plain_text', text: 'Block' },
          style: 'danger',
          value: value(`triage:${s.id}`),
        },
        {
          type: 'button',
          action_id: TRIAGE_NOISE_ACTION,
          text: { type: 'plain_text', text: 'Noise' },
          value: value(`triage:${s.id}`),
        },
      ],
    });
  }
  return blocks;
}

/** The modal an Accept click opens: the reason is required, as for `phoenix parity accept`. */
export function triageAcceptModal(button: string): Record<string, unknown> {
  return reasonModal({
    callbackId: TRIAGE_ACCEPT_MODAL,
    button,
    title: 'Accept a difference',
    submit: 'Accept',
    label: 'Why is this change intended? (kept with the decision)',
  });
}
