/**
 * The migration's live state. Only its methods change it: message handlers (message-handlers.ts)
 * and the workflow's stages call them, and the workflow body waits on the state with `condition`.
 * What it carries through continue-as-new is plain data (carried-state.ts).
 */
import { ApplicationFailure, patched, upsertMemo, upsertSearchAttributes, workflowInfo } from '@temporalio/workflow';
import type { ReportPaths } from '../activities/report.js';
import type { SlackMessageRef } from '../activities/slack.js';
import { FailureType } from './failures.js';
import { Stage } from './messages.js';
import type { CarriedState, CloseApproval, Compensation, Decision, MigrateFamilyInput } from './carried-state.js';
import { PhoenixFamily, PhoenixPercent, PhoenixPlan, PhoenixStage } from './search-attributes.js';
import { migrationMemo } from './memo.js';
import { installHandlers } from './message-handlers.js';
import { MigrationRecords } from './migration-records.js';
import {
  carryPosition,
  reaches,
  resumePosition,
  type ApprovalWait,
  type Position,
  type ResumeOptions,
  type ResumeStage,
} from './resume-point.js';

export type { CarriedState, Compensation, Decision, MigrateFamilyInput, MigrationResult } from './carried-state.js';
export type { Position, ResumeOptions, ResumeStage } from './resume-point.js';

/** Live state of one migration run. */
export class Migration extends MigrationRecords {
  readonly input: MigrateFamilyInput;
  readonly resuming: boolean;
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
  /**
   * A hold (a step's bake, the no-legacy-traffic window) and the wait for parity count the
   * workflow time that passed, not the slices they asked for: a timer fires late by up to a
   * second, which made a bake with a short analysis interval last several times its length. Runs
   * recorded before count slices.
   */
  readonly holdsByClock: boolean;
  private where: Position;
  private undoStack: Compensation[];
  private slackThread: SlackMessageRef | undefined;
  private versionBase: number;
  private versionCounter: number;
  private lastVersion: number;
  /** The search attributes last upserted by this run, to skip an identical upsert. */
  private lastPublished: string | undefined;

  constructor(input: MigrateFamilyInput) {
    const c = input.carry;
    const info = workflowInfo();
    // Workflow time is deterministic in the sandbox; it only seeds versions that must grow run to run.
    const now = new Date().toISOString();
    super(
      input.family,
      c?.progress ?? {
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
      },
    );
    this.input = input;
    this.evidence = patched('evidence-gates');
    this.triage = patched('triage');
    this.replay = patched('parity-replay');
    this.holdOnBreach = patched('hold-on-breach');
    this.failsOnRollback = patched('rolled-back-fails');
    this.holdsByClock = patched('holds-by-clock');
    this.resuming = c !== undefined;
    if (this.triage && !this.progress.triage)
      this.progress.triage = { decisions: (input.family.triage ?? []).map((e) => ({ ...e })), waiting: 0 };
    this.where = c ? resumePosition(c.position) : { stage: Stage.ContractGate, stepIndex: 0, bakedMs: 0 };
    this.undoStack = c?.undo ?? [];
    this.slackThread = c?.thread;
    this.versionBase = c?.versionBase ?? info.startTime.getTime() * 1000;
    this.versionCounter = c?.versionCounter ?? 0;
    this.lastVersion = c?.lastVersion ?? 0;
    installHandlers(this);
    if (this.failsOnRollback) upsertMemo(migrationMemo(input.plan, input.family));
  }

  /** Where the run resumes after continue-as-new or a retry. */
  get position(): Readonly<Position> {
    return this.where;
  }
  /** The undo stack, newest first. */
  get undo(): readonly Compensation[] {
    return this.undoStack;
  }
  /** The Slack thread of this migration's notices, once the first one is posted. */
  get thread(): SlackMessageRef | undefined {
    return this.slackThread;
  }
  /** True when the run should (re)enter `stage`, given where it resumes. */
  reaches(stage: ResumeStage): boolean {
    return reaches(stage, this.where.stage);
  }

  /** Marks `stage` (and within it, the step and time held) as the resume point. */
  resumeAt(stage: ResumeStage, o: ResumeOptions = {}): void {
    this.where = { stage, stepIndex: o.stepIndex ?? 0, bakedMs: o.heldMs ?? 0, applied: o.applied ?? false };
  }

  /** Resumes an approval wait of the current stage at step `stepIndex` with the time it has left. */
  awaitingApproval(approval: ApprovalWait, stepIndex: number): void {
    this.where = { stage: this.where.stage, stepIndex, bakedMs: 0, applied: false, approval };
  }

  /** Resumes a held breach with the time it has left, keeping the step's bake. */
  holdingBreach(approval: ApprovalWait): void {
    this.where = { ...this.where, approval };
  }

  /** The decision on the pending step, cleared together with the approval wait. */
  takeDecision(): Decision | undefined {
    const d = this.decided;
    this.decided = undefined;
    this.where.approval = undefined;
    return d;
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

  /** Adds an undo on top of the stack. */
  pushUndo(c: Compensation): void {
    this.undoStack.unshift(c);
  }

  /** Empties the undo stack and returns it, newest first. */
  takeUndo(): Compensation[] {
    const stack = this.undoStack;
    this.undoStack = [];
    return stack;
  }

  /** Removes and returns the undo that would rewrite `step`'s approval request, if any. */
  takeApprovalUndo(step: string): CloseApproval | undefined {
    const i = this.undoStack.findIndex((c) => c.kind === 'close-approval' && c.step === step);
    const c = this.undoStack[i];
    if (c?.kind !== 'close-approval') return undefined;
    this.undoStack.splice(i, 1);
    return c;
  }

  /** The first notice posted starts the thread later notices reply in. */
  startThread(ref: SlackMessageRef): void {
    this.slackThread = ref;
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

  /** Opens `step`'s approval for its approvers, due `forMs` from now; earlier decisions stop counting. */
  openApproval(o: { step: string; description: string; forMs: number; reason?: string }): void {
    const since = new Date();
    this.decided = undefined;
    this.progress.pending = {
      step: o.step,
      description: o.description,
      approvers: this.allowedFor(o.step),
      since: since.toISOString(),
      deadline: new Date(since.getTime() + o.forMs).toISOString(),
      ...(o.reason === undefined ? {} : { reason: o.reason }),
    };
  }

  carry(): CarriedState {
    return {
      progress: this.progress,
      position: carryPosition(this.where),
      undo: this.undoStack,
      versionBase: this.versionBase,
      versionCounter: this.versionCounter,
      lastVersion: this.lastVersion,
      thread: this.slackThread,
      paused: this.progress.paused,
    };
  }

  /** Triage decisions changed and must reach the router before the next judgement. */
  markTriageChanged(): void {
    this.triageChanged = true;
  }

  /** True once per change of the triage decisions: the caller pushes them to the router. */
  takeTriageChange(): boolean {
    const changed = this.triageChanged;
    this.triageChanged = false;
    return changed;
  }

  /** Waiting for a retry: an abort from before the rollback no longer counts; a new one ends the wait. */
  clearAbort(): void {
    this.stop = undefined;
  }

  /** A retry starts the next attempt at the contract gate, without the last attempt's verdicts. */
  resetForRetry(): void {
    this.retryAsked = false;
    this.progress.attempt += 1;
    this.progress.parity = undefined;
    this.progress.analysis = undefined;
    this.progress.checklist = [];
    this.resumeAt(Stage.ContractGate);
  }

  /** Throws the abort as a migration-ending failure. */
  throwIfAborted(): void {
    const stop = this.stop;
    if (stop) {
      const requested = stop.type === FailureType.RollbackRequested;
      throw ApplicationFailure.nonRetryable(
        `${requested ? 'rollback requested' : 'aborted'}${stop.by ? ` by ${stop.by}` : ''}: ${stop.reason}`,
        requested ? FailureType.RollbackRequested : FailureType.Aborted,
      );
    }
  }
}
