/**
 * The tail test: whether more of new's answers than legacy's are slow, where slow means past a
 * high quantile of legacy plus the typical slowdown plus the latency tolerance. The rank test
 * judges the typical request (its Hodges–Lehmann shift), so a slowdown on one request in four (one
 * parameter value, one branch) leaves it unmoved while new's p95 is several times legacy's.
 * Counted on the same requests as the rank test, at two thresholds (from legacy's p90 and from its
 * p97.5); judged by Fisher's exact test, one-sided, with the better of the two p-values doubled.
 * Pure.
 */
import { sizeOf, type Distribution } from './evidence.js';

/** The slow answers on each side past one threshold. */
export interface TailCount {
  /** The quantile of legacy's answers the threshold starts from: 0.9 or 0.975. */
  legacyQuantile: number;
  /** That quantile plus the typical slowdown plus the tolerance, ms; null when legacy has no answers. */
  thresholdMs: number | null;
  /** Legacy answers slower than the threshold. */
  legacyAbove: number;
  /** New answers slower than the threshold. */
  newAbove: number;
}

/**
 * Counts of slow answers on each side, and the evidence that new has more of them. The top-level
 * counts are those of the threshold that decided: the one with the smaller p-value among those
 * where new's share of slow answers is {@link TAIL_SHARE} over legacy's.
 */
export interface TailTest extends TailCount {
  nLegacy: number;
  nNew: number;
  /**
   * One-sided p-value of "new has a larger share of slow answers": Fisher's exact test at the
   * deciding threshold, doubled for having looked at two (Bonferroni), at most 1.
   */
  pValue: number;
  /** The counts at every threshold, which a fleet adds up member by member. Absent from older routers. */
  counts?: TailCount[];
}

/**
 * The share of new's answers that must be slow beyond legacy's share before a route is flagged:
 * one in twenty, so new's p95 itself is past the threshold. Smaller shares of slow answers are a
 * matter for the family's p95 ratio.
 */
export const TAIL_SHARE = 0.05;

/**
 * The quantiles of legacy the thresholds start from. p90 counts a slowdown of one request in ten
 * or more; on a loaded machine legacy's own tail crosses it (two or three of 40 answers), and the
 * count from p97.5 (the second slowest of 40) still sees new's slow answers clear of it. Each
 * alone is at the mercy of the other's case; p95 of a few dozen answers is one or two of them.
 */
const LEGACY_QUANTILES = [0.9, 0.975] as const;

/**
 * The tail test of two latency distributions (ms). An answer is slow past legacy's quantile plus
 * the typical slowdown (the rank test's shift, when positive) plus the tolerance: the rank test
 * already judges the whole distribution moving, so a tail is counted only above that move. A
 * machine under load that slows every answer of new by 20 ms, and widens its spread, is not a
 * slow tail; one request in four 120 ms slower is.
 * @param toleranceMs how much slower than that an answer may be and not count as slow
 * @param shiftMs the rank test's Hodges–Lehmann shift on the same answers
 */
export function tailTest(
  legacy: Distribution,
  candidate: Distribution,
  toleranceMs: number,
  shiftMs: number | null = null,
): TailTest {
  const nLegacy = sizeOf(legacy);
  const nNew = sizeOf(candidate);
  const counts = LEGACY_QUANTILES.map((legacyQuantile): TailCount => {
    const q = quantile(legacy, nLegacy, legacyQuantile);
    if (q === null || nNew === 0) return { legacyQuantile, thresholdMs: q, legacyAbove: 0, newAbove: 0 };
    const thresholdMs = Math.round((q + Math.max(0, shiftMs ?? 0) + toleranceMs) * 100) / 100;
    return {
      legacyQuantile,
      thresholdMs,
      legacyAbove: countAbove(legacy, thresholdMs),
      newAbove: countAbove(candidate, thresholdMs),
    };
  });
  return judged(nLegacy, nNew, counts);
}

/** The deciding count with its p-value. */
function judged(nLegacy: number, nNew: number, counts: TailCount[]): TailTest {
  const tested = counts.map((c) => ({ c, p: fisherGreater(c.newAbove, nNew, c.legacyAbove, nLegacy) }));
  const wide = (c: TailCount) => nNew > 0 && nLegacy > 0 && slowShareOver(c, nNew, nLegacy);
  const candidates = tested.some((t) => wide(t.c)) ? tested.filter((t) => wide(t.c)) : tested;
  const best = candidates.reduce((a, b) => (b.p < a.p ? b : a));
  const pValue = Math.round(Math.min(1, best.p * counts.length) * 1e6) / 1e6;
  return { ...best.c, nLegacy, nNew, pValue, counts };
}

/**
 * The tail test of a fleet: every member's counts, each against its own legacy's thresholds (the
 * highest shown), added up threshold by threshold.
 */
export function mergeTailTests(tests: readonly TailTest[]): TailTest {
  let nLegacy = 0;
  let nNew = 0;
  const sums: TailCount[] = LEGACY_QUANTILES.map((legacyQuantile) => ({
    legacyQuantile,
    thresholdMs: null,
    legacyAbove: 0,
    newAbove: 0,
  }));
  for (const t of tests) {
    nLegacy += t.nLegacy;
    nNew += t.nNew;
    for (const sum of sums) {
      // A router without per-threshold counts contributes its one count (from p90) to both: it
      // overstates legacy's slow answers past p97.5, which can only hold a flag back.
      const c = t.counts?.find((x) => x.legacyQuantile === sum.legacyQuantile) ?? t;
      sum.legacyAbove += c.legacyAbove;
      sum.newAbove += c.newAbove;
      if (c.thresholdMs !== null) sum.thresholdMs = Math.max(sum.thresholdMs ?? -Infinity, c.thresholdMs);
    }
  }
  return judged(nLegacy, nNew, sums);
}

/**
 * How much stricter than the rank test's level the tail test's is: a stall of the machine or of
 * one process slows a burst of answers on one side at once, which a count of slow answers takes
 * for evidence far more readily than a rank test of every answer does.
 */
export const TAIL_LEVEL_DIVISOR = 5;

/**
 * Whether the tail test is evidence of a slower tail: enough answers on each side, p (doubled for
 * the two thresholds) under `(1 − confidence) / TAIL_LEVEL_DIVISOR` (0.01 at 95%), and new's share
 * of slow answers at least {@link TAIL_SHARE} over legacy's at the deciding threshold.
 */
export function tailIsSlower(t: TailTest, o: { minN: number; confidence: number }): boolean {
  if (t.nLegacy < o.minN || t.nNew < o.minN) return false;
  if (!(t.pValue < (1 - o.confidence) / TAIL_LEVEL_DIVISOR)) return false;
  return slowShareOver(t, t.nNew, t.nLegacy);
}

/** Whether new's share of slow answers at `c` is at least {@link TAIL_SHARE} over legacy's. */
function slowShareOver(c: TailCount, nNew: number, nLegacy: number): boolean {
  return c.newAbove / nNew - c.legacyAbove / nLegacy >= TAIL_SHARE;
}

/** `k of n new answers over T ms (legacy j of m)`, for messages. */
export function describeTail(t: TailTest): string {
  const q = Math.round((t.legacyQuantile ?? 0.9) * 1000) / 10;
  return `${t.newAbove} of ${t.nNew} new answers slower than ${t.thresholdMs} ms (legacy p${q} + typical shift + tolerance), legacy ${t.legacyAbove} of ${t.nLegacy}`;
}

function quantile(d: Distribution, n: number, q: number): number | null {
  if (n === 0) return null;
  const rank = Math.ceil(q * n);
  let seen = 0;
  for (const [v, c] of d) {
    seen += c;
    if (seen >= rank) return v;
  }
  return d[d.length - 1]![0];
}

function countAbove(d: Distribution, threshold: number): number {
  let n = 0;
  for (let i = d.length - 1; i >= 0 && d[i]![0] > threshold; i--) n += d[i]![1];
  return n;
}

/**
 * P(X ≥ a) for X hypergeometric: of the `a + b` slow answers among `n1 + n2`, how likely `a` or
 * more fall among new's `n1` if both sides were alike.
 */
export function fisherGreater(a: number, n1: number, b: number, n2: number): number {
  const slow = a + b;
  const total = n1 + n2;
  if (a === 0 || slow === 0) return 1;
  const hi = Math.min(slow, n1);
  // P(X = a) from logarithms, then each next term from the one before.
  let p = Math.exp(logChoose(slow, a) + logChoose(total - slow, n1 - a) - logChoose(total, n1));
  let sum = p;
  for (let x = a; x < hi; x++) {
    p *= ((slow - x) * (n1 - x)) / ((x + 1) * (total - slow - n1 + x + 1));
    sum += p;
    if (p < sum * 1e-12) break;
  }
  return Math.round(Math.min(1, sum) * 1e6) / 1e6;
}

function logChoose(n: number, k: number): number {
  return logFactorial(n) - logFactorial(k) - logFactorial(n - k);
}

/** ln(n!), exact sums up to 256, Stirling's series beyond (error under 1e-10). */
function logFactorial(n: number): number {
  if (n < 2) return 0;
  if (n <= 256) {
    let s = 0;
    for (let i = 2; i <= n; i++) s += Math.log(i);
    return s;
  }
  return (n + 0.5) * Math.log(n) - n + 0.5 * Math.log(2 * Math.PI) + 1 / (12 * n) - 1 / (360 * n ** 3);
}
