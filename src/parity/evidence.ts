/**
 * The statistics behind every gate: confidence bounds for rates (Wilson score interval) and a rank
 * test for latency (Mann–Whitney U, as Kayenta's canary judge uses) with its effect size
 * (Hodges–Lehmann shift). Pure and deterministic: workflow code imports it, and the router uses it
 * on its histograms. `docs/verdicts.md` gives the formulas with a worked example.
 */

/**
 * A sample summarised as distinct values with their counts, ascending by value: raw latencies
 * grouped, or a histogram's non-empty buckets (each bucket's value standing for its members).
 */
export type Distribution = readonly (readonly [value: number, count: number])[];

/** Groups raw values into a {@link Distribution}. */
export function distributionOf(values: readonly number[]): Distribution {
  const sorted = [...values].sort((a, b) => a - b);
  const out: [number, number][] = [];
  for (const v of sorted) {
    const last = out[out.length - 1];
    if (last !== undefined && last[0] === v) last[1]++;
    else out.push([v, 1]);
  }
  return out;
}

/** How many observations a distribution holds. */
export function sizeOf(d: Distribution): number {
  let n = 0;
  for (const [, c] of d) n += c;
  return n;
}

/** Standard normal cumulative distribution Φ(x) (Abramowitz–Stegun 7.1.26, error < 1.5e-7). */
export function normalCdf(x: number): number {
  const t = 1 / (1 + 0.3275911 * (Math.abs(x) / Math.SQRT2));
  const poly = t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429))));
  const erfc = poly * Math.exp(-(x * x) / 2);
  return x >= 0 ? 1 - erfc / 2 : erfc / 2;
}

/** The standard normal quantile Φ⁻¹(p) for 0 < p < 1 (Acklam's rational approximation, error < 1.2e-9). */
export function normalQuantile(p: number): number {
  if (!(p > 0 && p < 1)) throw new RangeError(`normalQuantile expects 0 < p < 1, got ${p}`);
  const a = [
    -39.69683028665376, 220.9460984245205, -275.9285104469687, 138.357751867269, -30.66479806614716, 2.506628277459239,
  ];
  const b = [-54.47609879822406, 161.5858368580409, -155.6989798598866, 66.80131188771972, -13.28068155288572];
  const c = [
    -0.007784894002430293, -0.3223964580411365, -2.400758277161838, -2.549732539343734, 4.374664141464968,
    2.938163982698783,
  ];
  const d = [0.007784695709041462, 0.3224671290700398, 2.445134137142996, 3.754408661907416];
  const low = 0.02425;
  if (p < low) {
    const q = Math.sqrt(-2 * Math.log(p));
    return (
      (((((c[0]! * q + c[1]!) * q + c[2]!) * q + c[3]!) * q + c[4]!) * q + c[5]!) /
      ((((d[0]! * q + d[1]!) * q + d[2]!) * q + d[3]!) * q + 1)
    );
  }
  if (p > 1 - low) return -normalQuantile(1 - p);
  const q = p - 0.5;
  const r = q * q;
  return (
    ((((((a[0]! * r + a[1]!) * r + a[2]!) * r + a[3]!) * r + a[4]!) * r + a[5]!) * q) /
    (((((b[0]! * r + b[1]!) * r + b[2]!) * r + b[3]!) * r + b[4]!) * r + 1)
  );
}

/** One-sided bounds of a rate at a confidence level. */
export interface RateBounds {
  /** Observations. */
  n: number;
  /** Events among them (mismatches, failures). */
  events: number;
  /** events ÷ n; 0 when n is 0. */
  observed: number;
  /** One-sided lower bound: the true rate is above it with the given confidence. 0 when n is 0. */
  lower: number;
  /** One-sided upper bound: the true rate is below it with the given confidence. 1 when n is 0. */
  upper: number;
  /** The confidence of each one-sided bound (0.95 = 95%). */
  confidence: number;
}

/**
 * Wilson score bounds of `events` in `n`, each one-sided at `confidence`. Unlike the normal
 * approximation it stays inside [0, 1] and is honest at 0 events: 0 of 60 gives an upper bound
 * of 4.3% at 95%, so a 1% threshold cannot pass on 60 clean samples.
 */
export function wilsonBounds(events: number, n: number, confidence: number): RateBounds {
  if (n <= 0) return { n: 0, events: 0, observed: 0, lower: 0, upper: 1, confidence };
  const z = normalQuantile(confidence);
  const p = events / n;
  const z2 = z * z;
  const centre = p + z2 / (2 * n);
  const spread = z * Math.sqrt((p * (1 - p)) / n + z2 / (4 * n * n));
  const denom = 1 + z2 / n;
  return {
    n,
    events,
    observed: p,
    lower: Math.max(0, (centre - spread) / denom),
    upper: Math.min(1, (centre + spread) / denom),
    confidence,
  };
}

/** What a gate concluded. */
export type Outcome = 'pass' | 'fail' | 'insufficient';

/** A rate judged against its threshold. */
export interface RateVerdict extends RateBounds {
  outcome: Outcome;
  /** The largest acceptable true rate. */
  threshold: number;
  /** Observations needed before the rate is judged at all. */
  minN: number;
}

/**
 * Judges a rate: `pass` when the upper bound is at or under `threshold`, `fail` when the lower
 * bound is above it, and `insufficient` otherwise (or with fewer than `minN` observations): the
 * evidence does not yet say which side of the threshold the true rate is on.
 */
export function judgeRate(events: number, n: number, threshold: number, confidence: number, minN = 1): RateVerdict {
  const b = wilsonBounds(events, n, confidence);
  let outcome: Outcome = 'insufficient';
  if (n >= minN) {
    if (b.upper <= threshold) outcome = 'pass';
    else if (b.lower > threshold) outcome = 'fail';
  }
  return { ...b, outcome, threshold, minN };
}

/** The result of comparing two latency samples. */
export interface RankTest {
  /** Legacy observations. */
  nLegacy: number;
  /** New observations. */
  nNew: number;
  /** Mann–Whitney U of the new sample (how often a new value beats a legacy one, ties half). */
  u: number;
  /** Standardised U (continuity- and tie-corrected); positive when new is slower. */
  z: number;
  /** One-sided p-value of "new is slower than legacy". 1 when either side is empty. */
  pValue: number;
  /**
   * Hodges–Lehmann shift, ms: the median of every (new − legacy) difference, the typical amount
   * by which new is slower (negative: faster). null when either side is empty.
   */
  shiftMs: number | null;
  /** Probability that a random new request is slower than a random legacy one (ties half), 0–1. */
  probabilitySlower: number;
}

/** Mann–Whitney U test and Hodges–Lehmann shift of new against legacy. */
export function rankTest(legacy: Distribution, candidate: Distribution): RankTest {
  const nL = sizeOf(legacy);
  const nN = sizeOf(candidate);
  if (nL === 0 || nN === 0)
    return { nLegacy: nL, nNew: nN, u: 0, z: 0, pValue: 1, shiftMs: null, probabilitySlower: 0.5 };
  // U of the new sample: for each new value, the legacy values below it plus half the ties.
  let u = 0;
  let tieTerm = 0;
  let i = 0;
  let below = 0;
  for (const [v, c] of candidate) {
    while (i < legacy.length && legacy[i]![0] < v) below += legacy[i++]![1];
    const tiesL = i < legacy.length && legacy[i]![0] === v ? legacy[i]![1] : 0;
    u += c * (below + tiesL / 2);
  }
  for (const t of mergedTies(legacy, candidate)) tieTerm += t * t * t - t;
  const n = nL + nN;
  const mean = (nL * nN) / 2;
  const variance = ((nL * nN) / 12) * (n + 1 - tieTerm / (n * (n - 1)));
  const diff = u - mean;
  const z = variance <= 0 ? 0 : (diff - Math.sign(diff) * 0.5) / Math.sqrt(variance);
  return {
    nLegacy: nL,
    nNew: nN,
    u,
    z,
    pValue: variance <= 0 ? 1 : 1 - normalCdf(z),
    shiftMs: hodgesLehmann(legacy, candidate),
    probabilitySlower: u / (nL * nN),
  };
}

/** Sizes of the groups of equal values across both samples. */
function mergedTies(a: Distribution, b: Distribution): number[] {
  const out: number[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    const va = i < a.length ? a[i]![0] : Infinity;
    const vb = j < b.length ? b[j]![0] : Infinity;
    if (va === vb) out.push(a[i++]![1] + b[j++]![1]);
    else if (va < vb) out.push(a[i++]![1]);
    else out.push(b[j++]![1]);
  }
  return out;
}

/**
 * The median of all pairwise differences (new − legacy), found by bisection on the shift: the
 * weight of pairs with difference ≤ s grows with s and is counted in one merge pass, so this
 * costs O((kL + kN) · 40) for distributions of kL and kN distinct values, not O(kL · kN).
 */
export function hodgesLehmann(legacy: Distribution, candidate: Distribution): number | null {
  const nL = sizeOf(legacy);
  const nN = sizeOf(candidate);
  if (nL === 0 || nN === 0) return null;
  const half = (nL * nN) / 2;
  let lo = candidate[0]![0] - legacy[legacy.length - 1]![0];
  let hi = candidate[candidate.length - 1]![0] - legacy[0]![0];
  for (let k = 0; k < 40 && hi - lo > 1e-3; k++) {
    const mid = (lo + hi) / 2;
    if (pairsAtMost(legacy, candidate, mid) >= half) hi = mid;
    else lo = mid;
  }
  return Math.round(hi * 100) / 100;
}

/** Weight of pairs (legacy a, new b) with b − a ≤ s, i.e. a ≥ b − s. */
function pairsAtMost(legacy: Distribution, candidate: Distribution, s: number): number {
  let total = 0;
  let below = 0;
  let i = 0;
  const nL = sizeOf(legacy);
  for (const [b, c] of candidate) {
    while (i < legacy.length && legacy[i]![0] < b - s) below += legacy[i++]![1];
    total += c * (nL - below);
  }
  return total;
}

/** A latency comparison judged against the plan's tolerance. */
export interface LatencyVerdict extends RankTest {
  outcome: Outcome;
  /** Observations needed on each side. */
  minN: number;
  /** Largest acceptable slowdown, ms (Hodges–Lehmann shift). */
  maxShiftMs: number;
  /** Significance level: a p-value under it is evidence that new is slower. */
  alpha: number;
}

/**
 * Judges latency: `fail` when new is slower with evidence (p-value under `alpha`) by more than
 * `maxShiftMs`; `insufficient` with fewer than `minN` observations on either side; else `pass`.
 * A significant but small shift passes: statistically real, practically irrelevant.
 */
export function judgeLatency(
  legacy: Distribution,
  candidate: Distribution,
  o: { minN: number; maxShiftMs: number; confidence: number },
): LatencyVerdict {
  return judgeRankTest(rankTest(legacy, candidate), o);
}

/** {@link judgeLatency} on a rank test already computed (the router ships tests, not histograms). */
export function judgeRankTest(
  t: RankTest,
  o: { minN: number; maxShiftMs: number; confidence: number },
): LatencyVerdict {
  const alpha = 1 - o.confidence;
  let outcome: Outcome = 'pass';
  if (t.nLegacy < o.minN || t.nNew < o.minN) outcome = 'insufficient';
  else if (t.pValue < alpha && (t.shiftMs ?? 0) > o.maxShiftMs) outcome = 'fail';
  return { ...t, outcome, minN: o.minN, maxShiftMs: o.maxShiftMs, alpha };
}

/** The rank test of two empty samples: nothing to compare. */
export function emptyRankTest(): RankTest {
  return { nLegacy: 0, nNew: 0, u: 0, z: 0, pValue: 1, shiftMs: null, probabilitySlower: 0.5 };
}
