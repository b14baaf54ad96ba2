/**
 * Waiting for a person's decision on a step: the pending approval, reminders, the plan's timeout,
 * and analysis meanwhile when traffic is already on new. Workflow code only.
 */
import { ApplicationFailure, condition } from '@temporalio/workflow';
import { formatDuration } from '../plan/duration.js';
import { analyse } from './analysis.js';
import { closeApproval, postApprovalRequest } from './approval-messages.js';
import type { Decision } from './carried-state.js';
import { FailureType } from './failures.js';
import { Stage } from './messages.js';
import type { Migration } from './migration-state.js';
import { notice } from './notices.js';
import { maybeContinueAsNew } from './waits.js';

/** How an approval wait behaves. */
export interface ApprovalOptions {
  /** Analyse the current percent every `ramp.analysisInterval` while waiting (traffic is on new). */
  analyseWhileWaiting: boolean;
  /** The ramp step the approval belongs to, for resuming after continue-as-new. @default 0 */
  stepIndex?: number;
}

/**
 * Waits for a decision on `step`; analyses meanwhile when asked to. Rejection and (per plan)
 * timeout throw; reminders go out `remindBefore` the deadline.
 */
export async function awaitApproval(
  m: Migration,
  step: string,
  description: string,
  o: ApprovalOptions,
): Promise<Decision> {
  const stepIndex = o.stepIndex ?? 0;
  const a = m.family.approval;
  const carried = m.position.approval?.step === step ? m.position.approval : undefined;
  let remaining = carried?.remainingMs ?? a.timeout;
  let reminded = carried?.reminded ?? a.remindBefore >= remaining;
  if (!carried) {
    m.openApproval({ step, description, forMs: remaining });
    m.setStage(Stage.AwaitingApproval, `approval of ${step}`);
    await postApprovalRequest(m, step, description);
  } else {
    m.setStage(Stage.AwaitingApproval, `approval of ${step}`);
  }
  const interval = o.analyseWhileWaiting ? m.family.ramp.analysisInterval : remaining;
  while (m.decision === undefined) {
    const untilReminder = reminded ? remaining : remaining - a.remindBefore;
    const slice = Math.max(1, Math.min(interval, untilReminder, remaining));
    await condition(() => m.decision !== undefined || m.abortRequested !== undefined, slice, {
      summary: `wait for approval of ${step}`,
    });
    m.throwIfAborted();
    if (m.decision !== undefined) break;
    remaining -= slice;
    if (o.analyseWhileWaiting) await analyse(m);
    if (!reminded && remaining <= a.remindBefore && remaining > 0) {
      reminded = true;
      await notice(
        m,
        'reminder',
        `:hourglass: *${m.family.name}*: approval of ${step} (${description}) times out in ${formatDuration(remaining)}`,
      );
    }
    if (remaining <= 0) {
      if (a.onTimeout === 'reject') {
        m.record({ kind: 'timed-out', step, detail: `no decision within ${formatDuration(a.timeout)}` });
        await closeApproval(m, step, { outcome: 'timed-out' });
        throw ApplicationFailure.nonRetryable(
          `approval of ${step} timed out after ${formatDuration(a.timeout)}`,
          FailureType.ApprovalTimedOut,
        );
      }
      m.record({ kind: 'timed-out', step, detail: 'still waiting (plan: onTimeout wait)' });
      await notice(m, 'reminder', `:hourglass: *${m.family.name}*: approval of ${step} is overdue; still waiting`);
      remaining = a.timeout;
      reminded = a.remindBefore >= remaining;
      m.movePendingDeadline(new Date(Date.now() + remaining).toISOString());
    }
    m.awaitingApproval({ step, remainingMs: remaining, reminded }, stepIndex);
    await maybeContinueAsNew(m);
  }
  const d = m.takeDecision()!;
  await closeApproval(m, step, { outcome: d.outcome, by: d.by, reason: d.reason });
  if (d.outcome === 'rejected') {
    throw ApplicationFailure.nonRetryable(
      `${step} rejected by ${d.by}: ${d.reason ?? ''}`,
      FailureType.ApprovalRejected,
    );
  }
  return d;
}
