/**
 * The building blocks the migration's stages share: reading and analysing figures, waiting for
 * approvals, notices, continue-as-new (holding a percent is in bake.ts). Workflow code only.
 */
import {
  ApplicationFailure,
  allHandlersFinished,
  condition,
  continueAsNew,
  log,
  workflowInfo,
} from '@temporalio/workflow';
import type { FamilyFigures } from '../activities/index.js';
import type { ReportPaths } from '../activities/report.js';
import type { SlackMessageRef } from '../activities/slack.js';
import type { EvidenceSlo } from '../parity/gates.js';
import { evaluateStep } from '../parity/step-evidence.js';
import { evaluateSlo } from '../parity/thresholds.js';
import { parityText, stepText } from '../parity/verdict-text.js';
import { formatDuration } from '../plan/duration.js';
import { FailureType } from './failures.js';
import { Stage } from './messages.js';
import type { Compensation, Migration } from './migration-state.js';
import { act } from './proxies.js';
import { carriedHold, holdOnBreach, holdsBreaches } from './breach-hold.js';
import { emptyHistory, recordStep } from './evidence-history.js';

const DEFAULT_HISTORY_LIMIT = 1500;

type Decided = { outcome: 'approved' | 'rejected'; step: string; by: string; reason?: string };

/** Reads the family's figures; a router that cannot answer is treated as unsafe. */
export async function readFigures(m: Migration, summary: string): Promise<FamilyFigures> {
  try {
    return await act('analysis', 'readFamilyFigures', summary, {
      adminUrl: m.input.routerAdminUrl,
      family: m.family.name,
    });
  } catch (err) {
    throw ApplicationFailure.nonRetryable(
      `cannot read ${m.family.name}'s figures from the router (${(err as Error).message}); rolling back to stay safe`,
      FailureType.SloBreached,
    );
  }
}

/** The plan's SLOs with their evidence settings (defaults for plans written before they existed). */
export function sloOf(m: Migration): EvidenceSlo {
  const slo = m.family.slo as Partial<EvidenceSlo> & typeof m.family.slo;
  return {
    ...slo,
    minUsers: slo.minUsers ?? 20,
    confidence: slo.confidence ?? 0.95,
    latency: slo.latency ?? { maxShiftMs: 25, minSamples: 20 },
  };
}

/**
 * One analysis of the current percent against the plan's SLOs; a breach throws at once, unless
 * the plan holds breaches (`onBreach: hold`) and a ramp step bakes: then it waits for a decision.
 */
export async function analyse(m: Migration): Promise<void> {
  const held = m.holdOnBreach ? carriedHold(m) : undefined;
  if (held) return holdOnBreach(m, held);
  const f = await readFigures(m, `analyse ${m.progress.percent}%`);
  const v = m.evidence
    ? evaluateStep(f.stats, sloOf(m), m.progress.percent, f.guard)
    : evaluateSlo(f.stats, m.family.slo, f.guard);
  m.progress.analysis = { ...v, at: new Date().toISOString() };
  recordStep((m.progress.history ??= emptyHistory()), f.stats, v, m.progress.percent, Date.now());
  m.refreshDetails();
  if (v.breached) {
    const tripped = f.guard.tripped;
    // A hard-error guard trip is never held: the router already serves legacy.
    if (!tripped && holdsBreaches(m)) return holdOnBreach(m, v.reasons);
    throw ApplicationFailure.nonRetryable(
      `${tripped ? 'router guard tripped' : 'SLO breached'} at ${m.progress.percent}%: ${v.reasons.join('; ')}`,
      tripped ? FailureType.GuardTripped : FailureType.SloBreached,
      v,
    );
  }
}

/** Waits up to `ms`, waking early only to abort. */
/**
 * Pushes the migration's triage decisions to the router when they changed (the whole set, so a
 * retry or replay leaves the same state). With `resetWindow`, the figures start over so counts
 * made before the decision do not keep judging the gate.
 */
export async function pushTriage(m: Migration, resetWindow: boolean): Promise<void> {
  const t = m.progress.triage;
  if (!m.triage || !t || !m.triageDirty) return;
  m.triageDirty = false;
  await act('control', 'setTriage', `triage: ${t.decisions.length} decisions`, {
    adminUrl: m.input.routerAdminUrl,
    family: m.family.name,
    decisions: t.decisions,
  });
  if (resetWindow)
    await act('control', 'resetFamilyStats', 'reset figures after triage', {
      adminUrl: m.input.routerAdminUrl,
      family: m.family.name,
    });
}

export async function waitOrAbort(m: Migration, ms: number, summary: string): Promise<void> {
  await condition(() => m.abortRequested !== undefined, Math.max(ms, 1), { summary });
  m.throwIfAborted();
}

/**
 * Waits for a decision on `step`; analyses meanwhile when traffic is already on new. Rejection
 * and (per plan) timeout throw; reminders go out `remindBefore` the deadline.
 */
export async function awaitApproval(
  m: Migration,
  step: string,
  description: string,
  analyseWhileWaiting: boolean,
  stepIndex = 0,
): Promise<Decided> {
  const a = m.family.approval;
  const carried = m.position.approval?.step === step ? m.position.approval : undefined;
  let remaining = carried?.remainingMs ?? a.timeout;
  let reminded = carried?.reminded ?? a.remindBefore >= remaining;
  if (!carried) {
    const since = new Date();
    m.openApproval({
      step,
      description,
      approvers: m.allowedFor(step),
      since: since.toISOString(),
      deadline: new Date(since.getTime() + remaining).toISOString(),
    });
    m.setStage(Stage.AwaitingApproval, `approval of ${step}`);
    await postApprovalRequest(m, step, description);
  } else {
    m.setStage(Stage.AwaitingApproval, `approval of ${step}`);
  }
  const interval = analyseWhileWaiting ? m.family.ramp.analysisInterval : remaining;
  while (m.decision === undefined) {
    const untilReminder = reminded ? remaining : remaining - a.remindBefore;
    const slice = Math.max(1, Math.min(interval, untilReminder, remaining));
    await condition(() => m.decision !== undefined || m.abortRequested !== undefined, slice, {
      summary: `wait for approval of ${step}`,
    });
    m.throwIfAborted();
    if (m.decision !== undefined) break;
    remaining -= slice;
    if (analyseWhileWaiting) await analyse(m);
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
      if (m.progress.pending) m.progress.pending.deadline = new Date(Date.now() + remaining).toISOString();
    }
    m.position = {
      phase: m.position.phase,
      stepIndex,
      bakedMs: 0,
      applied: false,
      approval: { step, remainingMs: remaining, reminded },
    };
    await maybeContinueAsNew(m);
  }
  const d = m.decision;
  m.decision = undefined;
  m.position.approval = undefined;
  await closeApproval(m, step, { outcome: d.outcome, by: d.by, reason: d.reason });
  if (d.outcome === 'rejected') {
    throw ApplicationFailure.nonRetryable(
      `${step} rejected by ${d.by}: ${d.reason ?? ''}`,
      FailureType.ApprovalRejected,
    );
  }
  return d;
}

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
  if (ref) m.undo.unshift({ kind: 'close-approval', ref, step, label });
}

/** Closes the pending approval of `step` and rewrites its Slack message with the outcome. */
export async function closeApproval(
  m: Migration,
  step: string,
  outcome: { outcome: 'approved' | 'rejected' | 'timed-out' | 'closed'; by?: string; reason?: string },
): Promise<void> {
  m.closeApproval();
  const i = m.undo.findIndex((c) => c.kind === 'close-approval' && c.step === step);
  if (i < 0) return;
  const [c] = m.undo.splice(i, 1) as [Extract<Compensation, { kind: 'close-approval' }>];
  await closeApprovalMessage(m, c, outcome.outcome, outcome.by, outcome.reason);
}

/** Marks a posted approval request as decided, timed out or superseded. */
export async function closeApprovalMessage(
  m: Migration,
  c: Extract<Compensation, { kind: 'close-approval' }>,
  outcome: 'approved' | 'rejected' | 'timed-out' | 'superseded' | 'closed',
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

/** Posts a Slack notice in the migration's thread (the first one starts it). Never fails the migration. */
export async function notice(
  m: Migration,
  kind: 'started' | 'stage' | 'rollback' | 'reminder' | 'completed' | 'decommission',
  text: string,
): Promise<SlackMessageRef | undefined> {
  if (!m.family.slackChannel) return undefined;
  const ref: SlackMessageRef | null | undefined = await quietly(m, () =>
    act('notify', 'postMigrationNotice', `Slack: ${kind}`, {
      workflowId: m.progress.workflowId,
      family: m.family.name,
      channel: m.family.slackChannel,
      thread: m.thread,
      kind,
      text,
      alsoToChannel: kind === 'rollback' || kind === 'decommission',
      ...(kind === 'decommission' ? { rollbackButton: true } : {}),
    }),
  );
  if (kind === 'started' && ref) m.thread = ref;
  return ref ?? undefined;
}

/**
 * Posts signatures seen for the first time and not yet decided to the family's Slack channel,
 * with Accept / Block / Noise buttons. Best effort, like every Slack message.
 */
export async function announceTriage(m: Migration, f: FamilyFigures): Promise<void> {
  const t = m.progress.triage;
  if (!m.triage || !t || !m.family.slackChannel) return;
  const announced = (t.announced ??= []);
  const decided = new Set(t.decisions.map((d) => d.id));
  const fresh = (f.stats.parity.triage?.top ?? []).filter(
    (s) => s.decision === undefined && !decided.has(s.id) && !announced.includes(s.id),
  );
  if (fresh.length === 0) return;
  announced.push(...fresh.map((s) => s.id));
  await quietly(m, () =>
    act('notify', 'postTriageMessage', `Slack: ${fresh.length} signatures to triage`, {
      workflowId: m.progress.workflowId,
      family: m.family.name,
      channel: m.family.slackChannel,
      thread: m.thread,
      items: fresh.map((s) => ({ id: s.id, text: s.text, count: s.count, example: s.example })),
    }),
  );
}

/** Writes the final report; a failure to write it is logged, never fatal. */
export async function writeReport(
  m: Migration,
  outcome: 'completed' | 'rolled-back',
): Promise<ReportPaths | undefined> {
  return quietly(m, () =>
    act('notify', 'writeReport', 'write the report', {
      workflowId: m.progress.workflowId,
      runId: workflowInfo().runId,
      outcome,
      progress: m.progress,
    }),
  );
}

async function quietly<T>(m: Migration, fn: () => Promise<T>): Promise<T | undefined> {
  try {
    return await fn();
  } catch (err) {
    log.warn('side activity failed; the migration goes on', { family: m.family.name, error: (err as Error).message });
    return undefined;
  }
}

/** Continues as new at a safe point when history grows long, carrying all state. */
export async function maybeContinueAsNew(m: Migration): Promise<void> {
  const info = workflowInfo();
  if (m.decision !== undefined) return;
  if (!info.continueAsNewSuggested && info.historyLength < (m.input.historyLimit ?? DEFAULT_HISTORY_LIMIT)) return;
  await condition(allHandlersFinished);
  log.info('continuing as new', { family: m.family.name, historyLength: info.historyLength });
  await continueAsNew<(input: typeof m.input) => Promise<unknown>>({ ...m.input, carry: m.carry() });
}
