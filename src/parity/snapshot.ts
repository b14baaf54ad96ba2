/**
 * The shape of a family's statistics as the router reports them and the workflow judges them.
 * Plain data only: it travels through the admin API and workflow history.
 */

/** Figures for one backend over the stats window. Latencies in milliseconds. */
export interface BackendFigures {
  requests: number;
  /** 5xx answers, timeouts and connection errors. */
  failures: number;
  /** failures ÷ requests; 0 when there were no requests. */
  errorRate: number;
  p50: number | null;
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
  routes: RouteParity[];
  /** Latencies of the compared answers, ms; the fairest p95 comparison (same requests on both). */
  latency: { legacy: { p50: number | null; p95: number | null }; new: { p50: number | null; p95: number | null } };
}

/** A family's statistics since the last reset. Times are epoch milliseconds. */
export interface FamilyStatsSnapshot {
  since: number;
  at: number;
  backends: { legacy: BackendFigures; new: BackendFigures };
  parity: ParityFigures;
  shadow: { mirrored: number; dropped: number; errors: number; skippedUnsafe: number; skippedTooLarge: number };
  /** Safe requests answered by legacy after the new backend failed. */
  fallbacks: number;
  /**
   * The canary split's users: distinct sticky buckets (of 10,000) seen in canary mode. Users who
   * share a bucket count once, so this is a slight undercount past a few thousand users.
   */
  canary: { distinctUsers: number };
}

/** A snapshot with nothing in it, for a family that has seen no traffic. */
export function emptySnapshot(since: number, at = since): FamilyStatsSnapshot {
  const backend = (): BackendFigures => ({ requests: 0, failures: 0, errorRate: 0, p50: null, p95: null, p99: null });
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
      routes: [],
      latency: { legacy: { p50: null, p95: null }, new: { p50: null, p95: null } },
    },
    shadow: { mirrored: 0, dropped: 0, errors: 0, skippedUnsafe: 0, skippedTooLarge: 0 },
    fallbacks: 0,
    canary: { distinctUsers: 0 },
  };
}
