/**
 * Compared latency per route: the same requests answered by legacy and by new, one pair of
 * histograms per route and one for the family, each route judged against the plan's tolerance
 * with the rank test (the typical request) and the tail test (the slow ones). Pure.
 */
import { judgeRankTest, rankTest } from './evidence.js';
import { LatencyHistogram } from './histogram.js';
import { tailIsSlower, tailTest } from './tail-test.js';
import type { FamilyStatsSnapshot, LatencyTolerance, RouteParity } from './snapshot.js';
import type { TriageDecision } from './signature.js';

/** A decision that takes a signature out of the count. */
export function isSetAside(d: TriageDecision | undefined): boolean {
  return d === 'accept' || d === 'noise';
}

/** One route's compared samples: counts and both sides' latency histograms. */
export class RouteFigures {
  samples = 0;
  mismatches = 0;
  readonly legacy = new LatencyHistogram();
  readonly candidate = new LatencyHistogram();

  private judged: RouteParity | undefined;

  /**
   * Judges the route's compared latency; the rank test runs on bucket distributions, O(buckets).
   * A route with no new sample since the last snapshot reuses its verdict, so idle routes cost
   * nothing on the admin reads that poll the figures.
   */
  parity(route: string, tolerance: LatencyTolerance): RouteParity {
    const last = this.judged;
    if (last !== undefined && last.samples === this.samples && last.mismatches === this.mismatches)
      return { ...last, latency: { ...last.latency } };
    this.judged = this.judge(route, tolerance);
    return { ...this.judged, latency: { ...this.judged.latency } };
  }

  private judge(route: string, tolerance: LatencyTolerance): RouteParity {
    const legacy = this.legacy.distribution();
    const candidate = this.candidate.distribution();
    const test = rankTest(legacy, candidate);
    const verdict = judgeRankTest(test, { minN: tolerance.minSamples, ...tolerance });
    const tail = tailTest(legacy, candidate, tolerance.maxShiftMs, test.shiftMs);
    const typical = verdict.outcome === 'fail';
    const slowTail = tailIsSlower(tail, { minN: tolerance.minSamples, ...tolerance });
    return {
      route,
      samples: this.samples,
      mismatches: this.mismatches,
      latency: {
        legacy: { p50: this.legacy.percentile(0.5), p95: this.legacy.percentile(0.95) },
        new: { p50: this.candidate.percentile(0.5), p95: this.candidate.percentile(0.95) },
        test,
        tail,
        flagged: typical || slowTail,
        ...(slowTail && !typical ? { tailOnly: true as const } : {}),
      },
    };
  }
}

/** Every compared route of a window, and the family's compared latency across them. */
export class ComparedRoutes {
  private readonly routes = new Map<string, RouteFigures>();
  private readonly legacy = new LatencyHistogram();
  private readonly candidate = new LatencyHistogram();
  private readonly tolerance: LatencyTolerance;

  /** @param tolerance when a route's compared latency counts as slower */
  constructor(tolerance: LatencyTolerance) {
    this.tolerance = tolerance;
  }

  /** One comparison's times (ms); returns the route's figures so the caller can count a mismatch. */
  record(route: string, legacyMs: number, newMs: number): RouteFigures {
    this.legacy.record(legacyMs);
    this.candidate.record(newMs);
    let r = this.routes.get(route);
    if (r === undefined) this.routes.set(route, (r = new RouteFigures()));
    r.samples++;
    r.legacy.record(legacyMs);
    r.candidate.record(newMs);
    return r;
  }

  /** Every route judged, in the order first compared. */
  judge(): RouteParity[] {
    return [...this.routes].map(([route, r]) => r.parity(route, this.tolerance));
  }

  /**
   * The family's compared latency; routes whose slowness was accepted (or called noise) are left
   * out, so an intended slowdown on one route does not fail the family's latency either.
   * @param routes this window's routes as {@link judge} gave them, with decisions written on
   */
  familyLatency(routes: readonly RouteParity[]): FamilyStatsSnapshot['parity']['latency'] {
    let legacy = this.legacy;
    let candidate = this.candidate;
    if (routes.some((r) => isSetAside(r.latency.decision))) {
      legacy = new LatencyHistogram();
      candidate = new LatencyHistogram();
      for (const r of routes) {
        if (isSetAside(r.latency.decision)) continue;
        const f = this.routes.get(r.route)!;
        legacy.add(f.legacy);
        candidate.add(f.candidate);
      }
    }
    return {
      legacy: { p50: legacy.percentile(0.5), p95: legacy.percentile(0.95) },
      new: { p50: candidate.percentile(0.5), p95: candidate.percentile(0.95) },
      test: rankTest(legacy.distribution(), candidate.distribution()),
    };
  }
}
