/**
 * The validators of the `migrateFamily` updates. A refused update leaves no trace in the history;
 * each refusal is an `ApplicationFailure` with a stable `UpdateRefusal` type clients match on.
 * Workflow code only.
 */
import { ApplicationFailure } from '@temporalio/workflow';
import { TRIAGE_DECISIONS } from '../parity/signature.js';
import { UpdateRefusal } from './failures.js';
import { Stage, type RollbackRequest, type TriageRequest } from './messages.js';
import type { Migration } from './migration-state.js';

function refuse(type: UpdateRefusal, message: string): ApplicationFailure {
  return ApplicationFailure.create({ type, message, nonRetryable: true });
}

const blank = (s: string | undefined): boolean => !s || s.trim() === '';

/** An `approve` or `reject` of `step` by `approver`: the pending step, by someone allowed, once. */
export function validateDecision(m: Migration, step: string, approver: string): void {
  const pending = m.progress.pending;
  if (!pending) throw refuse(UpdateRefusal.NotPending, `nothing is waiting for approval (stage ${m.progress.stage})`);
  if (step !== pending.step)
    throw refuse(UpdateRefusal.NotPending, `step "${step}" is not pending; the pending step is "${pending.step}"`);
  const allowed = m.allowedFor(step);
  if (!allowed.includes(approver)) {
    throw refuse(
      UpdateRefusal.NotAllowed,
      `"${approver}" may not decide "${step}" for ${m.family.name}; allowed: ${allowed.join(', ')}`,
    );
  }
  if (m.decision)
    throw refuse(UpdateRefusal.AlreadyDecided, `step "${step}" was already ${m.decision.outcome} by ${m.decision.by}`);
}

/** A `reject` needs a reason, then passes as a decision. */
export function validateRejection(m: Migration, step: string, approver: string, reason: string | undefined): void {
  if (blank(reason)) throw refuse(UpdateRefusal.ReasonRequired, 'a rejection needs a reason');
  validateDecision(m, step, approver);
}

/** A `rollback`: by an approver, while there is something to roll back. */
export function validateRollback(m: Migration, r: RollbackRequest): void {
  if (!m.holdOnBreach)
    throw refuse(
      UpdateRefusal.NotSupportedByRun,
      'this migration started before `rollback` existed; use `phoenix abort` instead',
    );
  const allowed = m.family.approval.approvers;
  if (!allowed.includes(r.approver))
    throw refuse(
      UpdateRefusal.NotAllowed,
      `"${r.approver}" may not roll back ${m.family.name}; allowed: ${allowed.join(', ')}`,
    );
  if (m.progress.legacyRemovableFrom)
    throw refuse(
      UpdateRefusal.NothingToRollBack,
      `the decommission checklist of ${m.family.name} completed at ${m.progress.legacyRemovableFrom}; it can no longer be rolled back`,
    );
  const stage = m.progress.stage;
  if (
    stage === Stage.Completed ||
    stage === Stage.RollingBack ||
    stage === Stage.RolledBack ||
    stage === Stage.WaitingForRetry
  )
    throw refuse(UpdateRefusal.NothingToRollBack, `${m.family.name} is ${stage}; there is nothing to roll back`);
  if (m.abortRequested) throw refuse(UpdateRefusal.NothingToRollBack, `${m.family.name} is already rolling back`);
}

/** A `triage` decision: a well-formed signature and decision, by an approver, with a reason to accept. */
export function validateTriage(m: Migration, r: TriageRequest): void {
  if (!m.triage || !m.progress.triage)
    throw refuse(
      UpdateRefusal.NotSupportedByRun,
      'this migration started before triage existed; restart it to triage signatures',
    );
  if (typeof r.signature !== 'string' || !/^[0-9a-f]{12}$/.test(r.signature))
    throw refuse(
      UpdateRefusal.InvalidRequest,
      `signature: expected the 12 hex digits \`phoenix parity diffs\` lists, got ${JSON.stringify(r.signature)}`,
    );
  if (!TRIAGE_DECISIONS.includes(r.decision))
    throw refuse(
      UpdateRefusal.InvalidRequest,
      `decision: expected one of ${TRIAGE_DECISIONS.join(', ')}, got ${JSON.stringify(r.decision)}`,
    );
  const allowed = m.family.approval.approvers;
  if (!allowed.includes(r.approver))
    throw refuse(
      UpdateRefusal.NotAllowed,
      `"${r.approver}" may not triage ${m.family.name}; allowed: ${allowed.join(', ')}`,
    );
  if (r.decision === 'accept' && blank(r.reason))
    throw refuse(UpdateRefusal.ReasonRequired, 'accepting a signature needs a reason');
}
