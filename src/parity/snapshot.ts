/**
 * The shape of a family's statistics as the router reports them and the workflow judges them.
 * Plain data only: it travels through the admin API and workflow history.
 */
import { emptyRankTest, type RankTest } from './evidence.js';
import type { TriageFigures } from './signature-stats.js';
import type { TailTest } from './tail-test.js';
import type { TriageDecision } from './signature.js';

/** What counts as "new is slower" for compared latency (the plan's `parity.latency` and `confidence`). */
export interface LatencyTolerance {
  /** Largest acceptable Hodges–Lehmann shift, ms. */
  maxShiftMs: number;
  /** Latencies needed on each side before a route is judged. */
  minSamples: number;
  /** Confidence of the rank test (0.95: p-value under 0.05 is evidence). */
  confidence: number;
}

/** Compared latency of one route: the same requests, answered by legacy and by new. Ms. */
export interface RouteLatency {
  legacy: { p50: number | null; p95: number | null };
  new: { p50: number | null; p95: number | null };
  /** Mann–Whitney U and Hodges–Lehmann shift of new against legacy. */
  test: RankTest;
  /** Slow answers (past legacy's p90 or p97.5 plus the tolerance) on each side; absent from older routers' figures. */
  tail?: TailTest;
  /**
   * New is slower than the tolerance with evidence, typically (the rank test) or in its tail (the
   * tail test): a difference of kind `latency` at `$latency`.
   */
  flagged: boolean;
  /**
   * Flagged by the tail test alone (the typical shift within the tolerance): only new's answers
   * past the tail's threshold are slow, and only their comparisons carry the `latency` difference.
   */
  tailOnly?: true;
  /** The flagged route's signature (`GET /x latency`), which triage can accept, call noise or block. */
  signature?: string;
  /** The triage decision in force on that signature; absent while untriaged. */
  decision?: TriageDecision;
}

/** Figures for one backend over the stats window. Latencies in milliseconds. */
export interface BackendFigures {
  requests: number;
  /** 5xx answers, timeouts and connection errors. */
  failures: number;
  /** failures ÷ requests; 0 when there were no requests. */
  errorRate: number;
  p50: number | null;
  /** Absent from routers before it was reported. */
  p90?: number | null;
  p95: number | null;
  p99: number | null;
}

/** One differing JSON path with how often it differed and one example. */
export interface PathCount {
  path: string;
  kind: string;
  count: number;
  route: string;
  example?: { legacy?: unknown; candidate?: unknown };
}

/** Parity figures for one route pattern of a family. */
export interface RouteParity {
  route: string;
  samples: number;
  mismatches: number;
  latency: RouteLatency;
}

/** Shadow comparison figures. */
export interface ParityFigures {
  /** Comparisons made (legacy answer vs new answer). */
  samples: number;
  matches: number;
  mismatches: number;
  /** mismatches ÷ samples; 0 when there were no samples. */
  mismatchRate: number;
  /** Mismatching comparisons by difference kind (`missing`, `extra`, `type`, `value`, `status`, `header`, `order`). */
  byKind: Record<string, number>;
  /** The most frequent differing paths, most frequent first. */
  topPaths: PathCount[];
  /** Differences ignored because they were learned as noise. */
  noiseIgnored: number;
  /**
   * Of `samples` and `mismatches`, those from recorded requests the router replayed (`parity.replay`)
   * rather than live traffic. Absent from routers without replay.
   */
  replayed?: { samples: number; mismatches: number };
  /**
   * Comparisons counted as matches because every difference left had an accepted signature
   * (some may also have been noise). Absent from routers without triage.
   */
  accepted?: number;
  /** Comparisons counted as matches because every difference left had a `noise` signature. */
  ignored?: number;
  /** Signatures seen in the window and the decisions in force (see `docs/rewrites.md`). */
  triage?: TriageFigures;
  routes: RouteParity[];
  /**
   * Latencies of the compared answers, ms; the fairest comparison (same requests on both), with
   * the rank test of new against legacy over all of them.
   */
  latency: {
    legacy: { p50: number | null; p95: number | null };
    new: { p50: number | null; p95: number | null };
    test: RankTest;
  };
  /**
   * The tolerance routes were judged against. A flagged route adds its samples to
   * `byKind.latency` and a `$latency` entry to `topPaths`; it does not change `mismatches`.
   */
  latencyTolerance: LatencyTolerance;
}

/** A family's statistics since the last reset. Times are epoch milliseconds. */
export interface FamilyStatsSnapshot {
  since: number;
  at: number;
  backends: { legacy: BackendFigures; new: BackendFigures };
  parity: ParityFigures;
  /**
   * What became of the requests picked for shadow comparison. `sampled` counts every request the
   * sample rate picked (absent from routers before it was counted); `parity.samples ÷ sampled` is
   * the share compared.
   */
  shadow: {
    sampled?: number;
    mirrored: number;
    dropped: number;
    errors: number;
    skippedUnsafe: number;
    skippedTooLarge: number;
  };
  /** Safe requests answered by legacy after the new backend failed. */
  fallbacks: number;
  /**
   * The canary split's users: distinct sticky buckets (of 10,000) seen in canary mode. Users who
   * share a bucket count once, so this is a slight undercount past a few thousand users.
   */
  canary: { distinctUsers: number };
  /**
   * Client-path latency: requests legacy served against requests new served (canary), as a rank
   * test of new against legacy. Empty unless both backends served traffic in the window.
   */
  clientLatency: RankTest;
}

/** The tolerance a plan without `parity.latency` gets. */
export const DEFAULT_LATENCY_TOLERANCE: LatencyTolerance = { maxShiftMs: 25, minSamples: 20, confidence: 0.95 };

/** A snapshot with nothing in it, for a family that has seen no traffic. */
export function emptySnapshot(since: number, at = since): FamilyStatsSnapshot {
  const backend = (): BackendFigures => ({
    requests: 0,
    failures: 0,
    errorRate: 0,
    p50: null,
    p90: null,
    p95: null,
    p99: null,
  });
  return {
    since,
    at,
    backends: { legacy: backend(), new: backend() },
    parity: {
      samples: 0,
      matches: 0,
      mismatches: 0,
      mismatchRate: 0,
      byKind: {},
      topPaths: [],
      noiseIgnored: 0,
      replayed: { samples: 0, mismatches: 0 },
      routes: [],
      latency: { legacy: { p50: null, p95: null }, new: { p50: null, p95: null }, test: emptyRankTest() },
      latencyTolerance: { ...DEFAULT_LATENCY_TOLERANCE },
    },
    shadow: { sampled: 0, mirrored: 0, dropped: 0, errors: 0, skippedUnsafe: 0, skippedTooLarge: 0 },
    fallbacks: 0,
    canary: { distinctUsers: 0 },
    clientLatency: emptyRankTest(),
  };
}
