/**
 * The `migrateFamily` message handlers. Each only changes the migration's state through its
 * methods; the workflow body waits on that state with `condition`. Workflow code only.
 */
import { setHandler } from '@temporalio/workflow';
import {
  abortSignal,
  approveUpdate,
  MessageDescription,
  pauseSignal,
  progressQuery,
  rejectUpdate,
  resumeSignal,
  retrySignal,
  rollbackUpdate,
  triageUpdate,
  type ApprovalDecision,
  type RejectionDecision,
  type RollbackRequest,
  type TriageRequest,
} from './messages.js';
import type { Migration } from './migration-state.js';
import { validateDecision, validateRejection, validateRollback, validateTriage } from './update-validators.js';

/** Registers every query, signal and update of `migrateFamily` on `m`. */
export function installHandlers(m: Migration): void {
  setHandler(approveUpdate, (d) => m.approve(d), {
    validator: (d: ApprovalDecision) => validateDecision(m, d.step, d.approver),
    description: MessageDescription.approve,
  });
  setHandler(rejectUpdate, (d) => m.reject(d), {
    validator: (d: RejectionDecision) => validateRejection(m, d.step, d.approver, d.reason),
    description: MessageDescription.reject,
  });
  setHandler(rollbackUpdate, (r) => m.requestRollback(r), {
    validator: (r: RollbackRequest) => validateRollback(m, r),
    description: MessageDescription.rollback,
  });
  setHandler(triageUpdate, (r) => m.decideSignature(r), {
    validator: (r: TriageRequest) => validateTriage(m, r),
    description: MessageDescription.triage,
  });
  setHandler(pauseSignal, (r) => m.pause(r), { description: MessageDescription.pause });
  setHandler(resumeSignal, (r) => m.resume(r), { description: MessageDescription.resume });
  setHandler(abortSignal, (r) => m.requestAbort(r), { description: MessageDescription.abort });
  setHandler(retrySignal, (r) => m.requestRetry(r), { description: MessageDescription.retry });
  setHandler(progressQuery, () => m.progress, { description: MessageDescription.progress });
}
