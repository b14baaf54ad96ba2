/**
 * `onBreach: hold`: an SLO breach or parity regression found while a ramp step bakes keeps the
 * route where it is and waits for a person — `approve` the pending `hold:ramp:<percent>` to
 * continue, `reject` it to roll back — or for `breachDecision.timeout`, which decides per plan.
 * The router guard is still watched meanwhile: a trip rolls back at once. Workflow code only.
 */
import { ApplicationFailure, condition } from '@temporalio/workflow';
import { formatDuration } from '../plan/duration.js';
import { FailureType } from './failures.js';
import { Stage } from './messages.js';
import type { Migration } from './migration-state.js';
import { act } from './proxies.js';
import { members } from './fleet-members.js';
import { closeApproval, postApprovalRequest } from './approval-messages.js';
import { readFigures } from './figures.js';
import { notice } from './notices.js';
import { maybeContinueAsNew } from './waits.js';

/** True when a breach found now is held rather than rolled back: plan, patch, and a ramp step baking. */
export function holdsBreaches(m: Migration): boolean {
  return (
    m.holdOnBreach &&
    m.family.onBreach === 'hold' &&
    m.position.stage === Stage.Ramp &&
    ((m.progress.stage === Stage.Ramp && m.progress.pending === undefined) ||
      m.progress.pending?.step.startsWith('hold:') === true)
  );
}

/** A hold carried through continue-as-new goes on before anything else is judged. */
export function carriedHold(m: Migration): string[] | undefined {
  const p = m.progress.pending;
  if (!p?.step.startsWith('hold:') || m.position.approval?.step !== p.step || !holdsBreaches(m)) return undefined;
  return [p.reason ?? 'breach'];
}

/**
 * Holds the current percent until a decision on the breach. Returns when the ramp may go on
 * (approved, or timed out with `onTimeout: continue`); throws `SloBreached` for a rollback and
 * `GuardTripped` when the guard trips meanwhile.
 */
export async function holdOnBreach(m: Migration, reasons: string[]): Promise<void> {
  const percent = m.progress.percent;
  const step = `hold:ramp:${percent}`;
  // Only plans with `onBreach: hold` get here, and those were parsed with `breachDecision`.
  const plan = m.family.breachDecision;
  const why = reasons.join('; ');
  const description = `breach at ${percent}% (${why}); approve to continue the ramp, reject to roll back`;
  const carried = m.position.approval?.step === step ? m.position.approval : undefined;
  let remaining = carried?.remainingMs ?? plan.timeout;
  if (!carried) {
    m.openApproval({ step, description, forMs: remaining, reason: why });
    m.record({ kind: 'stage', step, detail: `held: ${why}` });
    m.setStage(Stage.AwaitingApproval, `a decision on the breach at ${percent}% (${step})`);
    await notice(
      m,
      'stage',
      `:pause_button: *${m.family.name}* held at ${percent}% — ${why}. \`phoenix approve ${m.family.name} --step ${step}\` continues, \`phoenix reject\` rolls back; without a decision in ${formatDuration(remaining)} it will ${plan.onTimeout === 'continue' ? 'continue' : 'roll back'}.`,
    );
    await postApprovalRequest(m, step, `continue the ramp at ${percent}% after a breach (${why})`);
  } else m.setStage(Stage.AwaitingApproval, `a decision on the breach at ${percent}% (${step})`);
  const interval = m.family.ramp.analysisInterval;
  while (m.decision === undefined && remaining > 0) {
    const slice = Math.max(1, Math.min(interval, remaining));
    await condition(() => m.decision !== undefined || m.abortRequested !== undefined, slice, {
      summary: `hold at ${percent}%: wait for a decision on ${step}`,
    });
    m.throwIfAborted();
    if (m.decision !== undefined) break;
    remaining -= slice;
    const f = await readFigures(m, `guard while held at ${percent}%`);
    if (f.guard.tripped)
      throw ApplicationFailure.nonRetryable(
        `router guard tripped at ${percent}% while held: ${f.guard.reason ?? 'hard errors'}`,
        FailureType.GuardTripped,
      );
    m.holdingBreach({ step, remainingMs: remaining, reminded: true });
    await maybeContinueAsNew(m);
  }
  const d = m.takeDecision();
  if (d === undefined) {
    m.record({
      kind: 'timed-out',
      step,
      detail: `no decision within ${formatDuration(plan.timeout)}: ${plan.onTimeout}`,
    });
    await closeApproval(m, step, { outcome: 'timed-out' });
    if (plan.onTimeout !== 'continue')
      throw ApplicationFailure.nonRetryable(
        `SLO breached at ${percent}%: ${why} — held, no decision within ${formatDuration(plan.timeout)}`,
        FailureType.SloBreached,
      );
  } else {
    await closeApproval(m, step, { outcome: d.outcome, by: d.by, reason: d.reason });
    if (d.outcome === 'rejected')
      throw ApplicationFailure.nonRetryable(
        `SLO breached at ${percent}%: ${why} — held, rolled back by ${d.by}: ${d.reason ?? ''}`,
        FailureType.SloBreached,
      );
  }
  // Continuing: the figures that breached must not judge the rest of the step again.
  await act('control', 'resetFamilyStats', `reset figures after the hold at ${percent}%`, {
    ...members(m),
    family: m.family.name,
  });
  if (m.evidence) m.clearAnalysis();
  m.setStage(Stage.Ramp, `the ramp at ${percent}% to go on`);
}
