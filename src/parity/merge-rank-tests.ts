/**
 * One rank test from several members' rank tests of the same comparison (a fleet's routers each
 * test the requests they served). Members ship tests, not histograms, so the tests are combined
 * as strata (van Elteren's stratified Mann–Whitney test): U, its mean and its variance add up
 * across members. Pure; `docs/fleets.md` says what is exact and what is estimated.
 */
import { emptyRankTest, normalCdf, type RankTest } from './evidence.js';

/**
 * The variance of a member's U. Recovered exactly from its z (the router computes z with the
 * tie-corrected variance and a 0.5 continuity correction); when z carries no information (U at
 * its mean), the no-ties variance is used, an upper bound: such a member can only dilute the
 * others' evidence, never add to it.
 */
function varianceOf(t: RankTest): number {
  const d = Math.abs(t.u - (t.nLegacy * t.nNew) / 2);
  if (t.z !== 0 && d > 0.5) return ((d - 0.5) / t.z) ** 2;
  const n = t.nLegacy + t.nNew;
  return (t.nLegacy * t.nNew * (n + 1)) / 12;
}

/**
 * Combines members' rank tests of new against legacy into one.
 * - `u`, `nLegacy`, `nNew`: sums over the members that saw both sides (a member that saw only one
 *   side compared nothing, so its observations do not count as evidence).
 * - `z`, `pValue`: the stratified test over those members.
 * - `probabilitySlower`: exact, ΣU ÷ Σ(nLegacy·nNew).
 * - `shiftMs`: an estimate, the members' Hodges–Lehmann shifts weighted by their pairs
 *   (nLegacy·nNew); the exact pooled median of differences needs the histograms.
 */
export function mergeRankTests(tests: readonly RankTest[]): RankTest {
  const live = tests.filter((t) => t.nLegacy > 0 && t.nNew > 0);
  if (live.length === 0) return emptyRankTest();
  if (live.length === 1) return { ...live[0]! };
  let nLegacy = 0;
  let nNew = 0;
  let u = 0;
  let pairs = 0;
  let variance = 0;
  let shiftSum = 0;
  let shiftPairs = 0;
  for (const t of live) {
    nLegacy += t.nLegacy;
    nNew += t.nNew;
    u += t.u;
    const p = t.nLegacy * t.nNew;
    pairs += p;
    variance += varianceOf(t);
    if (t.shiftMs !== null) {
      shiftSum += t.shiftMs * p;
      shiftPairs += p;
    }
  }
  const diff = u - pairs / 2;
  const z = variance <= 0 ? 0 : (diff - Math.sign(diff) * 0.5) / Math.sqrt(variance);
  return {
    nLegacy,
    nNew,
    u,
    z,
    pValue: variance <= 0 ? 1 : 1 - normalCdf(z),
    shiftMs: shiftPairs === 0 ? null : Math.round((shiftSum / shiftPairs) * 100) / 100,
    probabilitySlower: u / pairs,
  };
}
