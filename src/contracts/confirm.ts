/**
 * A safe case whose answers still differ after its two legacy samples asks legacy
 * {@link CONFIRM_SAMPLES} more times, at once, and its route learns from each answer before the
 * case is judged: a field legacy itself sends only some of the time (a promotion, an optional
 * hint) would otherwise fail its case whenever the first two legacy answers happened to agree.
 * Only differing cases pay for it.
 */
import { CONFIRM_SAMPLES, type CompiledRules, type HttpSnapshot, type NoiseLearner } from '../parity/index.js';

/** A case whose answers differ: where its noise is learned, and how to ask legacy again. */
export interface Doubt {
  route: string;
  legacy: HttpSnapshot;
  rules: CompiledRules;
  /** legacy's answer to the case's request, or undefined when it fails. */
  ask(): Promise<HttpSnapshot | undefined>;
}

/**
 * Confirms the differences of `doubtful` cases, `concurrency` of them at a time: every request in
 * flight holds cancellation listeners.
 */
export async function confirmDifferences(
  doubtful: readonly Doubt[],
  noise: NoiseLearner,
  concurrency: number,
): Promise<void> {
  for (let from = 0; from < doubtful.length; from += concurrency) {
    const round = doubtful.slice(from, from + concurrency);
    for (let k = 0; k < CONFIRM_SAMPLES; k++) {
      const again = await Promise.all(round.map((d) => d.ask()));
      round.forEach((d, i) => {
        const answer = again[i];
        if (answer) noise.observe(d.route, d.legacy, answer, d.rules);
      });
    }
  }
}
