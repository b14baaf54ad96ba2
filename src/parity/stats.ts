/**
 * A family's running statistics, as the router accumulates them and the admin API serves them
 * (`FamilyStatsSnapshot`): requests, failures and latency per backend on the client path, shadow
 * comparisons with their differences, mirror counters and fallbacks. Pure; the caller passes
 * the clock. The parts it composes each have a module: `backend-tally.ts` (client path),
 * `compared-routes.ts` (compared latency per route), `difference-paths.ts`, `signature-stats.ts`
 * (triage) and `latency-signatures.ts` (routes flagged slower).
 */
import { BackendTally } from './backend-tally.js';
import { ComparedRoutes } from './compared-routes.js';
import { DifferencePaths } from './difference-paths.js';
import { rankTest } from './evidence.js';
import { latencySignatures, slowRoutesOf, type SlowRoute } from './latency-signatures.js';
import { DEFAULT_LATENCY_TOLERANCE, type FamilyStatsSnapshot, type LatencyTolerance } from './snapshot.js';
import { SignatureTally, type SignatureCount } from './signature-stats.js';
import type { TriageEntry } from './signature.js';
import type { Difference } from './types.js';

export { LATENCY_PATH, type SlowRoute } from './latency-signatures.js';

/** Sticky buckets of the canary split (the router's `BUCKETS`). */
const USER_BUCKETS = 10_000;

/** `sampled` counts every request the sample rate picked; the others say what became of some of them. */
export type ShadowEvent = 'sampled' | 'mirrored' | 'dropped' | 'errors' | 'skippedUnsafe' | 'skippedTooLarge';

function noShadowEvents(): Record<ShadowEvent, number> {
  return { sampled: 0, mirrored: 0, dropped: 0, errors: 0, skippedUnsafe: 0, skippedTooLarge: 0 };
}

/** One family's figures over a window that starts at construction or at the last {@link reset}. */
export class FamilyStats {
  private since: number;
  private legacy = new BackendTally();
  private candidate = new BackendTally();
  private samples = 0;
  private mismatches = 0;
  /** Of the above, replayed requests' comparisons. */
  private replayedSamples = 0;
  private replayedMismatches = 0;
  private noiseIgnored = 0;
  private accepted = 0;
  private ignored = 0;
  private readonly signatures = new SignatureTally();
  private differences = new DifferencePaths();
  private routes: ComparedRoutes;
  private shadow = noShadowEvents();
  private fallbacks = 0;
  private buckets = new Uint8Array(USER_BUCKETS);
  private distinctBuckets = 0;

  private readonly tolerance: LatencyTolerance;

  /** @param tolerance when a route's compared latency counts as a `latency` difference */
  constructor(now: number, tolerance: LatencyTolerance = DEFAULT_LATENCY_TOLERANCE) {
    this.since = now;
    this.tolerance = { ...tolerance };
    this.routes = new ComparedRoutes(this.tolerance);
  }

  /**
   * A request answered on the client path by `backend`; `failed` = 5xx, timeout or connection error.
   * A request taken on before the window began is left out: it belongs to the figures a reset
   * cleared (a slow answer in flight when a held breach was approved must not breach again).
   * @param ms time to response headers (ms)
   * @param startedAt epoch ms when the request was taken on
   */
  recordRequest(backend: 'legacy' | 'new', ms: number, failed: boolean, startedAt: number): void {
    if (startedAt < this.since) return;
    (backend === 'legacy' ? this.legacy : this.candidate).record(ms, failed);
  }

  /**
   * One shadow comparison of the legacy and new answers to the same request. Differences whose
   * signature is accepted or noise do not count: a comparison left with none counts as a match
   * (and as `accepted` or `ignored`). A `replayed` comparison (a recorded request the router
   * replayed) counts like a live one and is also counted apart. A comparison of a request taken on
   * before the window began (`startedAt`, epoch ms) is left out, as in {@link recordRequest}.
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
      startedAt?: number;
    },
    legacyMs: number,
    newMs: number,
    now = this.since,
  ): void {
    if (result.startedAt !== undefined && result.startedAt < this.since) return;
    this.samples++;
    if (result.replayed === true) this.replayedSamples++;
    const r = this.routes.record(route, legacyMs, newMs);
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
    this.differences.record(route, triaged.counted);
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
    return this.signatures.list(latencySignatures(this.routes.judge(), this.signatures, this.since));
  }

  /**
   * Routes flagged slower whose latency signature is not accepted or called noise, with their
   * figures: the router marks their comparisons' records with a `latency` difference. Judging
   * costs O(buckets) per route with new samples, so callers ask a few times a second, not per
   * comparison.
   */
  slowRoutes(): SlowRoute[] {
    const routes = this.routes.judge();
    latencySignatures(routes, this.signatures, this.since);
    return slowRoutesOf(routes);
  }

  /** A mirrored request's fate (see {@link ShadowEvent}). */
  recordShadow(event: ShadowEvent): void {
    this.shadow[event]++;
  }

  /** A safe request new failed that legacy answered instead. */
  recordFallback(): void {
    this.fallbacks++;
  }

  /** The window's figures as the admin API serves them; `now` is epoch ms. */
  snapshot(now: number): FamilyStatsSnapshot {
    const routes = this.routes.judge();
    const latency = latencySignatures(routes, this.signatures, this.since);
    const { byKind, topPaths } = this.differences.figures(routes);
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
        topPaths,
        noiseIgnored: this.noiseIgnored,
        replayed: { samples: this.replayedSamples, mismatches: this.replayedMismatches },
        accepted: this.accepted,
        ignored: this.ignored,
        triage: this.signatures.figures(latency),
        routes,
        latency: this.routes.familyLatency(routes),
        latencyTolerance: { ...this.tolerance },
      },
      shadow: { ...this.shadow },
      fallbacks: this.fallbacks,
      canary: { distinctUsers: this.distinctBuckets },
      clientLatency: rankTest(this.legacy.latency.distribution(), this.candidate.latency.distribution()),
    };
  }

  /** Starts a new window at `now`. */
  reset(now: number): void {
    this.since = now;
    this.legacy = new BackendTally();
    this.candidate = new BackendTally();
    this.samples = 0;
    this.mismatches = 0;
    this.replayedSamples = 0;
    this.replayedMismatches = 0;
    this.noiseIgnored = 0;
    this.accepted = 0;
    this.ignored = 0;
    this.signatures.reset();
    this.differences = new DifferencePaths();
    this.routes = new ComparedRoutes(this.tolerance);
    this.shadow = noShadowEvents();
    this.fallbacks = 0;
    this.buckets = new Uint8Array(USER_BUCKETS);
    this.distinctBuckets = 0;
  }
}
