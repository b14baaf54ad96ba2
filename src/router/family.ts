/**
 * Everything the router thread keeps per family: its plan, route and guard, statistics, adapters,
 * and what the shadow thread reported (learned noise, bounded rings of recent mismatches and
 * sampled requests).
 */
import type { Pool } from 'undici';
import { compileAdapters, NoiseLearner, type AdapterSet, type Difference } from '../parity/index.js';
import type { TriageEntry } from '../parity/signature.js';
import { FamilyStats } from '../parity/stats.js';
import type { FamilyPlan } from '../plan/schema.js';
import type { Trust } from './client-address.js';
import { stickyExtractor, type StickyExtractor } from './decide.js';
import { Guard } from './guard.js';
import type { RouteMode, RouteState } from './types.js';
import { failureCounts, type FailureCounts } from './upstream-errors.js';

/** A fixed-size ring, newest last. Every item gets a sequence number (1, 2, …) for cursor paging. */
export class Ring<T> {
  private readonly items: (T | undefined)[];
  private next = 0;
  private size = 0;
  /** Sequence number of the newest item; 0 while empty. */
  private last = 0;
  constructor(capacity: number) {
    this.items = new Array<T | undefined>(capacity);
  }
  get capacity(): number {
    return this.items.length;
  }
  /** Sequence number of the newest item (0 when none was ever pushed). */
  get newest(): number {
    return this.last;
  }
  /** Sequence number of the oldest item still held (newest + 1 when empty). */
  get oldest(): number {
    return this.last - this.size + 1;
  }
  push(item: T): void {
    this.items[this.next] = item;
    this.next = (this.next + 1) % this.items.length;
    this.size = Math.min(this.size + 1, this.items.length);
    this.last++;
  }
  private at(seq: number): T {
    return this.items[(this.next - (this.last - seq) - 1 + this.items.length) % this.items.length] as T;
  }
  /** Up to `limit` items, newest first. */
  latest(limit: number): T[] {
    const out: T[] = [];
    for (let k = 0; k < Math.min(limit, this.size); k++) out.push(this.at(this.last - k));
    return out;
  }
  /** Up to `limit` items with a sequence number above `after`, oldest first, each with its `seq`. */
  after(after: number, limit: number): (T & { seq: number })[] {
    const out: (T & { seq: number })[] = [];
    for (let seq = Math.max(after + 1, this.oldest); seq <= this.last && out.length < limit; seq++)
      out.push({ ...this.at(seq), seq });
    return out;
  }
}

/**
 * A shadow comparison that differed, or any comparison on a route flagged slower (its first
 * difference is then of kind `latency`, and it is not counted as a mismatch), with secrets masked.
 */
export interface MismatchRecord {
  at: number;
  method: string;
  path: string;
  /** The query string without its `?` (values of secret-looking parameters masked); "" when none. */
  query: string;
  /** The route pattern the request matched. */
  route: string;
  requestId: string;
  /** Time to response headers of each answer, ms, measured alike on the router thread. */
  legacyMs: number;
  newMs: number;
  differences: Difference[];
  legacy: { status: number; headers: Record<string, string> };
  candidate: { status: number; headers: Record<string, string> };
  /** A replayed recorded request (`parity.replay`), not live traffic. */
  replayed?: true;
}

/** A request sampled for shadow comparison, as `phoenix contracts record` turns it into a case. */
export interface SampleRecord {
  at: number;
  method: string;
  path: string;
  /** Decoded values; a parameter repeated has a list, in the order it was sent. */
  query: Record<string, string | string[]>;
  /** Without credentials or per-connection headers. */
  headers: Record<string, string>;
  /** UTF-8 body, when there was one of at most 64 KB. */
  body?: string;
  status: number;
  route: string;
  /** The request carried credentials (dropped here): a replay needs identity per side to resend it. */
  credentials?: true;
}

/** Cumulative counters since start, for `/metrics` (statistics windows are reset; these are not). */
export interface FamilyCounters {
  requests: Record<'legacy' | 'new', [number, number, number, number, number]>;
  mismatches: Record<string, number>;
  /** Comparisons with an informational difference (`format`, `redirect`), by kind; not mismatches. */
  informational: Record<string, number>;
  comparisons: number;
  /** Of `comparisons`, those of replayed requests (`POST /v1/families/:family/replay`). */
  replayed: number;
  mirrorsDropped: number;
  mirrorErrors: number;
  fallbacks: number;
  /** New-backend answers cut off after their headers reached the client (nothing left to fall back to). */
  newAborted: number;
  /** Attempts that failed before their answer started, per backend and kind (`upstream-errors.ts`). */
  upstreamFailures: Record<'legacy' | 'new', FailureCounts>;
}

/** Labels of the status classes counted per backend, by index. */
export const STATUS_CLASSES = ['error', '2xx', '3xx', '4xx', '5xx'] as const;

/** The index in {@link STATUS_CLASSES} of an answer's status; 0 (`error`) for no answer. */
function statusClass(status: number): number {
  return status >= 500 ? 4 : status >= 400 ? 3 : status >= 300 ? 2 : status >= 100 ? 1 : 0;
}

/** Counts a client-path answer in `requests` by status class; status 0 means no answer (an error or timeout). */
export function countAnswer(requests: FamilyCounters['requests'], backend: 'legacy' | 'new', status: number): void {
  const counts = requests[backend];
  const i = statusClass(status);
  counts[i] = (counts[i] ?? 0) + 1;
}

/** Router-wide settings a family's runtime takes. */
export interface FamilyRuntimeOptions {
  /** Trusted proxies for the canary's client address. @default none */
  trust?: Trust;
  /** Records kept per family. @default 100 mismatches, 200 samples */
  records?: { mismatches: number; samples: number };
}

export class FamilyRuntime {
  readonly plan: FamilyPlan;
  readonly name: string;
  route: RouteState;
  readonly guard: Guard;
  readonly stats: FamilyStats;
  readonly legacy: Pool;
  readonly candidate: Pool;
  /** The upstreams' origins, for rewriting `Location` values that point at them. */
  readonly legacyOrigin: string;
  readonly newOrigin: string;
  readonly sticky: StickyExtractor;
  readonly adapters: AdapterSet;
  /** What the shadow thread has learned, as of its last report. */
  readonly noise = new NoiseLearner();
  readonly mismatches: Ring<MismatchRecord>;
  /** Comparisons with informational differences (`redirect`, `format`), as many as mismatches are kept. */
  readonly informational: Ring<MismatchRecord>;
  readonly samples: Ring<SampleRecord>;
  /** Triage decisions in force (the plan's baseline, then what the workflow pushes). */
  triage: TriageEntry[];
  readonly counters: FamilyCounters = {
    requests: { legacy: [0, 0, 0, 0, 0], new: [0, 0, 0, 0, 0] },
    mismatches: {},
    informational: {},
    comparisons: 0,
    replayed: 0,
    mirrorsDropped: 0,
    mirrorErrors: 0,
    fallbacks: 0,
    newAborted: 0,
    upstreamFailures: { legacy: failureCounts(), new: failureCounts() },
  };

  constructor(plan: FamilyPlan, pools: { legacy: Pool; candidate: Pool }, now: number, o: FamilyRuntimeOptions = {}) {
    this.plan = plan;
    this.name = plan.name;
    this.route = { family: plan.name, mode: 'legacy', percent: 0, version: 0, sampleRate: plan.parity.sampleRate };
    this.guard = new Guard(plan.name, plan.guard);
    this.stats = new FamilyStats(now, { ...plan.parity.latency, confidence: plan.parity.confidence });
    this.legacy = pools.legacy;
    this.candidate = pools.candidate;
    this.legacyOrigin = new URL(plan.legacy).origin;
    this.newOrigin = new URL(plan.new).origin;
    this.sticky = stickyExtractor(plan.sticky, o.trust);
    this.mismatches = new Ring(o.records?.mismatches ?? 100);
    this.informational = new Ring(o.records?.mismatches ?? 100);
    this.samples = new Ring(o.records?.samples ?? 200);
    this.adapters = compileAdapters(plan.adapters);
    this.triage = plan.triage ?? [];
    this.stats.setTriage(this.triage);
  }

  /** Where the family's traffic goes now: a tripped guard overrides the route. */
  effectiveMode(): RouteMode {
    return this.guard.state.tripped ? 'legacy' : this.route.mode;
  }

  /** Counts a client-path answer by status class; status 0 means a connection error or timeout. */
  count(backend: 'legacy' | 'new', status: number): void {
    countAnswer(this.counters.requests, backend, status);
  }
}
