/**
 * `migrateFamily`: one endpoint family from legacy to the new service, and back on any failure.
 *
 *   preflight → contract gate → shadow → parity gate → approval → ramp (bake + analysis,
 *   approvals) → decommission checklist → report
 *   failure, breach, rejection, abort or timeout → rollback (route to legacy first, then the
 *   rest of the undo stack, LIFO) → end, or wait for `retry`
 *
 * A rolled-back run ends as a failed workflow (`MigrationRolledBack`, or `MigrationAborted` for an
 * abort) whose details hold the `MigrationResult`, so the Temporal UI shows it as Failed; runs
 * recorded before the `rolled-back-fails` patch replay as completed with the result.
 */
import {
  ApplicationFailure,
  CancellationScope,
  ContinueAsNew,
  allHandlersFinished,
  condition,
  log,
} from '@temporalio/workflow';
import { stepText } from '../parity/verdict-text.js';
import { formatDuration } from '../plan/duration.js';
import { hold } from './bake.js';
import { decommission } from './decommission.js';
import { FailureType } from './failures.js';
import { Stage } from './messages.js';
import { Migration, type MigrateFamilyInput, type MigrationResult } from './migration-state.js';
import { waitForParity } from './parity-gate.js';
import { act } from './proxies.js';
import { members } from './fleet-members.js';
import { closeApprovalMessage } from './approval-messages.js';
import { awaitApproval } from './approvals.js';
import { notice, writeReport } from './notices.js';
import { pushTriage } from './triage.js';

export type { MigrateFamilyInput, MigrationResult } from './migration-state.js';

export async function migrateFamily(input: MigrateFamilyInput): Promise<MigrationResult> {
  const m = new Migration(input);
  m.publish();
  for (;;) {
    try {
      if (!m.resuming && m.progress.attempt === 1 && m.reaches(Stage.ContractGate)) await preflight(m);
      if (m.reaches(Stage.ContractGate)) await runContractGate(m);
      if (m.reaches(Stage.Shadow)) await startShadow(m);
      if (m.reaches(Stage.Parity)) await waitForParity(m);
      // The approval that opens the ramp, when the plan asks for one.
      if (m.reaches(Stage.AwaitingApproval) && m.family.approveRampStart) await awaitRampStart(m);
      await ramp(m);
      await decommission(m);
      return await finish(m, 'completed');
    } catch (err) {
      if (err instanceof ContinueAsNew) throw err;
      await rollbackMigration(m, describeFailure(err));
      if (!(await waitForRetry(m))) return await endRolledBack(m);
    }
  }
}

async function preflight(m: Migration): Promise<void> {
  m.setStage(Stage.Preflight, 'router and upstreams to answer');
  await notice(m, 'started', `Migration of *${m.family.name}* started: legacy → ${m.family.new}`);
  const r = await act('control', 'checkPreflight', 'preflight: router, legacy, new', {
    ...members(m),
    family: m.family,
  });
  const problems: string[] = [];
  if (!r.router.ok)
    problems.push(`router admin API at ${r.router.member ?? m.input.routerAdminUrl} unreachable (${r.router.error})`);
  if (!r.legacy.ok) problems.push(`legacy ${m.family.legacy} unreachable (${r.legacy.error})`);
  if (!r.new.ok) problems.push(`new service ${m.family.new} unreachable (${r.new.error})`);
  if (r.route && r.route.mode !== 'legacy')
    problems.push(
      `the family is on "${r.route.mode}" at ${r.route.percent}%, not legacy; set it to legacy or finish the earlier migration first`,
    );
  if (r.guard?.tripped)
    problems.push(
      `the router guard is tripped (${r.guard.reason ?? 'no reason'}); clear it once the new service is healthy`,
    );
  if (r.route) m.sawVersion(r.route.version);
  if (problems.length > 0)
    throw ApplicationFailure.nonRetryable(`preflight failed: ${problems.join('; ')}`, FailureType.PreflightFailed);
}

async function runContractGate(m: Migration): Promise<void> {
  m.setStage(Stage.ContractGate, 'the contract suite against legacy and new');
  m.resumeAt(Stage.ContractGate);
  const s = await act('suites', 'runContractSuite', `contract suite: ${m.family.contractFiles.length} case files`, {
    family: m.family,
    mode: 'parity',
  });
  m.record({ kind: 'stage', step: 'contract-gate', detail: `${s.passed}/${s.total} cases passed` });
  const steps = s.failedSteps ?? [];
  if (s.failed > 0 || steps.length > 0) {
    const cases = s.failures.map((f) => `${f.name} (${f.endpoint}): ${f.messages.join('; ')}`).join(' | ');
    const what = [
      ...(s.failed > 0 ? [`${s.failed}/${s.total} cases fail — ${cases}`] : []),
      ...(steps.length > 0
        ? [`${steps.length} step${steps.length === 1 ? '' : 's'} failed — ${steps.join(' | ')}`]
        : []),
    ];
    throw ApplicationFailure.nonRetryable(
      `contract gate failed: ${what.join('; ')}`,
      FailureType.ContractGateFailed,
      s,
    );
  }
}

async function startShadow(m: Migration): Promise<void> {
  m.setStage(Stage.Shadow, 'shadow traffic to start');
  await act('control', 'resetFamilyStats', 'reset figures before shadow', {
    ...members(m),
    family: m.family.name,
  });
  // The plan's baseline goes to the router before the first comparison is counted.
  if (m.triage) {
    m.markTriageChanged();
    await pushTriage(m, { resetWindow: false });
  }
  const state = await act('control', 'setRoute', `shadow at ${m.family.parity.sampleRate * 100}% sampling`, {
    ...members(m),
    family: m.family.name,
    mode: 'shadow',
    percent: 0,
    version: m.nextVersion(),
    sampleRate: m.family.parity.sampleRate,
    updatedBy: m.progress.workflowId,
  });
  m.sawVersion(state.version);
  m.pushUndo({ kind: 'route-legacy' });
  m.resumeAt(Stage.Parity);
}

async function awaitRampStart(m: Migration): Promise<void> {
  await awaitApproval(m, 'ramp-start', `start the ramp to ${m.family.ramp.steps[0]?.percent ?? 0}%`, {
    analyseWhileWaiting: false,
  });
  m.resumeAt(Stage.Ramp);
}

async function ramp(m: Migration): Promise<void> {
  const steps = m.family.ramp.steps;
  const from = m.position.stage === Stage.Ramp ? m.position.stepIndex : 0;
  for (let i = from; i < steps.length; i++) {
    const resumingBake = m.position.stage === Stage.Ramp && m.position.stepIndex === i && m.position.applied === true;
    if (!resumingBake) await rampTo(m, i);
    const step = steps[i]!;
    await hold(
      m,
      step.bake,
      `bake ${step.percent}% for ${formatDuration(step.bake)}`,
      (baked) => m.resumeAt(Stage.Ramp, { stepIndex: i, heldMs: baked, applied: true }),
      m.evidence
        ? {
            extendMs: m.family.ramp.evidenceTimeout ?? step.bake,
            enough: (a) => a?.outcome === 'pass',
            what: `${step.percent}%`,
          }
        : undefined,
    );
    const a = m.progress.analysis;
    if (m.evidence && a) m.record({ kind: 'stage', step: `ramp:${step.percent}`, detail: stepText(a) });
  }
  m.resumeAt(Stage.Decommission);
}

async function rampTo(m: Migration, i: number): Promise<void> {
  const step = m.family.ramp.steps[i]!;
  if (step.approval) {
    await awaitApproval(m, `ramp:${step.percent}`, `ramp ${m.progress.percent}% → ${step.percent}%`, {
      analyseWhileWaiting: m.progress.percent > 0,
      stepIndex: i,
    });
  }
  m.setStage(Stage.Ramp, `route ${step.percent}% to new`);
  await act('control', 'resetFamilyStats', `reset figures for ${step.percent}%`, {
    ...members(m),
    family: m.family.name,
  });
  // The last analysis judged the previous percent; this step starts without evidence.
  if (m.evidence) m.clearAnalysis();
  const state = await act('control', 'setRoute', `canary ${step.percent}%`, {
    ...members(m),
    family: m.family.name,
    mode: 'canary',
    percent: step.percent,
    version: m.nextVersion(),
    updatedBy: m.progress.workflowId,
  });
  m.sawVersion(state.version);
  if (!m.undo.some((c) => c.kind === 'route-legacy')) m.pushUndo({ kind: 'route-legacy' });
  m.setPercent(step.percent);
  m.resumeAt(Stage.Ramp, { stepIndex: i, applied: true });
  await notice(m, 'stage', `*${m.family.name}*: ${step.percent}% of traffic on the new service`);
}

interface FailureInfo {
  type: string;
  reason: string;
}

function describeFailure(err: unknown): FailureInfo {
  let e: unknown = err;
  // Activity failures wrap the activity's own ApplicationFailure; its type is the useful one.
  while (e instanceof Error && !(e instanceof ApplicationFailure) && (e as { cause?: unknown }).cause)
    e = (e as { cause?: unknown }).cause;
  if (e instanceof ApplicationFailure) return { type: e.type ?? 'ApplicationFailure', reason: e.message };
  return { type: 'UnexpectedFailure', reason: err instanceof Error ? err.message : String(err) };
}

async function rollbackMigration(m: Migration, failure: FailureInfo): Promise<void> {
  const detectedAt = Date.now();
  log.warn('rolling back', { family: m.family.name, type: failure.type, reason: failure.reason });
  m.beginRollback(failure, detectedAt);
  m.closeApproval();
  m.setStage(Stage.RollingBack, 'compensations to finish');
  await CancellationScope.nonCancellable(async () => {
    const stack = m.takeUndo();
    if (stack.some((c) => c.kind === 'route-legacy')) {
      const state = await act('rollback', 'routeToLegacy', 'route to legacy', {
        ...members(m),
        family: m.family.name,
        minVersion: m.nextVersion(),
        reason: `${failure.type}: ${failure.reason}`,
      });
      m.sawVersion(state.version);
      m.setPercent(0);
    }
    for (const c of stack) {
      if (c.kind === 'close-approval') await closeApprovalMessage(m, c, 'superseded');
    }
  });
  const done = Date.now();
  m.recordRollback(done, detectedAt);
  m.record({ kind: 'rollback', detail: `${failure.type}: ${failure.reason}` });
  m.setStage(Stage.RolledBack);
  await notice(
    m,
    'rollback',
    `:rotating_light: *${m.family.name}* rolled back to legacy — ${failure.type}: ${failure.reason}`,
  );
}

async function waitForRetry(m: Migration): Promise<boolean> {
  if (m.family.onRollback !== 'wait-for-retry') return false;
  m.setStage(Stage.WaitingForRetry, `a retry (phoenix retry ${m.family.name}) or an abort`);
  m.clearAbort();
  await condition(() => m.retryRequested || m.abortRequested !== undefined);
  if (!m.retryRequested) return false;
  m.resetForRetry();
  return true;
}

async function finish(m: Migration, outcome: MigrationResult['outcome']): Promise<MigrationResult> {
  if (outcome === 'completed') {
    m.setStage(Stage.Completed);
    const from = m.progress.legacyRemovableFrom;
    await notice(
      m,
      'completed',
      `:white_check_mark: *${m.family.name}* is fully on the new service; legacy handlers can go${from ? ` (checklist completed ${from})` : ''}.`,
    );
  }
  const report = await writeReport(m, outcome);
  if (report) m.memoReport(report);
  await condition(allHandlersFinished);
  return {
    family: m.family.name,
    outcome,
    reason: m.progress.rollback?.reason,
    type: m.progress.rollback?.type,
    report: report ?? undefined,
    progress: m.progress,
  };
}

/**
 * The end of a rolled-back run: the result, and (patched runs) a non-retryable failure carrying
 * it, typed `MigrationAborted` when an abort caused the rollback or ended the wait for retry.
 */
async function endRolledBack(m: Migration): Promise<MigrationResult> {
  const result = await finish(m, 'rolled-back');
  if (!m.failsOnRollback) return result;
  // With wait-for-retry, an abort is what ends the wait; it is the reason the run ends.
  const abortedWaiting =
    m.family.onRollback === 'wait-for-retry' && m.abortRequested !== undefined && m.abortRequested.type === undefined;
  const aborted = abortedWaiting || result.type === FailureType.Aborted;
  const by = m.abortRequested?.by ? ` by ${m.abortRequested.by}` : '';
  const reason = abortedWaiting
    ? `aborted${by} while waiting for retry: ${m.abortRequested?.reason ?? ''} (rolled back — ${result.type}: ${result.reason})`
    : (result.reason ?? 'rolled back');
  throw ApplicationFailure.create({
    type: aborted ? FailureType.MigrationAborted : FailureType.MigrationRolledBack,
    message: reason,
    nonRetryable: true,
    details: [result],
  });
}
