/**
 * The tail test: whether more of new's answers than legacy's are slow, where slow means past
 * legacy's p90 plus the typical slowdown plus the latency tolerance. The rank test judges the typical request (its
 * Hodges–Lehmann shift), so a slowdown on one request in four (one parameter value, one branch)
 * leaves it unmoved while new's p95 is several times legacy's. Counted on the same requests as the
 * rank test; judged by Fisher's exact test, one-sided. Pure.
 */
import { sizeOf, type Distribution } from './evidence.js';

/** Counts of slow answers on each side, and the evidence that new has more of them. */
export interface TailTest {
  /**
   * Legacy's p90 plus the typical slowdown plus the tolerance, ms: an answer slower than this is
   * slow. null when legacy has none.
   */
  thresholdMs: number | null;
  nLegacy: number;
  nNew: number;
  /** Legacy answers slower than the threshold. */
  legacyAbove: number;
  /** New answers slower than the threshold. */
  newAbove: number;
  /** One-sided p-value (Fisher's exact test) of "new has a larger share of slow answers". */
  pValue: number;
}

/**
 * The share of new's answers that must be slow beyond legacy's share before a route is flagged:
 * one in twenty, so new's p95 itself is past the threshold. Smaller shares of slow answers are a
 * matter for the family's p95 ratio.
 */
export const TAIL_SHARE = 0.05;

/** Which quantile of legacy the threshold starts from: p95 of a few dozen answers is one or two of them. */
const LEGACY_QUANTILE = 0.9;

/**
 * The tail test of two latency distributions (ms). An answer is slow past legacy's p90 plus the
 * typical slowdown (the rank test's shift, when positive) plus the tolerance: the rank test
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
  const p90 = quantile(legacy, nLegacy, LEGACY_QUANTILE);
  if (p90 === null || nNew === 0) return { thresholdMs: p90, nLegacy, nNew, legacyAbove: 0, newAbove: 0, pValue: 1 };
  const thresholdMs = Math.round((p90 + Math.max(0, shiftMs ?? 0) + toleranceMs) * 100) / 100;
  return judged({
    thresholdMs,
    nLegacy,
    nNew,
    legacyAbove: countAbove(legacy, thresholdMs),
    newAbove: countAbove(candidate, thresholdMs),
  });
}

/** The counts with their p-value. */
function judged(t: Omit<TailTest, 'pValue'>): TailTest {
  return { ...t, pValue: fisherGreater(t.newAbove, t.nNew, t.legacyAbove, t.nLegacy) };
}

/** The tail test of a fleet: every member's counts, each against its own legacy's threshold (the highest shown). */
export function mergeTailTests(tests: readonly TailTest[]): TailTest {
  let nLegacy = 0;
  let nNew = 0;
  let legacyAbove = 0;
  let newAbove = 0;
  let thresholdMs: number | null = null;
  for (const t of tests) {
    nLegacy += t.nLegacy;
    nNew += t.nNew;
    legacyAbove += t.legacyAbove;
    newAbove += t.newAbove;
    if (t.thresholdMs !== null) thresholdMs = Math.max(thresholdMs ?? -Infinity, t.thresholdMs);
  }
  return judged({ thresholdMs, nLegacy, nNew, legacyAbove, newAbove });
}

/**
 * How much stricter than the rank test's level the tail test's is: a stall of the machine or of
 * one process slows a burst of answers on one side at once, which a count of slow answers takes
 * for evidence far more readily than a rank test of every answer does.
 */
export const TAIL_LEVEL_DIVISOR = 5;

/**
 * Whether the tail test is evidence of a slower tail: enough answers on each side, p under
 * `(1 − confidence) / TAIL_LEVEL_DIVISOR` (0.01 at 95%), and new's share of slow answers at
 * least {@link TAIL_SHARE} over legacy's.
 */
export function tailIsSlower(t: TailTest, o: { minN: number; confidence: number }): boolean {
  if (t.nLegacy < o.minN || t.nNew < o.minN) return false;
  if (!(t.pValue < (1 - o.confidence) / TAIL_LEVEL_DIVISOR)) return false;
  return t.newAbove / t.nNew - t.legacyAbove / t.nLegacy >= TAIL_SHARE;
}

/** `k of n new answers over T ms (legacy j of m)`, for messages. */
export function describeTail(t: TailTest): string {
  return `${t.newAbove} of ${t.nNew} new answers slower than ${t.thresholdMs} ms (legacy p90 + typical shift + tolerance), legacy ${t.legacyAbove} of ${t.nLegacy}`;
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
