/**
 * Holding a percent: the bake of a ramp step and the no-legacy-traffic window, analysed every
 * interval and, with evidence gates, extended while the evidence is missing. Workflow code only.
 */
import { ApplicationFailure } from '@temporalio/workflow';
import { formatDuration } from '../plan/duration.js';
import { FailureType } from './failures.js';
import type { Migration } from './migration-state.js';
import { analyse } from './analysis.js';
import { pushTriage } from './triage.js';
import { maybeContinueAsNew, waitOrAbort } from './waits.js';

/**
 * What a hold needs before it may end: `enough` judges the last analysis; while it says no, the
 * hold is extended by up to `extendMs`, then the migration fails with `NotEnoughEvidence`.
 */
export interface EvidenceNeed {
  extendMs: number;
  enough: (analysis: Migration['progress']['analysis']) => boolean;
  /** What lacked evidence: a step's percent ("25%", whose analysis already names it) or a window. */
  what: string;
}

/**
 * Holds the current percent for `totalMs` of workflow time, analysing every interval. Paused time
 * does not count, and a pause at the end holds until resumed; analysis goes on either way. With
 * `need`, the hold goes on past `totalMs` until the analysis has the evidence (or the extension
 * runs out).
 */
export async function hold(
  m: Migration,
  totalMs: number,
  summary: string,
  onProgress: (heldMs: number) => void,
  need?: EvidenceNeed,
): Promise<void> {
  let held = m.position.bakedMs;
  const interval = m.family.ramp.analysisInterval;
  const limit = totalMs + (need?.extendMs ?? 0);
  const lacking = (): boolean => need !== undefined && !need.enough(m.progress.analysis);
  // Workflow time at the end of the last counted wait: the analysis between two waits is held time too.
  let since = Date.now();
  while (held < totalMs || m.progress.paused || (lacking() && held < limit)) {
    const paused = m.progress.paused;
    const extending = !paused && held >= totalMs;
    const slice = paused ? interval : Math.min(interval, (extending ? limit : totalMs) - held);
    m.setWaiting(
      paused
        ? `resume (paused at ${m.progress.percent}%)`
        : extending
          ? `evidence (${summary} extended ${formatDuration(held - totalMs)} of ${formatDuration(limit - totalMs)}: ${m.progress.analysis?.reasons.join('; ') || 'no analysis yet'})`
          : `${summary}: ${formatDuration(held)} done`,
    );
    await waitOrAbort(m, slice, paused ? 'paused' : summary);
    const now = Date.now();
    if (!paused && !m.progress.paused) held += m.holdsByClock ? now - since : slice;
    since = now;
    await pushTriage(m, { resetWindow: false });
    await analyse(m);
    onProgress(held);
    await maybeContinueAsNew(m);
  }
  if (need && lacking()) {
    const a = m.progress.analysis;
    const why = a?.reasons.join('; ') || 'no analysis ran';
    throw ApplicationFailure.nonRetryable(
      `${why.startsWith('not enough') && need.what.endsWith('%') ? '' : `not enough evidence in ${need.what}: `}${why} — still lacking after ${formatDuration(held)} (plan: extend by at most ${formatDuration(need.extendMs)})`,
      FailureType.NotEnoughEvidence,
      a,
    );
  }
}
