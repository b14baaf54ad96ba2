/**
 * The shadow comparison, run on the shadow thread once the router thread has both answers (the
 * legacy one the client got and the mirror's): adapters are applied, noise is learned by asking
 * legacy a second time for a share of requests, and both answers are compared with the family's
 * rules. What it finds is collected in a {@link FamilyReport} that the router thread merges into
 * its statistics.
 */
import type { Dispatcher, Pool } from 'undici';
import {
  applyAdapter,
  compileAdapters,
  compileRules,
  compareResponses,
  NoiseLearner,
  RouteKeys,
  type AdapterSet,
  type CompiledRules,
  type Difference,
  type HttpSnapshot,
  type NoisePath,
} from '../parity/index.js';
import { LATENCY_PATH, type SlowRoute } from '../parity/stats.js';
import { SAFE_METHODS } from '../plan/route-pattern.js';
import type { FamilyPlan } from '../plan/schema.js';
import type { MismatchRecord, SampleRecord } from './family.js';
import { chainDifference, fetchWhole, follow, isRedirect, type Followed } from './redirects.js';
import { withHost } from './upstream-host.js';
import { dropSecretHeaders, isSecretHeader, redactHeaders, redactQuery } from './redact.js';

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

/** Every route's first sampled requests always learn noise, so early comparisons are not noise-blind. */
const NOISE_WARMUP = 10;
/** Recorded request bodies are kept up to this size (bytes). */
const SAMPLE_BODY_BYTES = 64 * 1024;
/** Differences kept per mismatch record. */
const DIFFERENCES_KEPT = 20;

/** A family as the shadow thread sees it: its own legacy pool, compiled rules and adapters, learned noise. */
export class ShadowFamily {
  readonly plan: FamilyPlan;
  /** For second legacy requests (noise learning) and following legacy's redirects. */
  readonly legacy: Pool;
  /** For following the new service's redirects. */
  readonly candidate: Pool;
  readonly legacyOrigin: string;
  readonly newOrigin: string;
  readonly adapters: AdapterSet;
  readonly noise = new NoiseLearner();
  /** Route templates, the key of noise and comparisons. */
  readonly routeKeys = new RouteKeys();
  /** Noise changed since the last report. */
  noiseChanged = false;
  /**
   * Routes the router thread flagged slower (untriaged or blocked), by route key: their
   * comparisons are recorded with a `latency` difference. Replaced whole by each `latency` message.
   */
  slowRoutes = new Map<string, SlowRoute>();
  private readonly noiseWarmup = new Map<string, number>();
  /** Second legacy requests under way, by route. */
  private readonly lessons = new Map<string, Set<Promise<void>>>();
  private readonly baseRules: CompiledRules;
  private readonly routeRules = new Map<string, CompiledRules>();

  constructor(plan: FamilyPlan, pool: (origin: string) => Pool) {
    this.plan = plan;
    this.legacy = pool(plan.legacy);
    this.candidate = pool(plan.new);
    this.legacyOrigin = new URL(plan.legacy).origin;
    this.newOrigin = new URL(plan.new).origin;
    this.adapters = compileAdapters(plan.adapters);
    this.baseRules = compileRules(plan.diff);
    for (const [route, override] of Object.entries(plan.routeDiff))
      this.routeRules.set(route, compileRules(plan.diff, override));
  }

  /** Diff rules for a route pattern of the family (its `routeDiff` override, if any). */
  rulesFor(route: string): CompiledRules {
    return this.routeRules.get(route) ?? this.baseRules;
  }

  /** Whether `redirect` differences count as mismatches on `route` (`diff.blocking`, or its `routeDiff` override). */
  redirectBlocks(route: string): boolean {
    return (this.plan.routeDiff[route]?.blocking ?? this.plan.diff.blocking).includes('redirect');
  }

  /**
   * Follows same-origin redirects of a safe request on both sides; undefined when neither answer
   * is a redirect or a hop could not be fetched (then the first answers are compared).
   */
  async followRedirects(
    job: CompareJob,
    maxBytes: number,
  ): Promise<{ legacy: Followed; candidate: Followed } | undefined> {
    if (!SAFE_METHODS.has(job.method) || (!isRedirect(job.legacy) && !isRedirect(job.candidate))) return undefined;
    const timeout = this.plan.guard.timeout;
    const host = job.host;
    const [legacy, candidate] = await Promise.all([
      follow(
        {
          pool: this.legacy,
          origin: this.legacyOrigin,
          headers: withHost(job.headers, host, this.plan.preserveHost.legacy),
        },
        job.method,
        job.url,
        job.legacy,
        host,
        timeout,
        maxBytes,
      ),
      follow(
        {
          pool: this.candidate,
          origin: this.newOrigin,
          headers: withHost(job.newHeaders ?? job.headers, host, this.plan.preserveHost.new),
        },
        job.method,
        job.url,
        job.candidate,
        host,
        timeout,
        maxBytes,
      ),
    ]);
    return legacy && candidate ? { legacy, candidate } : undefined;
  }

  /** True when this request should also go to legacy a second time to learn noise. */
  learnsNoiseNow(route: string, rules: CompiledRules): boolean {
    if (!rules.rules.learnNoise) return false;
    const seen = this.noiseWarmup.get(route) ?? 0;
    if (seen >= NOISE_WARMUP && Math.random() >= rules.rules.noiseSampleRate) return false;
    this.noiseWarmup.set(route, seen + 1);
    return true;
  }

  /** Runs a noise lesson for `route`; comparisons on the route wait for it (see {@link lessonsFor}). */
  learn(route: string, lesson: Promise<void>): Promise<void> {
    let set = this.lessons.get(route);
    if (!set) this.lessons.set(route, (set = new Set()));
    const tracked = lesson.finally(() => {
      set.delete(tracked);
      if (set.size === 0) this.lessons.delete(route);
    });
    set.add(tracked);
    return tracked;
  }

  /**
   * The lessons under way for `route`, or undefined when there are none. Samples often arrive in
   * bursts; a comparison that waits for them is not noise-blind just because it ran first.
   */
  lessonsFor(route: string): Promise<unknown> | undefined {
    const set = this.lessons.get(route);
    return set ? Promise.all(set) : undefined;
  }
}

/** A second legacy answer to the same request (noise learning). */
async function fetchAgain(
  pool: Dispatcher,
  job: CompareJob,
  preserveHost: boolean,
  timeoutMs: number,
  maxBytes: number,
): Promise<HttpSnapshot | 'too-large'> {
  const headers = withHost(job.headers, job.host, preserveHost);
  const got = await fetchWhole(
    pool,
    { path: job.url, method: job.method, headers, body: job.body },
    timeoutMs,
    maxBytes,
  );
  return got ?? 'too-large';
}

function queryOf(url: string): Record<string, string> {
  const q = url.indexOf('?');
  if (q < 0) return {};
  return Object.fromEntries(new URLSearchParams(url.slice(q + 1)));
}

/**
 * Compares one exchange and records what it found in `report()` (asked at each finding: the
 * report in progress changes while a second legacy request is out). Never throws.
 */
export async function judge(
  fam: ShadowFamily,
  job: CompareJob,
  report: () => FamilyReport,
  maxBytes: number,
): Promise<void> {
  const { method, url, legacy } = job;
  const q = url.indexOf('?');
  const path = q < 0 ? url : url.slice(0, q);
  // Noise and comparisons are keyed by route template, so a wildcard pattern's routes do not
  // share noise; the diff rules stay those of the plan pattern.
  const route = fam.routeKeys.keyFor(job.route, method, path);
  // A replayed request is not a new sample: it would be replayed again and recorded as a case.
  if (!job.replayed) recordSample(report(), job, path);
  // A client follows redirects: the final answers are compared, and the hops apart (see `redirects.ts`).
  const followed = await fam.followRedirects(job, maxBytes);
  const legacyFinal = followed ? followed.legacy.final : legacy;
  const candidateUrl = followed ? followed.candidate.url : url;
  const adapter = fam.adapters.size > 0 ? fam.adapters.find(method, candidateUrl) : undefined;
  const candidateFinal = followed ? followed.candidate.final : job.candidate;
  const candidate = adapter ? applyAdapter(adapter, candidateFinal) : candidateFinal;
  const rules = fam.rulesFor(job.route);
  if (SAFE_METHODS.has(method) && fam.learnsNoiseNow(route, rules)) {
    await fam.learn(
      route,
      fetchAgain(fam.legacy, job, fam.plan.preserveHost.legacy, fam.plan.guard.timeout, maxBytes).then(
        (again) => {
          if (again !== 'too-large' && fam.noise.observe(route, legacy, again, rules).length > 0)
            fam.noiseChanged = true;
        },
        () => {},
      ),
    );
  }
  const lessons = fam.lessonsFor(route);
  if (lessons) await lessons;
  // A request that cannot be resampled on legacy (unsafe, or a route with no noise lesson yet)
  // is judged with value classes: two fresh ids or "now" timestamps are noise, not mismatches.
  // Later, only "now" timestamps: lessons learn ids reliably, but not a second-resolution clock.
  const classNoise = !SAFE_METHODS.has(method) || fam.noise.lessonsFor(route) === 0 ? true : 'time';
  const result = compareResponses(legacyFinal, candidate, rules, fam.noise.filterFor(route), {
    classNoise,
    now: Date.now(),
  });
  if (result.noise.length > 0 && fam.noise.noteClassNoise(route, result.noise)) fam.noiseChanged = true;
  const hops = followed && chainDifference(followed.legacy.chain, followed.candidate.chain);
  if (hops && fam.redirectBlocks(job.route)) {
    result.differences.push(hops);
    result.equal = false;
  } else if (hops) result.informational.push(hops);
  report().comparisons.push({
    route,
    equal: result.equal,
    differences: result.equal ? [] : result.differences,
    noisy: result.noise.length > 0,
    requestId: job.requestId,
    informational: result.informational,
    legacyMs: job.legacyMs,
    newMs: job.newMs,
    ...(job.replayed ? { replayed: true as const } : {}),
  });
  if (result.informational.length > 0)
    report().informational.push(recordOf(job, path, route, result.informational, legacyFinal, candidate));
  // A slow route's comparisons are kept as records even when the answers agree; the latency
  // difference is not in the comparison above, so it never counts as a mismatch.
  const slow = fam.slowRoutes.size === 0 ? undefined : fam.slowRoutes.get(route);
  if (result.equal && slow === undefined) return;
  const found = result.equal ? [] : result.differences;
  const differences = slow ? [latencyDifference(job, slow), ...found] : found;
  report().mismatches.push(recordOf(job, path, route, differences, legacyFinal, candidate));
}

/** The `latency` difference of a comparison on a route flagged slower: this request's times and the route's figures. */
function latencyDifference(job: CompareJob, slow: SlowRoute): Difference {
  return {
    path: LATENCY_PATH,
    kind: 'latency',
    legacy: { ms: job.legacyMs, p50: slow.legacy.p50, p95: slow.legacy.p95 },
    candidate: { ms: job.newMs, p50: slow.new.p50, p95: slow.new.p95, shiftMs: slow.shiftMs, pValue: slow.pValue },
  };
}

/** Keeps a sampled request without its credentials, noting when some were dropped (a replay needs them supplied). */
function recordSample(report: FamilyReport, job: CompareJob, path: string): void {
  let credentials = false;
  for (const k in job.headers)
    if (isSecretHeader(k.toLowerCase())) {
      credentials = true;
      break;
    }
  const body = job.body;
  report.samples.push({
    at: Date.now(),
    method: job.method,
    path,
    query: queryOf(job.url),
    headers: dropSecretHeaders(job.headers),
    ...(body && body.length > 0 && body.length <= SAMPLE_BODY_BYTES ? { body: body.toString('utf8') } : {}),
    status: job.legacy.status,
    route: job.route,
    ...(credentials ? { credentials: true as const } : {}),
  });
}

/** A comparison's record for the rings, secrets masked. */
function recordOf(
  job: CompareJob,
  path: string,
  route: string,
  differences: Difference[],
  legacy: HttpSnapshot,
  candidate: HttpSnapshot,
): MismatchRecord {
  const q = job.url.indexOf('?');
  return {
    at: Date.now(),
    method: job.method,
    path,
    query: q < 0 ? '' : redactQuery(job.url.slice(q + 1)),
    route,
    requestId: job.requestId,
    legacyMs: job.legacyMs,
    newMs: job.newMs,
    differences: differences
      .slice(0, DIFFERENCES_KEPT)
      .map((d) =>
        d.path.startsWith('header:') && isSecretHeader(d.path.slice(7))
          ? { path: d.path, kind: d.kind, legacy: '[redacted]', candidate: '[redacted]' }
          : d,
      ),
    legacy: { status: legacy.status, headers: redactHeaders(legacy.headers) },
    candidate: { status: candidate.status, headers: redactHeaders(candidate.headers) },
    ...(job.replayed ? { replayed: true as const } : {}),
  };
}
