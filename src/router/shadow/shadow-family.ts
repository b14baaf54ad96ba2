/**
 * A family as the shadow thread sees it: pools for second legacy requests and redirect hops, the
 * compiled diff rules and adapters, learned noise, and the routes flagged slower.
 */
import type { Pool } from 'undici';
import {
  compileAdapters,
  compileRules,
  Confirmations,
  NoiseLearner,
  ownHostsOf,
  RouteKeys,
  type AdapterSet,
  type CompiledRules,
  type OwnHosts,
} from '../../parity/index.js';
import type { SlowRoute } from '../../parity/stats.js';
import { SAFE_METHODS } from '../../plan/route-pattern.js';
import type { FamilyPlan } from '../../plan/schema.js';
import { follow, isRedirect, type Followed } from '../redirects.js';
import { withHost } from '../upstream-host.js';
import type { CompareJob } from './report.js';

/** Every route's first sampled requests always learn noise, so early comparisons are not noise-blind. */
const NOISE_WARMUP = 10;

/** A family as the shadow thread sees it: its own legacy pool, compiled rules and adapters, learned noise. */
export class ShadowFamily {
  readonly plan: FamilyPlan;
  /** For second legacy requests (noise learning) and following legacy's redirects. */
  readonly legacy: Pool;
  /** For following the new service's redirects. */
  readonly candidate: Pool;
  readonly legacyOrigin: string;
  readonly newOrigin: string;
  /** Each upstream's own host: its `Host` without `preserveHost`. */
  readonly hosts: OwnHosts;
  readonly adapters: AdapterSet;
  readonly noise = new NoiseLearner();
  /** Kinds of difference confirmed with legacy before they count (see `confirmations.ts`). */
  readonly confirmations = new Confirmations();
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
    this.hosts = ownHostsOf(plan);
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
