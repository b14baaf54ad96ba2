/**
 * A family's running statistics, as the router accumulates them and the admin API serves them
 * (`FamilyStatsSnapshot`): requests, failures and latency per backend on the client path, shadow
 * comparisons with their differences, mirror counters and fallbacks. Pure; the caller passes
 * the clock.
 */
import { LatencyHistogram } from './histogram.js';
import { normalizePath } from './json-path.js';
import type { BackendFigures, FamilyStatsSnapshot, PathCount } from './snapshot.js';
import type { Difference } from './types.js';

/** Distinct differing paths remembered between resets; later ones are counted by kind only. */
const MAX_PATHS = 500;
/** Paths listed in a snapshot, most frequent first. */
const TOP_PATHS = 20;
/** Example values longer than this (as JSON) are cut. */
const EXAMPLE_CHARS = 300;

/** Sticky buckets of the canary split (the router's `BUCKETS`). */
const USER_BUCKETS = 10_000;

export type ShadowEvent = 'mirrored' | 'dropped' | 'errors' | 'skippedUnsafe' | 'skippedTooLarge';

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
      p95: this.latency.percentile(0.95),
      p99: this.latency.percentile(0.99),
    };
  }
}

function example(v: unknown): unknown {
  if (v === undefined) return undefined;
  const text = JSON.stringify(v);
  if (text === undefined || text.length <= EXAMPLE_CHARS) return v;
  return `${text.slice(0, EXAMPLE_CHARS)}… (${text.length} chars)`;
}

export class FamilyStats {
  private since: number;
  private legacy = new Backend();
  private candidate = new Backend();
  private samples = 0;
  private mismatches = 0;
  private noiseIgnored = 0;
  private byKind: Record<string, number> = {};
  private paths = new Map<string, PathCount>();
  private routes = new Map<string, { samples: number; mismatches: number }>();
  private comparedLegacy = new LatencyHistogram();
  private comparedNew = new LatencyHistogram();
  private shadow = { mirrored: 0, dropped: 0, errors: 0, skippedUnsafe: 0, skippedTooLarge: 0 };
  private fallbacks = 0;
  private buckets = new Uint8Array(USER_BUCKETS);
  private distinctBuckets = 0;

  constructor(now: number) {
    this.since = now;
  }

  /** A request answered on the client path by `backend`; `failed` = 5xx, timeout or connection error. */
  recordRequest(backend: 'legacy' | 'new', ms: number, failed: boolean): void {
    const b = backend === 'legacy' ? this.legacy : this.candidate;
    b.requests++;
    if (failed) b.failures++;
    b.latency.record(ms);
  }

  /**
   * One shadow comparison of the legacy and new answers to the same request.
   * @param legacyMs legacy time to response headers (ms)
   * @param newMs new time to response headers (ms), measured the same way
   */
  recordComparison(
    route: string,
    result: { equal: boolean; differences: readonly Difference[]; noisy: boolean },
    legacyMs: number,
    newMs: number,
  ): void {
    this.samples++;
    this.comparedLegacy.record(legacyMs);
    this.comparedNew.record(newMs);
    let r = this.routes.get(route);
    if (r === undefined) this.routes.set(route, (r = { samples: 0, mismatches: 0 }));
    r.samples++;
    if (result.noisy) this.noiseIgnored++;
    if (result.equal) return;
    this.mismatches++;
    r.mismatches++;
    const kinds = new Set<string>();
    for (const d of result.differences) {
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

  recordShadow(event: ShadowEvent): void {
    this.shadow[event]++;
  }

  recordFallback(): void {
    this.fallbacks++;
  }

  snapshot(now: number): FamilyStatsSnapshot {
    return {
      since: this.since,
      at: now,
      backends: { legacy: this.legacy.figures(), new: this.candidate.figures() },
      parity: {
        samples: this.samples,
        matches: this.samples - this.mismatches,
        mismatches: this.mismatches,
        mismatchRate: this.samples === 0 ? 0 : this.mismatches / this.samples,
        byKind: { ...this.byKind },
        topPaths: [...this.paths.values()]
          .sort((a, b) => b.count - a.count || a.path.localeCompare(b.path))
          .slice(0, TOP_PATHS)
          .map((p) => ({ ...p })),
        noiseIgnored: this.noiseIgnored,
        routes: [...this.routes].map(([route, r]) => ({ route, ...r })),
        latency: {
          legacy: { p50: this.comparedLegacy.percentile(0.5), p95: this.comparedLegacy.percentile(0.95) },
          new: { p50: this.comparedNew.percentile(0.5), p95: this.comparedNew.percentile(0.95) },
        },
      },
      shadow: { ...this.shadow },
      fallbacks: this.fallbacks,
      canary: { distinctUsers: this.distinctBuckets },
    };
  }

  /** Starts a new window at `now`. */
  reset(now: number): void {
    this.since = now;
    this.legacy = new Backend();
    this.candidate = new Backend();
    this.samples = 0;
    this.mismatches = 0;
    this.noiseIgnored = 0;
    this.byKind = {};
    this.paths = new Map();
    this.routes = new Map();
    this.comparedLegacy = new LatencyHistogram();
    this.comparedNew = new LatencyHistogram();
    this.shadow = { mirrored: 0, dropped: 0, errors: 0, skippedUnsafe: 0, skippedTooLarge: 0 };
    this.fallbacks = 0;
    this.buckets = new Uint8Array(USER_BUCKETS);
    this.distinctBuckets = 0;
  }
}
