/**
 * Messages of the `migrateFamily` workflow, shared by the workflow, the CLI, the Slack receiver
 * and scripts. Wire names stay short (`approve`, `pause`, `progress`).
 */
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { ParityEvidenceFields, StepEvidenceFields } from '../parity/gates.js';
import type { TriageDecision, TriageEntry } from '../parity/signature.js';
import type { ParityVerdict, SloVerdict } from '../parity/thresholds.js';
import type { ReplayRounds } from '../parity/verdict-text.js';
import type { EvidenceHistory } from './evidence-history.js';

/**
 * Where a migration is: the one vocabulary for its position, shown by the `progress` query, the
 * CLI and Slack, and the value of the `PhoenixStage` search attribute. Where a run resumes after
 * continue-as-new or a retry is named with these too (resume-point.ts).
 */
export const Stage = {
  Preflight: 'preflight',
  ContractGate: 'contract-gate',
  Shadow: 'shadow',
  Parity: 'parity',
  AwaitingApproval: 'awaiting-approval',
  Ramp: 'ramp',
  Decommission: 'decommission',
  Completed: 'completed',
  RollingBack: 'rolling-back',
  RolledBack: 'rolled-back',
  WaitingForRetry: 'waiting-for-retry',
} as const;
export type Stage = (typeof Stage)[keyof typeof Stage];

/** Where a decision came from. */
export type DecisionSource = 'cli' | 'slack' | 'api' | 'workflow';

/** An approval of the pending step. */
export interface ApprovalDecision {
  /** The step being approved: `ramp-start`, `ramp:25`, `decommission:<item>`. Must be the pending one. */
  step: string;
  /** Who approves: a name from the plan's approvers (CLI user, Slack user id or email). */
  approver: string;
  comment?: string;
  /** @default "api" */
  via?: DecisionSource;
}

/** A rejection of the pending step; it rolls the migration back. */
export interface RejectionDecision {
  step: string;
  approver: string;
  /** Why; recorded in the history, the report and Slack. */
  reason: string;
  /** @default "api" */
  via?: DecisionSource;
}

/** What an `approve`/`reject` update returns. */
export interface ApprovalResult {
  step: string;
  outcome: 'approved' | 'rejected';
  by: string;
  at: string;
}

/** A decision about a difference signature (`phoenix parity accept|noise|block`, Slack buttons). */
export interface TriageRequest {
  /** Signature id, as `phoenix parity diffs` lists it. */
  signature: string;
  decision: TriageDecision;
  /** Who decides: a name from the family's approvers. */
  approver: string;
  /** Why; required for `accept`. */
  reason?: string;
  /** The signature's text, kept for readers. */
  text?: string;
  /** @default "api" */
  via?: DecisionSource;
}

/** What a `triage` update returns: the decision as recorded and how many decisions are in force. */
export interface TriageResult {
  entry: TriageEntry;
  decisions: number;
}

export interface PauseRequest {
  by?: string;
  reason?: string;
}
export interface AbortRequest {
  by?: string;
  /** Recorded as the rollback reason. */
  reason: string;
}
/**
 * A rollback asked for by an approver (`phoenix rollback`, the Slack Rollback button): allowed
 * until the decommission checklist completes, including at 100%.
 */
export interface RollbackRequest {
  /** Who asks: a name from the family's approvers. */
  approver: string;
  /** Why; recorded as the rollback reason. @default "rollback requested" */
  reason?: string;
  /** @default "api" */
  via?: DecisionSource;
}

/** What a `rollback` update returns: accepted, the route goes to legacy next. */
export interface RollbackResult {
  by: string;
  at: string;
  /** The stage the migration was in when the rollback was accepted. */
  stage: Stage;
  percent: number;
}

export interface RetryRequest {
  by?: string;
}

/** One recorded decision or event, in order. */
export interface DecisionRecord {
  at: string;
  kind:
    | 'approved'
    | 'rejected'
    | 'timed-out'
    | 'paused'
    | 'resumed'
    | 'aborted'
    | 'retried'
    | 'stage'
    | 'rollback'
    | 'triaged';
  step?: string;
  by?: string;
  detail?: string;
}

/** The approval the workflow is waiting for. */
export interface PendingApproval {
  step: string;
  description: string;
  approvers: string[];
  since: string;
  deadline: string;
  /** For a held breach (`hold:ramp:<percent>`): what breached. */
  reason?: string;
}

/** A decommission checklist item and its state. */
export interface ChecklistItemState {
  id: string;
  kind: 'automated' | 'manual';
  description: string;
  owner?: string;
  status: 'pending' | 'passed' | 'failed' | 'signed-off';
  detail?: string;
  by?: string;
  at?: string;
}

/** Snapshot returned by the `progress` query. */
export interface MigrationProgress {
  workflowId: string;
  family: string;
  plan: string;
  stage: Stage;
  /** Share of traffic on the new service, 0–100. */
  percent: number;
  paused: boolean;
  startedAt: string;
  stageStartedAt: string;
  /** What the workflow waits for, in words. */
  waitingFor?: string;
  pending?: PendingApproval;
  /** The parity gate's last verdict; the evidence fields are absent for runs started before they existed. */
  parity?: ParityVerdict & Partial<ParityEvidenceFields>;
  /**
   * Triage: the decisions in force (the plan's baseline, then `triage` updates) and how many
   * signatures seen in the last figures wait for a decision. Absent for runs started before triage.
   */
  triage?: {
    decisions: TriageEntry[];
    waiting: number;
    /** Signatures already posted to Slack for triage, so each is announced once. */
    announced?: string[];
  };
  /**
   * The parity gate's replay rounds so far (`parity.replay`). Absent unless the plan sets
   * `parity.replay` and a round ran.
   */
  replay?: ReplayRounds;
  /** The last analysis of the current percent, with its evidence (same caveat). */
  analysis?: SloVerdict & Partial<StepEvidenceFields> & { at: string };
  /**
   * Every ramp-step analysis and parity-gate evaluation so far, as small points (bounded, the
   * oldest dropped and counted), and the top differing paths: the report's charts. Kept across
   * retries. Absent for runs started before it existed, until their next analysis.
   */
  history?: EvidenceHistory;
  decisions: DecisionRecord[];
  checklist: ChecklistItemState[];
  rollback?: { reason: string; type: string; at: string; completedAt?: string; durationMs?: number };
  /**
   * When the decommission checklist completed: from then on the legacy handlers may be removed
   * and `rollback` is refused. Absent until then, and for runs started before it existed.
   */
  legacyRemovableFrom?: string;
  /** Timings per stage (ms), for the report. */
  stageTimings: { stage: Stage; startedAt: string; endedAt?: string }[];
  attempt: number;
}

export const approveUpdate = defineUpdate<ApprovalResult, [ApprovalDecision]>('approve');
export const rejectUpdate = defineUpdate<ApprovalResult, [RejectionDecision]>('reject');
export const rollbackUpdate = defineUpdate<RollbackResult, [RollbackRequest]>('rollback');
export const triageUpdate = defineUpdate<TriageResult, [TriageRequest]>('triage');
export const pauseSignal = defineSignal<[PauseRequest]>('pause');
export const resumeSignal = defineSignal<[PauseRequest]>('resume');
export const abortSignal = defineSignal<[AbortRequest]>('abort');
export const retrySignal = defineSignal<[RetryRequest]>('retry');
export const progressQuery = defineQuery<MigrationProgress>('progress');

/**
 * What each message does, in words: the workflow registers its handlers with these, and the
 * Temporal UI shows them beside the query, signal and update names.
 */
export const MessageDescription = {
  progress: 'Where the migration is: stage, percent on new, pending approval, gate verdicts, decisions.',
  approve: 'Approve the pending step (ramp-start, ramp:<percent>, decommission:<item>) as one of its approvers.',
  reject: 'Reject the pending step with a reason; the family rolls back to legacy.',
  rollback: 'An approver rolls the family back to legacy, at any percent until the decommission checklist completes.',
  triage: 'Accept, mark as noise or block a difference signature; the router gets the decisions in force.',
  pause: 'Hold the migration where it is; bakes and gates stop counting until resume.',
  resume: 'Continue a paused migration.',
  abort: 'Stop the migration: route to legacy, undo what was done, end as MigrationAborted.',
  retry: 'Start a rolled-back migration again from the contract gate (onRollback: wait-for-retry).',
} as const;

/** Task queue the workers poll and clients start migrations on. */
export const TASK_QUEUE = 'phoenix';

/** Workflow id of a family's migration. */
export function migrationWorkflowId(family: string): string {
  return `phoenix-${family}`;
}

/** Workflow id of a plan's program workflow. */
export function programWorkflowId(plan: string): string {
  return `phoenix-program-${plan}`;
}
