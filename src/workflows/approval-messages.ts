/**
 * The Slack side of an approval: the request with Approve / Reject buttons, and rewriting it once
 * decided, timed out or superseded. Best effort. Workflow code only.
 */
import { workflowInfo } from '@temporalio/workflow';
import { parityText, stepText } from '../parity/verdict-text.js';
import type { CloseApproval } from './carried-state.js';
import type { Migration } from './migration-state.js';
import { quietly } from './notices.js';
import { act } from './proxies.js';

/** How an approval ended, as its Slack message says. */
export type ApprovalEnd = 'approved' | 'rejected' | 'timed-out' | 'superseded' | 'closed';

/** Posts the Slack approval request for `step` (Approve / Reject buttons); best effort. */
export async function postApprovalRequest(m: Migration, step: string, label: string): Promise<void> {
  if (!m.family.slackChannel) return;
  const f = m.progress;
  const ref = await quietly(m, () =>
    act('notify', 'postApprovalRequest', `Slack: ask approval of ${step}`, {
      workflowId: f.workflowId,
      family: f.family,
      plan: f.plan,
      channel: m.family.slackChannel,
      step,
      stepLabel: label,
      approvers: m.allowedFor(step),
      deadline: f.pending?.deadline ?? '',
      uiUrl: `${m.input.temporalUiUrl}/namespaces/${workflowInfo().namespace}/workflows/${f.workflowId}`,
      thread: m.thread,
      figures: {
        percent: f.percent,
        samples: f.parity?.samples,
        mismatchRate: f.parity?.mismatchRate,
        errorRate: f.analysis?.errorRate,
        p95Legacy: f.analysis?.legacyP95 ?? f.parity?.legacyP95 ?? null,
        p95New: f.analysis?.newP95 ?? f.parity?.newP95 ?? null,
        timeAtStepMs: Date.parse(new Date().toISOString()) - Date.parse(f.stageStartedAt),
        verdicts: {
          parity: f.parity ? parityText(f.parity) : undefined,
          step: f.analysis && f.percent > 0 ? stepText(f.analysis) : undefined,
        },
      },
    }),
  );
  if (ref) m.pushUndo({ kind: 'close-approval', ref, step, label });
}

/** Closes the pending approval of `step` and rewrites its Slack message with the outcome. */
export async function closeApproval(
  m: Migration,
  step: string,
  outcome: { outcome: Exclude<ApprovalEnd, 'superseded'>; by?: string; reason?: string },
): Promise<void> {
  m.closeApproval();
  const c = m.takeApprovalUndo(step);
  if (!c) return;
  await closeApprovalMessage(m, c, outcome.outcome, outcome.by, outcome.reason);
}

/** Marks a posted approval request as decided, timed out or superseded. */
export async function closeApprovalMessage(
  m: Migration,
  c: CloseApproval,
  outcome: ApprovalEnd,
  by?: string,
  reason?: string,
): Promise<void> {
  await quietly(m, () =>
    act('notify', 'updateApprovalMessage', `Slack: ${c.step} ${outcome}`, {
      ref: c.ref,
      workflowId: m.progress.workflowId,
      family: m.family.name,
      step: c.step,
      stepLabel: c.label,
      outcome,
      by,
      reason,
      at: new Date().toISOString(),
    }),
  );
}
