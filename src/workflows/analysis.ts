/**
 * One analysis of the current percent against the plan's SLOs, as a ramp step bakes or an
 * approval waits with traffic on new. Workflow code only.
 */
import { ApplicationFailure } from '@temporalio/workflow';
import { evaluateStep } from '../parity/step-evidence.js';
import { evaluateSlo } from '../parity/thresholds.js';
import { FailureType } from './failures.js';
import type { Migration } from './migration-state.js';
import { carriedHold, holdOnBreach, holdsBreaches } from './breach-hold.js';
import { readFigures, sloOf } from './figures.js';

/**
 * Analyses the current percent; a breach throws at once, unless the plan holds breaches
 * (`onBreach: hold`) and a ramp step bakes: then it waits for a decision.
 */
export async function analyse(m: Migration): Promise<void> {
  const held = m.holdOnBreach ? carriedHold(m) : undefined;
  if (held) return holdOnBreach(m, held);
  const f = await readFigures(m, `analyse ${m.progress.percent}%`);
  const v = m.evidence
    ? evaluateStep(f.stats, sloOf(m), m.progress.percent, f.guard)
    : evaluateSlo(f.stats, m.family.slo, f.guard);
  m.recordAnalysis(v, f.stats);
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
