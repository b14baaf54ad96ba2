/**
 * How many recorded requests the parity gate may replay now (`parity.replay`): enough to reach
 * the evidence it lacks, never more than the plan's share of the samples it counts, and no more
 * than one poll interval's worth at the plan's rate. Pure: workflow code imports it.
 */
import { cleanSamplesNeeded, type EvidenceParityGate, type ParityEvidence } from './gates.js';

/** The plan's `parity.replay` settings the budget needs. */
export interface ReplayLimits {
  /** Requests per second at most. */
  maxPerSecond: number;
  /** Largest share of the gate's samples that may be replayed, (0, 1]. */
  maxShare: number;
}

/** The budget of one replay round, and why it is what it is. */
export interface ReplayBudget {
  /** Comparisons the gate still lacks (mismatch bound or latency count, whichever needs more). */
  wanted: number;
  /** Replays `maxShare` still allows, given the live and replayed samples so far (Infinity at 1). */
  allowed: number;
  /** What to replay this round: the least of the above and one poll interval at `maxPerSecond`. */
  count: number;
}

/**
 * The replay budget after verdict `v` (which lacks evidence).
 * @param windowMs the time a round may take (the poll interval), ms
 */
export function replayBudget(
  v: Pick<ParityEvidence, 'samples' | 'mismatch' | 'latency' | 'replayed'>,
  gate: Pick<EvidenceParityGate, 'maxMismatchRate' | 'confidence' | 'minSamples'>,
  limits: ReplayLimits,
  windowMs: number,
): ReplayBudget {
  const replayed = v.replayed?.samples ?? 0;
  const live = Math.max(0, v.samples - replayed);
  // With mismatches seen, no count is sure to be enough: aim at the plan's minimum, or one more round of it.
  const forRate =
    v.mismatch.events === 0
      ? cleanSamplesNeeded(gate.maxMismatchRate, gate.confidence, gate.minSamples) - v.samples
      : v.mismatch.outcome === 'insufficient'
        ? Math.max(gate.minSamples - v.samples, Math.ceil(gate.minSamples / 2))
        : 0;
  const forLatency = v.latency.minN - Math.min(v.latency.nLegacy, v.latency.nNew);
  const wanted = Math.max(0, forRate, forLatency);
  // (replayed + k) ≤ share × (live + replayed + k)  ⇔  k ≤ share × live ÷ (1 − share) − replayed
  const allowed =
    limits.maxShare >= 1
      ? Infinity
      : Math.max(0, Math.floor((limits.maxShare * live) / (1 - limits.maxShare) + 1e-9) - replayed);
  const perWindow = Math.max(1, Math.floor((limits.maxPerSecond * windowMs) / 1000));
  return { wanted, allowed, count: Math.max(0, Math.min(wanted, allowed, perWindow)) };
}
