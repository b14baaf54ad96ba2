/**
 * Stable `type`s of the non-retryable failures that end or roll back a migration. Clients and
 * tests match on these, never on messages.
 */
export const FailureType = {
  PreflightFailed: 'PreflightFailed',
  ContractGateFailed: 'ContractGateFailed',
  ParityNotReached: 'ParityNotReached',
  /**
   * A gate never got enough evidence to pass within its timeout: too few shadow samples, too few
   * requests or users at a ramp step, no traffic on new in the decommission window.
   */
  NotEnoughEvidence: 'NotEnoughEvidence',
  SloBreached: 'SloBreached',
  GuardTripped: 'GuardTripped',
  ApprovalRejected: 'ApprovalRejected',
  ApprovalTimedOut: 'ApprovalTimedOut',
  ChecklistFailed: 'ChecklistFailed',
  Aborted: 'Aborted',
  /** An approver rolled the family back (`phoenix rollback`, Slack), possibly at 100%. */
  RollbackRequested: 'RollbackRequested',
  DependencyFailed: 'DependencyFailed',
  /**
   * How a rolled-back migration ends (after its compensations): the message is the reason, the
   * first detail the `MigrationResult` (report paths, progress).
   */
  MigrationRolledBack: 'MigrationRolledBack',
  /** How an aborted migration ends (after its compensations); details as for `MigrationRolledBack`. */
  MigrationAborted: 'MigrationAborted',
  /** How a program ends when a family did not complete; the first detail is its `ProgramProgress`. */
  ProgramFailed: 'ProgramFailed',
  /** Activities: the router refused a route change because a newer one was applied. */
  StaleRouteVersion: 'StaleRouteVersion',
  /**
   * Activities: a member of the family's data plane fleet did not answer (`PHX_ERR_FLEET_MEMBER_DOWN`
   * in the message); retryable, so a step waits for it and a rollback keeps trying it.
   */
  FleetMemberDown: 'FleetMemberDown',
  /**
   * Activities: the members of the family's data plane fleet hold copies of the plan that differ
   * outside each host's own fields (`PHX_ERR_FLEET_PLAN_MISMATCH` in the message, the members and
   * the differing parts in the details); permanent, raised before any member moved.
   */
  FleetPlanMismatch: 'FleetPlanMismatch',
  /** Activities: the plan or case files are invalid. */
  InvalidInput: 'InvalidInput',
} as const;
export type FailureType = (typeof FailureType)[keyof typeof FailureType];

/**
 * Stable `type`s of an update refused by its validator (the update leaves no trace in the
 * history). Clients receive them as the `ApplicationFailure` cause of `WorkflowUpdateFailedError`
 * and match on these; the message says the same for people.
 */
export const UpdateRefusal = {
  /** No approval is pending, or the named step is not the pending one. */
  NotPending: 'NotPending',
  /** The person is not among the approvers (or the item's owner) for this decision. */
  NotAllowed: 'NotAllowed',
  /** The pending step was already approved or rejected. */
  AlreadyDecided: 'AlreadyDecided',
  /** A rejection, or accepting a signature, without a reason. */
  ReasonRequired: 'ReasonRequired',
  /** A field of the request is malformed (signature id, triage decision). */
  InvalidRequest: 'InvalidRequest',
  /** The run started before this update existed; its recorded logic cannot honour it. */
  NotSupportedByRun: 'NotSupportedByRun',
  /** A rollback now would undo nothing or is no longer allowed (finished, already rolling back). */
  NothingToRollBack: 'NothingToRollBack',
} as const;
export type UpdateRefusal = (typeof UpdateRefusal)[keyof typeof UpdateRefusal];
