/**
 * What a migration records: its progress as the `progress` query shows it (verdicts, checklist,
 * replay rounds, rollback, decisions) and the requests people made through messages (approve,
 * reject, pause, resume, abort, retry, rollback, triage). Requests are recorded here, and acted
 * on by the workflow body. `Migration` (migration-state.ts) extends it. Workflow code only.
 */
import { setCurrentDetails } from '@temporalio/workflow';
import type { FamilyPlan } from '../plan/schema.js';
import type { CheckResult } from '../activities/checklist.js';
import type { ReplayRoundResult } from '../activities/replay.js';
import type { FamilyStatsSnapshot } from '../parity/snapshot.js';
import type { TriageEntry } from '../parity/signature.js';
import type { ReplayRounds } from '../parity/verdict-text.js';
import { FailureType } from './failures.js';
import {
  Stage,
  type AbortRequest,
  type ApprovalDecision,
  type ApprovalResult,
  type ChecklistItemState,
  type DecisionRecord,
  type MigrationProgress,
  type PauseRequest,
  type RejectionDecision,
  type RetryRequest,
  type RollbackRequest,
  type RollbackResult,
  type TriageRequest,
  type TriageResult,
} from './messages.js';
import type { Decision, StopRequest } from './carried-state.js';
import { renderDetails } from './details.js';
import { emptyHistory, recordParity, recordStep } from './evidence-history.js';

/** The last analysis of the current percent, without the time it was made. */
export type StepAnalysis = Omit<NonNullable<MigrationProgress['analysis']>, 'at'>;
/** The parity gate's verdict as the progress keeps it. */
export type ParityGateVerdict = NonNullable<MigrationProgress['parity']>;

/** The recorded side of a migration run. */
export class MigrationRecords {
  readonly family: FamilyPlan;
  readonly progress: MigrationProgress;
  protected decided: Decision | undefined;
  protected stop: StopRequest | undefined;
  protected retryAsked = false;
  /** Decisions changed since they were last pushed to the router. */
  protected triageChanged = false;

  constructor(family: FamilyPlan, progress: MigrationProgress) {
    this.family = family;
    this.progress = progress;
  }

  /** The decision on the pending step, until the workflow takes it. */
  get decision(): Decision | undefined {
    return this.decided;
  }
  /** An abort or requested rollback, until the run stops for it. */
  get abortRequested(): Readonly<StopRequest> | undefined {
    return this.stop;
  }
  /** A `retry` arrived while waiting for one. */
  get retryRequested(): boolean {
    return this.retryAsked;
  }
  /** Triage decisions changed since they were last pushed to the router. */
  get triageDirty(): boolean {
    return this.triageChanged;
  }

  record(d: Omit<DecisionRecord, 'at'>): void {
    this.progress.decisions.push({ at: new Date().toISOString(), ...d });
  }

  refreshDetails(): void {
    setCurrentDetails(renderDetails(this.progress, this.family));
  }

  setWaiting(waitingFor: string | undefined): void {
    this.progress.waitingFor = waitingFor;
    this.refreshDetails();
  }

  closeApproval(): void {
    this.progress.pending = undefined;
  }

  /** The pending approval's deadline moved (`onTimeout: wait` keeps waiting). */
  movePendingDeadline(deadline: string): void {
    if (this.progress.pending) this.progress.pending.deadline = deadline;
  }

  /** Who may decide `step`: the item's owner for manual checklist items, else the family's approvers. */
  allowedFor(step: string): string[] {
    if (step.startsWith('decommission:')) {
      const item = this.family.decommission.manual.find((m) => `decommission:${m.id}` === step);
      return item ? [item.owner] : [];
    }
    return this.family.approval.approvers;
  }

  /** Keeps a ramp-step analysis as the last one and in the evidence history. */
  recordAnalysis(v: StepAnalysis, stats: FamilyStatsSnapshot): void {
    this.progress.analysis = { ...v, at: new Date().toISOString() };
    recordStep((this.progress.history ??= emptyHistory()), stats, v, this.progress.percent, Date.now());
    this.refreshDetails();
  }

  /** The next analysis judges a new window: the last one no longer applies. */
  clearAnalysis(): void {
    this.progress.analysis = undefined;
  }

  /** Keeps a parity-gate verdict as the last one and in the evidence history. */
  recordParity(v: ParityGateVerdict, stats: FamilyStatsSnapshot): void {
    this.progress.parity = v;
    recordParity((this.progress.history ??= emptyHistory()), stats, v, Date.now());
  }

  /** How many signatures in the last figures wait for a triage decision. */
  setTriageWaiting(n: number): void {
    if (this.progress.triage) this.progress.triage.waiting = n;
  }

  /** Signatures already posted to Slack for triage (the list is kept from the first look on). */
  announcedSignatures(): readonly string[] {
    const t = this.progress.triage;
    return t ? (t.announced ??= []) : [];
  }

  /** Notes signatures as posted to Slack, so each is announced once. */
  noteAnnounced(ids: string[]): void {
    const t = this.progress.triage;
    if (t) (t.announced ??= []).push(...ids);
  }

  /** The parity gate's replay rounds, started empty before the first round. */
  openReplay(): Readonly<ReplayRounds> {
    return (this.progress.replay ??= {
      rounds: 0,
      submitted: 0,
      dropped: 0,
      failed: 0,
      skipped: 0,
      pool: { contracts: 0, samples: 0 },
      next: 0,
    });
  }

  /** Adds a replay round of `count` requests to the totals and moves the pool's cursor on. */
  recordReplayRound(r: ReplayRoundResult, count: number): Readonly<ReplayRounds> {
    const state = this.progress.replay!;
    state.rounds++;
    state.submitted += r.submitted;
    state.dropped += r.dropped;
    state.failed += r.failed;
    state.skipped = r.skipped.credentials + r.skipped.variables;
    state.pool = r.pool;
    const size = r.pool.contracts + r.pool.samples;
    state.next = size === 0 ? 0 : (state.next + count) % size;
    return state;
  }

  /** The decommission checklist, every item pending. */
  startChecklist(items: ChecklistItemState[]): void {
    this.progress.checklist = items;
  }

  /** A manual checklist item signed off by its owner. */
  signOff(item: ChecklistItemState, by: string): void {
    Object.assign(item, { status: 'signed-off', by, at: new Date().toISOString() });
  }

  /** An automated checklist item's result. */
  recordCheck(item: ChecklistItemState, r: CheckResult): void {
    Object.assign(item, { status: r.status, detail: r.detail, at: new Date().toISOString() });
    this.refreshDetails();
  }

  /** The checklist completed: legacy handlers may go, and `rollback` is refused from now on. */
  markLegacyRemovable(): void {
    this.progress.legacyRemovableFrom = new Date().toISOString();
  }

  /** The rollback's cause, as it starts. */
  beginRollback(failure: { type: string; reason: string }, atMs: number): void {
    this.progress.rollback = { reason: failure.reason, type: failure.type, at: new Date(atMs).toISOString() };
  }

  /** The rollback's compensations are done. */
  recordRollback(doneMs: number, startedMs: number): void {
    const r = this.progress.rollback!;
    this.progress.rollback = { ...r, completedAt: new Date(doneMs).toISOString(), durationMs: doneMs - startedMs };
  }

  /** `approve`: the pending step approved. */
  approve(d: ApprovalDecision): ApprovalResult {
    this.record({
      kind: 'approved',
      step: d.step,
      by: d.approver,
      detail: [d.via ?? 'api', d.comment].filter(Boolean).join(': '),
    });
    return this.decide({ outcome: 'approved', step: d.step, by: d.approver });
  }

  /** `reject`: the pending step rejected; the run rolls back. */
  reject(d: RejectionDecision): ApprovalResult {
    this.record({ kind: 'rejected', step: d.step, by: d.approver, detail: `${d.via ?? 'api'}: ${d.reason}` });
    return this.decide({ outcome: 'rejected', step: d.step, by: d.approver, reason: d.reason });
  }

  private decide(d: Decision): ApprovalResult {
    this.decided = d;
    return { step: d.step, outcome: d.outcome, by: d.by, at: new Date().toISOString() };
  }

  /** `pause`: bakes and gates stop counting. */
  pause(r: PauseRequest): void {
    if (this.progress.paused) return;
    this.progress.paused = true;
    this.record({ kind: 'paused', by: r.by, detail: r.reason });
    this.refreshDetails();
  }

  /** `resume`: a paused run goes on. */
  resume(r: PauseRequest): void {
    if (!this.progress.paused) return;
    this.progress.paused = false;
    this.record({ kind: 'resumed', by: r.by, detail: r.reason });
    this.refreshDetails();
  }

  /** `abort`: every wait wakes and the run rolls back. */
  requestAbort(r: AbortRequest): void {
    if (this.stop) return;
    this.stop = { reason: r.reason || 'aborted', by: r.by };
    this.record({ kind: 'aborted', by: r.by, detail: r.reason });
  }

  /** `retry`: counts only while waiting for one. */
  requestRetry(r: RetryRequest): void {
    if (this.progress.stage !== Stage.WaitingForRetry) return;
    this.retryAsked = true;
    this.record({ kind: 'retried', by: r.by });
  }

  /** `rollback`: goes through the abort path, whose waits all wake on it; route to legacy comes first. */
  requestRollback(r: RollbackRequest): RollbackResult {
    const reason = r.reason?.trim() || 'rollback requested';
    this.stop = { reason, by: r.approver, type: FailureType.RollbackRequested };
    this.record({ kind: 'rollback', by: r.approver, detail: `${r.via ?? 'api'}: requested — ${reason}` });
    return { by: r.approver, at: new Date().toISOString(), stage: this.progress.stage, percent: this.progress.percent };
  }

  /** `triage`: records a signature's decision; the workflow pushes the set to the router. */
  decideSignature(r: TriageRequest): TriageResult {
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
    this.triageChanged = true;
    this.record({
      kind: 'triaged',
      step: entry.id,
      by: entry.by,
      detail: [`${r.via ?? 'api'}: ${entry.decision}`, entry.reason, entry.text].filter(Boolean).join(' — '),
    });
    this.refreshDetails();
    return { entry, decisions: t.decisions.length };
  }
}
