/**
 * What travels between the two sides of shadow comparison: the job the router thread hands over
 * (both answers of one sampled exchange) and the report the shadow thread sends back.
 */
import type { Difference, HttpSnapshot, NoisePath } from '../../parity/index.js';
import type { Collected } from '../collect.js';
import type { MismatchRecord, SampleRecord } from '../family.js';

/** One sampled exchange with both answers, as the router thread hands it over. */
export interface CompareJob {
  /** Index of the family in the plan. */
  family: number;
  method: string;
  url: string;
  /** The headers sent upstream (hop-by-hop removed, forwarding headers added). */
  headers: Record<string, string | string[]>;
  /** The request body, for sampled requests that had one. */
  body: Buffer | null;
  route: string;
  requestId: string;
  /** The legacy answer the client received. */
  legacy: HttpSnapshot;
  /** The new service's answer to the mirrored request. */
  candidate: HttpSnapshot;
  /** Time to response headers, ms, both measured on the router thread. */
  legacyMs: number;
  newMs: number;
  /** Epoch ms when the request was taken on: a statistics window that began later leaves it out. */
  startedAt: number;
  /** The client's `Host` header (sent to an upstream with `preserveHost`, and same-origin for redirects). */
  host?: string;
  /** The headers new got, when new's identity replaced some of the client's: its redirect hops carry them too. */
  newHeaders?: Record<string, string | string[]>;
  /** A recorded request the router replayed (`POST /v1/families/:family/replay`), not live traffic. */
  replayed?: true;
}

/** One comparison's outcome, enough for the statistics. */
export interface ComparisonRecord {
  route: string;
  equal: boolean;
  /** Empty when equal. */
  differences: Difference[];
  /** Learned noise was ignored in this comparison. */
  noisy: boolean;
  /** The request's id, kept as an example of its differences' signatures. */
  requestId: string;
  /** Differences of an informational kind (`format`, `redirect`) that do not count as a mismatch. */
  informational: Difference[];
  legacyMs: number;
  newMs: number;
  /** Epoch ms when the request was taken on (see {@link CompareJob.startedAt}). */
  startedAt: number;
  /** The comparison of a replayed request, counted apart from live ones. */
  replayed?: true;
}

/** What the shadow thread found for one family since its last report. */
export interface FamilyReport {
  comparisons: ComparisonRecord[];
  mismatches: MismatchRecord[];
  /** Comparisons with informational differences (same shape, those differences only). */
  informational: MismatchRecord[];
  samples: SampleRecord[];
  /** The family's learned noise, when it changed. */
  noise?: Record<string, NoisePath[]>;
  /** Jobs of the family the thread finished (compared or not) since its last report. */
  finished: number;
}

export function emptyReport(): FamilyReport {
  return { comparisons: [], mismatches: [], informational: [], samples: [], finished: 0 };
}

/** A sampled exchange once the client has its answer. */
export interface CapturedExchange extends Pick<
  CompareJob,
  'family' | 'method' | 'url' | 'headers' | 'body' | 'route' | 'requestId' | 'host' | 'replayed' | 'startedAt'
> {
  /** The legacy answer the client received. */
  legacy: Collected;
  /**
   * The headers legacy got, when a legacy identity replaced some of the client's: the shadow
   * thread's second legacy samples must carry the same credential.
   */
  legacyHeaders?: Record<string, string | string[]> | undefined;
}
