/**
 * A family's running statistics, as the router accumulates them and the admin API serves them
 * (`FamilyStatsSnapshot`): requests, failures and latency per backend on the client path, shadow
 * comparisons with their differences, mirror counters and fallbacks. Pure; the caller passes
 * the clock.
 */
import { judgeRankTest, rankTest } from './evidence.js';
import { LatencyHistogram } from './histogram.js';
import { normalizePath } from './json-path.js';
import {
  DEFAULT_LATENCY_TOLERANCE,
  type BackendFigures,
  type FamilyStatsSnapshot,
  type LatencyTolerance,
  type PathCount,
  type RouteParity,
} from './snapshot.js';
import { SignatureTally, type SignatureCount } from './signature-stats.js';
import { signatureOf, type TriageDecision, type TriageEntry } from './signature.js';
import type { Difference } from './types.js';

/** Distinct differing paths remembered between resets; later ones are counted by kind only. */
const MAX_PATHS = 500;
/** Paths listed in a snapshot, most frequent first. */
const TOP_PATHS = 20;
/** Example values longer than this (as JSON) are cut. */
const EXAMPLE_CHARS = 300;

/** Sticky buckets of the canary split (the router's `BUCKETS`). */
const USER_BUCKETS = 10_000;

/** The path a per-route latency difference is reported at. */
export const LATENCY_PATH = '$latency';

/** `sampled` counts every request the sample rate picked; the others say what became of some of them. */
export type ShadowEvent = 'sampled' | 'mirrored' | 'dropped' | 'errors' | 'skippedUnsafe' | 'skippedTooLarge';

class Backend {
  requests = 0;
  failures = 0;
  readonly latency = new LatencyHistogram();

  figures(): BackendFigures {
    return {
      requests: this.requests,
      failures: this.failures,
      errorRate: this.requests === 0 ? 0 : this.failures / this.requests,
      p50: this.latency.percentile(0.5),
      p90: this.latency.percentile(0.9),
      p95: this.latency.percentile(0.95),
      p99: this.latency.percentile(0.99),
    };
  }
}

/** One route's compared samples: counts and both sides' latency histograms. */
class RouteFigures {
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
    const test = rankTest(this.legacy.distribution(), this.candidate.distribution());
    const verdict = judgeRankTest(test, { minN: tolerance.minSamples, ...tolerance });
    return {
      route,
      samples: this.samples,
      mismatches: this.mismatches,
      latency: {
        legacy: { p50: this.legacy.percentile(0.5), p95: this.legacy.percentile(0.95) },
        new: { p50: this.candidate.percentile(0.5), p95: this.candidate.percentile(0.95) },
        test,
        flagged: verdict.outcome === 'fail',
      },
    };
  }
}

function example(v: unknown): unknown {
  if (v === undefined) return undefined;
  const text = JSON.stringify(v);
  if (text === undefined || text.length <= EXAMPLE_CHARS) return v;
  return `${text.slice(0, EXAMPLE_CHARS)}… (${text.length} chars)`;
}

/** A route flagged slower than the tolerance, untriaged or blocked (see {@link FamilyStats.slowRoutes}). Ms. */
export interface SlowRoute {
  route: string;
  legacy: { p50: number | null; p95: number | null };
  new: { p50: number | null; p95: number | null };
  /** Hodges–Lehmann shift of new against legacy. */
  shiftMs: number | null;
  pValue: number;
  /** The route's latency signature (`GET /x latency`). */
  signature?: string;
}

/** A decision that takes a signature out of the count. */
function setAside(d: TriageDecision | undefined): boolean {
  return d === 'accept' || d === 'noise';
}

export class FamilyStats {
  private since: number;
  private legacy = new Backend();
  private candidate = new Backend();
  private samples = 0;
  private mismatches = 0;
  /** Of the above, replayed requests' comparisons. */
  private replayedSamples = 0;
  private replayedMismatches = 0;
  private noiseIgnored = 0;
  private accepted = 0;
  private ignored = 0;
  private readonly signatures = new SignatureTally();
  private byKind: Record<string, number> = {};
  private paths = new Map<string, PathCount>();
  private routes = new Map<string, RouteFigures>();
  private comparedLegacy = new LatencyHistogram();
  private comparedNew = new LatencyHistogram();
  private shadow = { sampled: 0, mirrored: 0, dropped: 0, errors: 0, skippedUnsafe: 0, skippedTooLarge: 0 };
  private fallbacks = 0;
  private buckets = new Uint8Array(USER_BUCKETS);
  private distinctBuckets = 0;

  private readonly tolerance: LatencyTolerance;

  /** @param tolerance when a route's compared latency counts as a `latency` difference */
  constructor(now: number, tolerance: LatencyTolerance = DEFAULT_LATENCY_TOLERANCE) {
    this.since = now;
    this.tolerance = { ...tolerance };
  }

  /** A request answered on the client path by `backend`; `failed` = 5xx, timeout or connection error. */
  recordRequest(backend: 'legacy' | 'new', ms: number, failed: boolean): void {
    const b = backend === 'legacy' ? this.legacy : this.candidate;
    b.requests++;
    if (failed) b.failures++;
    b.latency.record(ms);
  }

  /**
   * One shadow comparison of the legacy and new answers to the same request. Differences whose
   * signature is accepted or noise do not count: a comparison left with none counts as a match
   * (and as `accepted` or `ignored`). A `replayed` comparison (a recorded request the router
   * replayed) counts like a live one and is also counted apart.
   * @param legacyMs legacy time to response headers (ms)
   * @param newMs new time to response headers (ms), measured the same way
   * @param now epoch ms, for the signatures' first and last sighting
   */
  recordComparison(
    route: string,
    result: {
      equal: boolean;
      differences: readonly Difference[];
      noisy: boolean;
      requestId?: string;
      replayed?: boolean;
    },
    legacyMs: number,
    newMs: number,
    now = this.since,
  ): void {
    this.samples++;
    if (result.replayed === true) this.replayedSamples++;
    this.comparedLegacy.record(legacyMs);
    this.comparedNew.record(newMs);
    let r = this.routes.get(route);
    if (r === undefined) this.routes.set(route, (r = new RouteFigures()));
    r.samples++;
    r.legacy.record(legacyMs);
    r.candidate.record(newMs);
    if (result.noisy) this.noiseIgnored++;
    if (result.equal) return;
    const triaged = this.signatures.record(route, result.differences, result.requestId, now);
    if (triaged.counted.length === 0 && result.differences.length > 0) {
      if (triaged.accepted) this.accepted++;
      else this.ignored++;
      return;
    }
    this.mismatches++;
    if (result.replayed === true) this.replayedMismatches++;
    r.mismatches++;
    const kinds = new Set<string>();
    for (const d of triaged.counted) {
      kinds.add(d.kind);
      const path = d.path.startsWith('$') ? normalizePath(d.path) : d.path;
      const key = `${route}\n${d.kind}\n${path}`;
      const known = this.paths.get(key);
      if (known) known.count++;
      else if (this.paths.size < MAX_PATHS) {
        this.paths.set(key, {
          path,
          kind: d.kind,
          count: 1,
          route,
          example: { legacy: example(d.legacy), candidate: example(d.candidate) },
        });
      }
    }
    for (const k of kinds) this.byKind[k] = (this.byKind[k] ?? 0) + 1;
  }

  /**
   * A canary request from the user in sticky `bucket` (0–9,999). Distinct buckets tell how many
   * users the split was drawn from: a canary fed by one address sends everything one way.
   */
  recordBucket(bucket: number): void {
    if (this.buckets[bucket] === 0) {
      this.buckets[bucket] = 1;
      this.distinctBuckets++;
    }
  }

  /** Replaces the triage decisions in force (they outlive {@link reset}). */
  setTriage(entries: readonly Pick<TriageEntry, 'id' | 'decision'>[]): void {
    this.signatures.setDecisions(entries);
  }

  /** Every signature seen since the last reset, most frequent first, with examples. */
  signatureCounts(): SignatureCount[] {
    const routes = [...this.routes].map(([route, r]) => r.parity(route, this.tolerance));
    return this.signatures.list(this.latencySignatures(routes));
  }

  /**
   * A route flagged slower is a difference of the window, not of one comparison: its signature
   * (`GET /x latency`) is judged here, with the decision in force written onto the route.
   */
  private latencySignatures(routes: RouteParity[]): SignatureCount[] {
    const out: SignatureCount[] = [];
    for (const r of routes) {
      if (!r.latency.flagged) continue;
      // The example is the route's medians ("example p50: legacy 12 ms → new 160 ms").
      const legacy = `${r.latency.legacy.p50} ms`;
      const candidate = `${r.latency.new.p50} ms`;
      const s = signatureOf(r.route, { kind: 'latency', path: LATENCY_PATH, legacy, candidate });
      const decision = this.signatures.decisionOf(s.id);
      r.latency.signature = s.id;
      if (decision !== undefined) r.latency.decision = decision;
      out.push({
        ...s,
        count: r.samples,
        firstSeen: this.since,
        lastSeen: this.since,
        decision,
        examples: [{ requestId: 'p50', path: LATENCY_PATH, legacy, candidate }],
      });
    }
    return out;
  }

  /**
   * Routes flagged slower whose latency signature is not accepted or called noise, with their
   * figures: the router marks their comparisons' records with a `latency` difference. Judging
   * costs O(buckets) per route with new samples, so callers ask a few times a second, not per
   * comparison.
   */
  slowRoutes(): SlowRoute[] {
    const routes = [...this.routes].map(([route, r]) => r.parity(route, this.tolerance));
    this.latencySignatures(routes);
    const out: SlowRoute[] = [];
    for (const r of routes) {
      if (!r.latency.flagged || setAside(r.latency.decision)) continue;
      const { legacy, new: candidate, test } = r.latency;
      out.push({
        route: r.route,
        legacy: { ...legacy },
        new: { ...candidate },
        shiftMs: test.shiftMs,
        pValue: test.pValue,
        ...(r.latency.signature !== undefined ? { signature: r.latency.signature } : {}),
      });
    }
    return out;
  }

  recordShadow(event: ShadowEvent): void {
    this.shadow[event]++;
  }

  recordFallback(): void {
    this.fallbacks++;
  }

  snapshot(now: number): FamilyStatsSnapshot {
    const routes = [...this.routes].map(([route, r]) => r.parity(route, this.tolerance));
    const latencySignatures = this.latencySignatures(routes);
    const byKind = { ...this.byKind };
    const paths = [...this.paths.values()].map((p) => ({ ...p }));
    for (const r of routes) {
      if (!r.latency.flagged || setAside(r.latency.decision)) continue;
      byKind.latency = (byKind.latency ?? 0) + r.samples;
      paths.push({
        path: LATENCY_PATH,
        kind: 'latency',
        count: r.samples,
        route: r.route,
        example: { legacy: `p50 ${r.latency.legacy.p50} ms`, candidate: `p50 ${r.latency.new.p50} ms` },
      });
    }
    return {
      since: this.since,
      at: now,
      backends: { legacy: this.legacy.figures(), new: this.candidate.figures() },
      parity: {
        samples: this.samples,
        matches: this.samples - this.mismatches,
        mismatches: this.mismatches,
        mismatchRate: this.samples === 0 ? 0 : this.mismatches / this.samples,
        byKind,
        topPaths: paths.sort((a, b) => b.count - a.count || a.path.localeCompare(b.path)).slice(0, TOP_PATHS),
        noiseIgnored: this.noiseIgnored,
        replayed: { samples: this.replayedSamples, mismatches: this.replayedMismatches },
        accepted: this.accepted,
        ignored: this.ignored,
        triage: this.signatures.figures(latencySignatures),
        routes,
        latency: this.comparedLatency(routes),
        latencyTolerance: { ...this.tolerance },
      },
      shadow: { ...this.shadow },
      fallbacks: this.fallbacks,
      canary: { distinctUsers: this.distinctBuckets },
      clientLatency: rankTest(this.legacy.latency.distribution(), this.candidate.latency.distribution()),
    };
  }

  /**
   * The family's compared latency; routes whose slowness was accepted (or called noise) are left
   * out, so an intended slowdown on one route does not fail the family's latency either.
   */
  private comparedLatency(routes: readonly RouteParity[]): FamilyStatsSnapshot['parity']['latency'] {
    let legacy = this.comparedLegacy;
    let candidate = this.comparedNew;
    if (routes.some((r) => setAside(r.latency.decision))) {
      legacy = new LatencyHistogram();
      candidate = new LatencyHistogram();
      for (const r of routes) {
        if (setAside(r.latency.decision)) continue;
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

  /** Starts a new window at `now`. */
  reset(now: number): void {
    this.since = now;
    this.legacy = new Backend();
    this.candidate = new Backend();
    this.samples = 0;
    this.mismatches = 0;
    this.replayedSamples = 0;
    this.replayedMismatches = 0;
    this.noiseIgnored = 0;
    this.accepted = 0;
    this.ignored = 0;
    this.signatures.reset();
    this.byKind = {};
    this.paths = new Map();
    this.routes = new Map();
    this.comparedLegacy = new LatencyHistogram();
    this.comparedNew = new LatencyHistogram();
    this.shadow = { sampled: 0, mirrored: 0, dropped: 0, errors: 0, skippedUnsafe: 0, skippedTooLarge: 0 };
    this.fallbacks = 0;
    this.buckets = new Uint8Array(USER_BUCKETS);
    this.distinctBuckets = 0;
  }
}
