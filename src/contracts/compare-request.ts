/**
 * One-off comparisons of requests on a family's legacy and new upstreams, outside the router and
 * a workflow, under exactly the family's rules: each side gets its identity headers as the router
 * sends them, safe requests follow same-origin redirects as the shadow comparison does, the
 * route's diff rules (`diff` + `routeDiff`) and the family's adapters apply, and safe requests
 * are sent to legacy a second time after `diff.resampleGapMs` so fields that differ between two
 * legacy answers are learned as noise first. Also compares two saved answers with the same rules.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { Agent } from 'undici';
import {
  applyAdapter,
  compareResponses,
  compileAdapters,
  compileRules,
  Confirmations,
  NoiseLearner,
  ownHostsOf,
  RouteKeys,
  type CompiledRules,
  type Difference,
  type HttpSnapshot,
  type OwnHosts,
} from '../parity/index.js';
import { judgeChains } from '../parity/redirect-chain.js';
import { PhoenixError } from '../lib/errors.js';
import { createMatcher, type Matcher } from '../plan/route-match.js';
import { SAFE_METHODS } from '../plan/route-pattern.js';
import type { FamilyPlan } from '../plan/schema.js';
import { buildIdentity, type FamilyIdentity, type SideIdentity } from '../router/identity.js';
import { confirmDifferences } from './confirm.js';
import { fetchCase, type Sample } from './exchange.js';

/** One request to compare. */
export interface ComparedRequestInput {
  method: string;
  /** Path with query string. */
  target: string;
  headers?: Record<string, string>;
  body?: string;
}

/** One side's answer as reported: status, time to the final answer and redirects followed. */
export interface SideAnswer {
  status: number;
  /** Time to the whole final answer, ms (hops included); null for a saved answer. */
  ms: number | null;
  /** `"<status> <path?query>"` per redirect followed. */
  chain: string[];
}

/** The verdict on one request. */
export interface RequestVerdict {
  method: string;
  target: string;
  /** The route template the family's rules were chosen by (`GET /api/users/:id`). */
  route: string;
  equal: boolean;
  /** The family's adapter rewrote the new answer before the comparison. */
  adapted: boolean;
  legacy: SideAnswer;
  new: SideAnswer;
  /** Real differences (blocking ones), in document order. */
  differences: Difference[];
  /** `format` / `redirect` differences that the plan does not make blocking. */
  informational: Difference[];
  /** Differences dropped as noise (learned by resampling legacy, or two generated values of one class). */
  noise: Difference[];
}

/** An upstream that did not answer. */
export class UpstreamUnreachable extends PhoenixError {
  constructor(side: 'legacy' | 'new', base: string, r: ComparedRequestInput, cause: unknown) {
    const e = cause as { code?: string; message?: string };
    super(
      'PHX_ERR_UPSTREAM_UNREACHABLE',
      `${side} (${base}) did not answer ${r.method} ${r.target}: ${e.code ? `${e.code} ` : ''}${e.message ?? String(cause)}`,
      { side, url: base, method: r.method, target: r.target },
    );
  }
}

export interface ComparatorOptions {
  /** Per request. @default 10000 (ms) */
  timeoutMs?: number;
  /** Resample legacy to learn noise (the family's `diff.learnNoise` must be on too). @default true */
  learnNoise?: boolean;
}

interface Fetched {
  input: ComparedRequestInput;
  route: string;
  rules: CompiledRules;
  legacy: Sample;
  candidate: Sample;
  legacyAgain?: Sample;
}

/** Connections to each upstream, and confirmations asked at once. */
const CONNECTIONS = 4;

/** Compares requests on one family's two upstreams, or two saved answers (no identity needed then). */
export class RequestComparator {
  private readonly family: FamilyPlan;
  private identity: FamilyIdentity | undefined;
  private readonly matcher: Matcher;
  private readonly keys = new RouteKeys();
  private readonly base: CompiledRules;
  private readonly byRoute: Map<string, CompiledRules>;
  private readonly adapters;
  private readonly noise = new NoiseLearner();
  private readonly confirmations = new Confirmations();
  private readonly timeoutMs: number;
  private readonly learn: boolean;
  private dispatcher: Agent | undefined;
  /** Each side is asked at its own URL: a link it builds names that URL's host. */
  private readonly hosts: OwnHosts;

  constructor(family: FamilyPlan, options: ComparatorOptions = {}) {
    this.family = family;
    this.hosts = ownHostsOf(family);
    this.matcher = createMatcher([family]);
    this.base = compileRules(family.diff);
    this.byRoute = new Map(Object.entries(family.routeDiff).map(([r, ov]) => [r, compileRules(family.diff, ov)]));
    this.adapters = compileAdapters(family.adapters);
    this.timeoutMs = options.timeoutMs ?? 10_000;
    this.learn = options.learnNoise ?? true;
  }

  /** Whether one of the family's routes owns the request. */
  owns(method: string, target: string): boolean {
    return this.matcher.match(method, pathOf(target)) !== undefined;
  }

  /** The route template and rules a request is judged by. */
  private routeOf(method: string, target: string): { route: string; rules: CompiledRules } {
    const path = pathOf(target);
    const m = this.matcher.match(method, path);
    if (m === undefined) return { route: `${method} ${path}`, rules: this.base };
    return { route: this.keys.keyFor(m.route, method, path), rules: this.byRoute.get(m.route) ?? this.base };
  }

  /**
   * Sends each request once to each side (in order, both sides at once), then resamples legacy
   * for the safe ones after one gap, then judges them all with what was learned.
   * @throws UpstreamUnreachable when a side does not answer; PhoenixError
   *   `PHX_ERR_IDENTITY_ENV_MISSING` before any request when an identity header's variable is not set.
   */
  async compare(requests: readonly ComparedRequestInput[]): Promise<RequestVerdict[]> {
    this.identity ??= buildIdentity(this.family);
    this.dispatcher ??= new Agent({ connections: CONNECTIONS, keepAliveTimeout: 5000 });
    const fetched: Fetched[] = [];
    for (const input of requests) {
      const { route, rules } = this.routeOf(input.method, input.target);
      const [legacy, candidate] = await Promise.all([this.send('legacy', input), this.send('new', input)]);
      fetched.push({ input, route, rules, legacy, candidate });
    }
    const resample = fetched.filter((f) => this.learn && f.rules.rules.learnNoise && SAFE_METHODS.has(f.input.method));
    if (resample.length > 0) {
      await sleep(Math.max(...resample.map((f) => f.rules.rules.resampleGapMs)));
      for (const f of resample) {
        f.legacyAgain = await this.send('legacy', f.input);
        this.noise.observe(f.route, f.legacy.snapshot, f.legacyAgain.snapshot, f.rules);
      }
    }
    const verdicts = fetched.map((f) => this.judge(f.input, f.route, f.rules, f.legacy, f.candidate));
    // As on the shadow path: a kind of difference new to its route is confirmed with legacy first.
    const doubtful = fetched.filter(
      (f, i) => f.legacyAgain !== undefined && this.confirmations.wanted(f.route, verdicts[i]!.differences),
    );
    if (doubtful.length === 0) return verdicts;
    await confirmDifferences(
      doubtful.map((f) => ({
        route: f.route,
        legacy: f.legacy.snapshot,
        rules: f.rules,
        ask: () =>
          this.send('legacy', f.input).then(
            (s) => s.snapshot,
            () => undefined,
          ),
      })),
      this.noise,
      CONNECTIONS,
    );
    // What the confirmations taught applies to every request of their routes.
    const relearned = new Set(doubtful.map((f) => f.route));
    return fetched.map((f, i) =>
      relearned.has(f.route) ? this.judge(f.input, f.route, f.rules, f.legacy, f.candidate) : verdicts[i]!,
    );
  }

  /** Compares two saved answers to `method target` under the route's rules (no network). */
  compareSaved(method: string, target: string, legacy: HttpSnapshot, candidate: HttpSnapshot): RequestVerdict {
    const { route, rules } = this.routeOf(method, target);
    const saved = (snapshot: HttpSnapshot): Sample => ({ snapshot, ms: Number.NaN, chain: [] });
    return this.judge({ method, target }, route, rules, saved(legacy), saved(candidate));
  }

  /** Closes the connections. */
  async close(): Promise<void> {
    await this.dispatcher?.close();
    this.dispatcher = undefined;
  }

  private judge(
    input: ComparedRequestInput,
    route: string,
    rules: CompiledRules,
    legacy: Sample,
    fresh: Sample,
  ): RequestVerdict {
    let candidate = fresh.snapshot;
    const adapter = this.adapters.find(input.method, input.target);
    if (adapter) candidate = applyAdapter(adapter, candidate);
    // As on the shadow path: requests legacy cannot be asked again about (unsafe, or a route with
    // no lesson yet) judge generated values by class; after a lesson only "now" timestamps.
    const classNoise = !SAFE_METHODS.has(input.method) || this.noise.lessonsFor(route) === 0 ? true : 'time';
    const cmp = compareResponses(legacy.snapshot, candidate, rules, this.noise.filterFor(route), {
      classNoise,
      request: { method: input.method, text: () => `${input.target} ${input.body ?? ''}` },
      now: Date.now(),
      ownHosts: this.hosts,
    });
    const hops = judgeChains(legacy.chain, fresh.chain, input.target, rules.rules.blocking.includes('redirect'));
    if (hops?.counts === true) cmp.differences.unshift(hops.difference);
    else if (hops) cmp.informational.push(hops.difference);
    return {
      method: input.method,
      target: input.target,
      route,
      equal: cmp.differences.length === 0,
      adapted: adapter !== undefined,
      legacy: side(legacy),
      new: side({ ...fresh, snapshot: candidate }),
      differences: cmp.differences,
      informational: cmp.informational,
      noise: cmp.noise,
    };
  }

  private async send(which: 'legacy' | 'new', r: ComparedRequestInput): Promise<Sample> {
    const base = which === 'legacy' ? this.family.legacy : this.family.new;
    const identity: SideIdentity | undefined = this.identity![which];
    const client = r.headers ?? {};
    const headers = identity === undefined ? client : await identity.headers(client);
    try {
      return await fetchCase(
        this.dispatcher!,
        base,
        {
          method: r.method,
          target: r.target,
          headers: flat(headers),
          body: r.body,
          follow: SAFE_METHODS.has(r.method),
        },
        this.timeoutMs,
        undefined,
      );
    } catch (err) {
      throw new UpstreamUnreachable(which, base, r, err);
    }
  }
}

function side(s: Sample): SideAnswer {
  return { status: s.snapshot.status, ms: Number.isNaN(s.ms) ? null : Math.round(s.ms * 10) / 10, chain: s.chain };
}

function flat(h: Record<string, string | string[]>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(h)) out[k] = Array.isArray(v) ? v.join(', ') : v;
  return out;
}

function pathOf(target: string): string {
  const q = target.indexOf('?');
  return q < 0 ? target : target.slice(0, q);
}
