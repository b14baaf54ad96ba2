/**
 * The migration's state and its message handlers. Handlers only change state; the workflow body
 * waits on it with `condition`. All of it is plain data so it can travel through continue-as-new.
 */
import {
  ApplicationFailure,
  patched,
  setCurrentDetails,
  setHandler,
  upsertMemo,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { FamilyPlan } from '../plan/schema.js';
import type { ReportPaths } from '../activities/report.js';
import type { SlackMessageRef } from '../activities/slack.js';
import { FailureType } from './failures.js';
import {
  abortSignal,
  approveUpdate,
  triageUpdate,
  pauseSignal,
  progressQuery,
  rejectUpdate,
  resumeSignal,
  rollbackUpdate,
  retrySignal,
  MessageDescription,
  Stage,
  type ApprovalDecision,
  type ApprovalResult,
  type RejectionDecision,
  type RollbackRequest,
  type RollbackResult,
  type DecisionRecord,
  type MigrationProgress,
  type PendingApproval,
  type TriageRequest,
} from './messages.js';
import { TRIAGE_DECISIONS, type TriageEntry } from '../parity/signature.js';
import { PhoenixFamily, PhoenixPercent, PhoenixPlan, PhoenixStage } from './search-attributes.js';
import { renderDetails } from './details.js';
import { migrationMemo } from './memo.js';

/** Where the migration resumes after continue-as-new or a retry. */
export type Phase = 'contract-gate' | 'shadow' | 'parity' | 'ramp-start' | 'ramp' | 'decommission';
const PHASES: readonly Phase[] = ['contract-gate', 'shadow', 'parity', 'ramp-start', 'ramp', 'decommission'];

/** An undo, as data so it survives continue-as-new. */
export type Compensation =
  { kind: 'route-legacy' } | { kind: 'close-approval'; ref: SlackMessageRef; step: string; label: string };

export interface MigrateFamilyInput {
  /** Plan name (`PhoenixPlan`). */
  plan: string;
  routerAdminUrl: string;
  temporalUiUrl: string;
  family: FamilyPlan;
  /** History length past which long waits continue as new. @default 1500 (events) */
  historyLimit?: number;
  /** @internal State carried across continue-as-new. */
  carry?: CarriedState;
}

/** Where in the plan the migration stands, precisely enough to resume there. */
export interface Position {
  phase: Phase;
  stepIndex: number;
  /** Time already held at this step (bake, parity wait, no-legacy window), ms. */
  bakedMs: number;
  /** The step's route change has been applied. */
  applied?: boolean;
  /** An approval being waited for. */
  approval?: { step: string; remainingMs: number; reminded: boolean };
}

export interface CarriedState {
  progress: MigrationProgress;
  position: Position;
  undo: Compensation[];
  versionBase: number;
  versionCounter: number;
  lastVersion: number;
  thread?: SlackMessageRef;
  paused: boolean;
}

export interface MigrationResult {
  family: string;
  outcome: 'completed' | 'rolled-back';
  reason?: string;
  type?: string;
  report?: ReportPaths;
  progress: MigrationProgress;
}

type Decision = { outcome: 'approved' | 'rejected'; step: string; by: string; reason?: string };

/** Live state of one migration run. */
export class Migration {
  readonly input: MigrateFamilyInput;
  readonly family: FamilyPlan;
  readonly resuming: boolean;
  progress: MigrationProgress;
  position: Position;
  undo: Compensation[];
  thread: SlackMessageRef | undefined;
  decision: Decision | undefined;
  abortRequested: { reason: string; by?: string; type?: string } | undefined;
  retryRequested = false;
  /**
   * Gates decide on evidence (three outcomes, bake extended while evidence is missing). Runs
   * recorded before this logic existed replay with the earlier gates.
   */
  readonly evidence: boolean;
  /**
   * Difference signatures are triaged (decisions pushed to the router, the `triage` update).
   * Runs recorded before triage existed replay without it.
   */
  readonly triage: boolean;
  /**
   * The parity gate may replay recorded safe requests (`parity.replay`). Runs recorded before
   * replay existed replay without it.
   */
  readonly replay: boolean;
  /**
   * `onBreach: hold` and rollback after 100% (the `rollback` update). Runs recorded before they
   * existed replay without them.
   */
  readonly holdOnBreach: boolean;
  /**
   * A rollback or abort ends the run as a failed workflow (`MigrationRolledBack`,
   * `MigrationAborted`) after its compensations; the memo is filled and a search-attribute
   * upsert equal to the last one is skipped. Runs recorded before replay as completed.
   */
  readonly failsOnRollback: boolean;
  /** Decisions changed since they were last pushed to the router. */
  triageDirty = false;
  private versionBase: number;
  private versionCounter: number;
  private lastVersion: number;
  /** The search attributes last upserted by this run, to skip an identical upsert. */
  private lastPublished: string | undefined;

  constructor(input: MigrateFamilyInput) {
    this.input = input;
    this.family = input.family;
    this.evidence = patched('evidence-gates');
    this.triage = patched('triage');
    this.replay = patched('parity-replay');
    this.holdOnBreach = patched('hold-on-breach');
    this.failsOnRollback = patched('rolled-back-fails');
    const c = input.carry;
    this.resuming = c !== undefined;
    const info = workflowInfo();
    // Workflow time is deterministic in the sandbox; it only seeds versions that must grow run to run.
    const now = new Date().toISOString();
    this.progress = c?.progress ?? {
      workflowId: info.workflowId,
      family: input.family.name,
      plan: input.plan,
      stage: Stage.Preflight,
      percent: 0,
      paused: false,
      startedAt: now,
      stageStartedAt: now,
      decisions: [],
      checklist: [],
      stageTimings: [{ stage: Stage.Preflight, startedAt: now }],
      attempt: 1,
    };
    if (this.triage && !this.progress.triage)
      this.progress.triage = { decisions: (input.family.triage ?? []).map((e) => ({ ...e })), waiting: 0 };
    this.position = c?.position ?? { phase: 'contract-gate', stepIndex: 0, bakedMs: 0 };
    this.undo = c?.undo ?? [];
    this.thread = c?.thread;
    this.versionBase = c?.versionBase ?? info.startTime.getTime() * 1000;
    this.versionCounter = c?.versionCounter ?? 0;
    this.lastVersion = c?.lastVersion ?? 0;
    this.installHandlers();
    if (this.failsOnRollback) upsertMemo(migrationMemo(input.plan, input.family));
  }

  /** True when the run should (re)enter `phase`, given where it resumes. */
  reaches(phase: Phase): boolean {
    return PHASES.indexOf(phase) >= PHASES.indexOf(this.position.phase);
  }

  /** Marks `phase` as the resume point. */
  enter(phase: Phase, stepIndex = 0, bakedMs = 0, applied = false): void {
    this.position = { phase, stepIndex, bakedMs, applied };
  }

  /** A route version newer than any this family has seen. */
  nextVersion(): number {
    this.versionCounter += 1;
    this.lastVersion = Math.max(this.versionBase + this.versionCounter, this.lastVersion + 1);
    return this.lastVersion;
  }

  sawVersion(v: number): void {
    this.lastVersion = Math.max(this.lastVersion, v);
  }

  setStage(stage: Stage, waitingFor?: string): void {
    const now = new Date().toISOString();
    if (stage !== this.progress.stage) {
      const last = this.progress.stageTimings[this.progress.stageTimings.length - 1];
      if (last && !last.endedAt) last.endedAt = now;
      this.progress.stageTimings.push({ stage, startedAt: now });
      this.progress.stage = stage;
      this.progress.stageStartedAt = now;
      this.record({ kind: 'stage', detail: stage });
    }
    this.progress.waitingFor = waitingFor;
    this.publish();
  }

  setPercent(percent: number): void {
    this.progress.percent = percent;
    this.publish();
  }

  setWaiting(waitingFor: string | undefined): void {
    this.progress.waitingFor = waitingFor;
    this.refreshDetails();
  }

  record(d: Omit<DecisionRecord, 'at'>): void {
    this.progress.decisions.push({ at: new Date().toISOString(), ...d });
  }

  /** Search attributes and the UI details follow stage and percent. */
  publish(): void {
    const percent = Math.round(this.progress.percent);
    // One upsert per state change: the same values again would only add an event to the history.
    const key = `${this.progress.stage}|${percent}`;
    if (!this.failsOnRollback || key !== this.lastPublished) {
      this.lastPublished = key;
      upsertSearchAttributes([
        { key: PhoenixFamily, value: this.family.name },
        { key: PhoenixPlan, value: this.input.plan },
        { key: PhoenixStage, value: this.progress.stage },
        { key: PhoenixPercent, value: percent },
      ]);
    }
    this.refreshDetails();
  }

  /** Adds the report's location to the memo, where the Temporal UI shows it. */
  memoReport(report: ReportPaths): void {
    if (this.failsOnRollback) upsertMemo({ report });
  }

  refreshDetails(): void {
    setCurrentDetails(renderDetails(this.progress, this.family));
  }

  openApproval(pending: PendingApproval): void {
    this.decision = undefined;
    this.progress.pending = pending;
  }

  closeApproval(): void {
    this.progress.pending = undefined;
  }

  carry(): CarriedState {
    return {
      progress: this.progress,
      position: this.position,
      undo: this.undo,
      versionBase: this.versionBase,
      versionCounter: this.versionCounter,
      lastVersion: this.lastVersion,
      thread: this.thread,
      paused: this.progress.paused,
    };
  }

  /** Who may decide `step`: the item's owner for manual checklist items, else the family's approvers. */
  allowedFor(step: string): string[] {
    if (step.startsWith('decommission:')) {
      const item = this.family.decommission.manual.find((m) => `decommission:${m.id}` === step);
      return item ? [item.owner] : [];
    }
    return this.family.approval.approvers;
  }

  private validateDecision(step: string, approver: string): void {
    const pending = this.progress.pending;
    if (!pending) throw new Error(`nothing is waiting for approval (stage ${this.progress.stage})`);
    if (step !== pending.step) throw new Error(`step "${step}" is not pending; the pending step is "${pending.step}"`);
    const allowed = this.allowedFor(step);
    if (!allowed.includes(approver)) {
      throw new Error(`"${approver}" may not decide "${step}" for ${this.family.name}; allowed: ${allowed.join(', ')}`);
    }
    if (this.decision) throw new Error(`step "${step}" was already ${this.decision.outcome} by ${this.decision.by}`);
  }

  private installHandlers(): void {
    const decided = (d: Decision): ApprovalResult => {
      this.decision = d;
      return { step: d.step, outcome: d.outcome, by: d.by, at: new Date().toISOString() };
    };
    setHandler(
      approveUpdate,
      (d) => {
        this.record({
          kind: 'approved',
          step: d.step,
          by: d.approver,
          detail: [d.via ?? 'api', d.comment].filter(Boolean).join(': '),
        });
        return decided({ outcome: 'approved', step: d.step, by: d.approver });
      },
      {
        validator: (d: ApprovalDecision) => this.validateDecision(d.step, d.approver),
        description: MessageDescription.approve,
      },
    );
    setHandler(
      rejectUpdate,
      (d) => {
        this.record({ kind: 'rejected', step: d.step, by: d.approver, detail: `${d.via ?? 'api'}: ${d.reason}` });
        return decided({ outcome: 'rejected', step: d.step, by: d.approver, reason: d.reason });
      },
      {
        validator: (d: RejectionDecision) => {
          if (!d.reason || d.reason.trim() === '') throw new Error('a rejection needs a reason');
          this.validateDecision(d.step, d.approver);
        },
        description: MessageDescription.reject,
      },
    );
    setHandler(rollbackUpdate, (r) => this.requestRollback(r), {
      validator: (r: RollbackRequest) => this.validateRollback(r),
      description: MessageDescription.rollback,
    });
    setHandler(triageUpdate, (r) => this.decideSignature(r), {
      validator: (r: TriageRequest) => this.validateTriage(r),
      description: MessageDescription.triage,
    });
    setHandler(
      pauseSignal,
      (r) => {
        if (this.progress.paused) return;
        this.progress.paused = true;
        this.record({ kind: 'paused', by: r.by, detail: r.reason });
        this.refreshDetails();
      },
      { description: MessageDescription.pause },
    );
    setHandler(
      resumeSignal,
      (r) => {
        if (!this.progress.paused) return;
        this.progress.paused = false;
        this.record({ kind: 'resumed', by: r.by, detail: r.reason });
        this.refreshDetails();
      },
      { description: MessageDescription.resume },
    );
    setHandler(
      abortSignal,
      (r) => {
        if (this.abortRequested) return;
        this.abortRequested = { reason: r.reason || 'aborted', by: r.by };
        this.record({ kind: 'aborted', by: r.by, detail: r.reason });
      },
      { description: MessageDescription.abort },
    );
    setHandler(
      retrySignal,
      (r) => {
        if (this.progress.stage !== Stage.WaitingForRetry) return;
        this.retryRequested = true;
        this.record({ kind: 'retried', by: r.by });
      },
      { description: MessageDescription.retry },
    );
    setHandler(progressQuery, () => this.progress, { description: MessageDescription.progress });
  }

  private validateRollback(r: RollbackRequest): void {
    if (!this.holdOnBreach)
      throw new Error('this migration started before `rollback` existed; use `phoenix abort` instead');
    const allowed = this.family.approval.approvers;
    if (!allowed.includes(r.approver))
      throw new Error(`"${r.approver}" may not roll back ${this.family.name}; allowed: ${allowed.join(', ')}`);
    if (this.progress.legacyRemovableFrom)
      throw new Error(
        `the decommission checklist of ${this.family.name} completed at ${this.progress.legacyRemovableFrom}; it can no longer be rolled back`,
      );
    const stage = this.progress.stage;
    if (
      stage === Stage.Completed ||
      stage === Stage.RollingBack ||
      stage === Stage.RolledBack ||
      stage === Stage.WaitingForRetry
    )
      throw new Error(`${this.family.name} is ${stage}; there is nothing to roll back`);
    if (this.abortRequested) throw new Error(`${this.family.name} is already rolling back`);
  }

  /** Rolls back through the abort path, whose waits all wake on it; route to legacy comes first. */
  private requestRollback(r: RollbackRequest): RollbackResult {
    const reason = r.reason?.trim() || 'rollback requested';
    this.abortRequested = { reason, by: r.approver, type: FailureType.RollbackRequested };
    this.record({ kind: 'rollback', by: r.approver, detail: `${r.via ?? 'api'}: requested — ${reason}` });
    return { by: r.approver, at: new Date().toISOString(), stage: this.progress.stage, percent: this.progress.percent };
  }

  private validateTriage(r: TriageRequest): void {
    if (!this.triage || !this.progress.triage)
      throw new Error('this migration started before triage existed; restart it to triage signatures');
    if (typeof r.signature !== 'string' || !/^[0-9a-f]{12}$/.test(r.signature))
      throw new Error(
        `signature: expected the 12 hex digits \`phoenix parity diffs\` lists, got ${JSON.stringify(r.signature)}`,
      );
    if (!TRIAGE_DECISIONS.includes(r.decision))
      throw new Error(`decision: expected one of ${TRIAGE_DECISIONS.join(', ')}, got ${JSON.stringify(r.decision)}`);
    const allowed = this.family.approval.approvers;
    if (!allowed.includes(r.approver))
      throw new Error(`"${r.approver}" may not triage ${this.family.name}; allowed: ${allowed.join(', ')}`);
    if (r.decision === 'accept' && (!r.reason || r.reason.trim() === ''))
      throw new Error('accepting a signature needs a reason');
  }

  /** Records a signature's decision; the workflow pushes the set to the router. */
  private decideSignature(r: TriageRequest): { entry: TriageEntry; decisions: number } {
    const t = this.progress.triage!;
    const entry: TriageEntry = {
      id: r.signature,
      decision: r.decision,
      ...(r.reason?.trim() ? { reason: r.reason.trim() } : {}),
      by: r.approver,
      at: new Date().toISOString(),
      ...(r.text ? { text: r.text } : {}),
    };
    const i = t.decisions.findIndex((e) => e.id === entry.id);
    if (i >= 0) t.decisions[i] = entry;
    else t.decisions.push(entry);
    this.triageDirty = true;
    this.record({
      kind: 'triaged',
      step: entry.id,
      by: entry.by,
      detail: [`${r.via ?? 'api'}: ${entry.decision}`, entry.reason, entry.text].filter(Boolean).join(' — '),
    });
    this.refreshDetails();
    return { entry, decisions: t.decisions.length };
  }

  /** Throws the abort as a migration-ending failure. */
  throwIfAborted(): void {
    if (this.abortRequested) {
      const requested = this.abortRequested.type === FailureType.RollbackRequested;
      throw ApplicationFailure.nonRetryable(
        `${requested ? 'rollback requested' : 'aborted'}${this.abortRequested.by ? ` by ${this.abortRequested.by}` : ''}: ${this.abortRequested.reason}`,
        requested ? FailureType.RollbackRequested : FailureType.Aborted,
      );
    }
  }
}
