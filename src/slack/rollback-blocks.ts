/**
 * The message posted when a family reaches 100% and its decommission checklist starts: the
 * notice with a Rollback button (signed like the approval buttons; the receiver lets only the
 * family's approvers use it, and the workflow refuses it once the checklist has completed).
 */
import { clip, encodeButtonValue, MAX_VALUE, type Block } from './blocks.js';

export const ROLLBACK_ACTION = 'phoenix_rollback';
/** The button value's `step`: not an approval step, the whole migration. */
export const ROLLBACK_STEP = 'rollback';

/** The notice text with a confirmed, signed Rollback button. */
export function rollbackBlocks(r: { workflowId: string; family: string; text: string }, secret?: string): Block[] {
  const value = encodeButtonValue({ workflowId: r.workflowId, family: r.family, step: ROLLBACK_STEP }, secret);
  if (value.length > MAX_VALUE)
    throw new Error(`button value of ${value.length} characters exceeds Block Kit's ${MAX_VALUE}`);
  return [
    { type: 'section', text: { type: 'mrkdwn', text: clip(r.text) } },
    {
      type: 'actions',
      block_id: 'phoenix_rollback',
      elements: [
        {
          type: 'button',
          action_id: ROLLBACK_ACTION,
          style: 'danger',
          text: { type: 'plain_text', text: 'Rollback to legacy' },
          value,
          confirm: {
            title: { type: 'plain_text', text: 'Roll back?' },
            text: { type: 'mrkdwn', text: clip(`All of *${r.family}*'s traffic goes back to legacy now.`, 300) },
            confirm: { type: 'plain_text', text: 'Roll back' },
            deny: { type: 'plain_text', text: 'Cancel' },
          },
        },
      ],
    },
  ] as const as unknown as Block[];
}
