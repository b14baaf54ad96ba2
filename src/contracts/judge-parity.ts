/**
 * A case's new answer compared with legacy's under the family's rules, once its batch has learned
 * its noise: value classes count as noise (a contract run cannot resample reliably), a differing
 * redirect chain is informational unless `diff.blocking` lists `redirect`.
 */
import {
  compareResponses,
  type ComparisonResult,
  type CompiledRules,
  type HttpSnapshot,
  type NoiseLearner,
  type OwnHosts,
} from '../parity/index.js';
import { judgeChains } from '../parity/redirect-chain.js';
import { describeDifference, type Sample } from './exchange.js';
import type { CaseResult } from './results.js';

/** Differences shown per failing case. */
const DIFFERENCES_SHOWN = 10;

/** A case's two answers compared under the family's rules and the noise learned so far. */
export function compareCase(
  result: Pick<CaseResult, 'route' | 'method' | 'target'>,
  legacy: HttpSnapshot,
  candidate: HttpSnapshot,
  rules: CompiledRules,
  noise: NoiseLearner,
  body?: string,
  ownHosts?: OwnHosts,
): ComparisonResult {
  return compareResponses(legacy, candidate, rules, noise.filterFor(result.route), {
    classNoise: true,
    ownHosts,
    request: { method: result.method, text: () => `${result.target} ${body ?? ''}` },
    now: Date.now(),
  });
}

/**
 * Adds the comparison's failure, noise count and informational differences to `result`.
 * `body`: the body the case sent, as text (on a POST, an id it carries is not one the write made).
 */
export function judgeParity(
  result: CaseResult,
  legacy: Sample,
  candidate: { snapshot: HttpSnapshot; chain: readonly string[] },
  rules: CompiledRules,
  noise: NoiseLearner,
  body?: string,
  ownHosts?: OwnHosts,
): void {
  const cmp = compareCase(result, legacy.snapshot, candidate.snapshot, rules, noise, body, ownHosts);
  noise.noteClassNoise(result.route, cmp.noise);
  result.noise = cmp.noise.length;
  result.informational.push(...cmp.informational);
  const hops = judgeChains(legacy.chain, candidate.chain, result.target, rules.rules.blocking.includes('redirect'));
  if (hops?.counts === true) cmp.differences.unshift(hops.difference);
  else if (hops) result.informational.push(hops.difference);
  if (cmp.differences.length === 0) return;
  const shown = cmp.differences.slice(0, DIFFERENCES_SHOWN);
  const more = cmp.differences.length - shown.length;
  result.failures.push({
    kind: 'parity',
    message: `new differs from legacy: ${shown.map(describeDifference).join('; ')}${more > 0 ? ` (+${more} more)` : ''}`,
    differences: cmp.differences,
  });
}
