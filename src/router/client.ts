/**
 * A typed client for the router's admin API, used by the activities, the CLI and the demo.
 * HTTP errors become `PhoenixError`s with the router's stable codes.
 */
import { Agent, request } from 'undici';
import { PhoenixError } from '../lib/errors.js';
import type { FamilyStatsSnapshot } from '../parity/snapshot.js';
import type { NoisePath } from '../parity/index.js';
import type { PlanDigest } from '../plan/shared-digest.js';
import type { SignatureCount } from '../parity/signature-stats.js';
import type { TriageEntry } from '../parity/signature.js';
import type { MismatchRecord, SampleRecord } from './family.js';
import type { ReplayRequest, ReplayResult } from './replay.js';
import type { GuardState, RouteChange, RouteState } from './types.js';

export type { GuardState, RouteChange, RouteMode, RouteState } from './types.js';
export type { MismatchRecord, SampleRecord } from './family.js';
export type { ReplayRequest, ReplayResult } from './replay.js';

export interface RouterAdminClientOptions {
  /** Admin API base URL, e.g. `http://127.0.0.1:9090`. */
  baseUrl: string;
  /** Bearer token. @default none */
  token?: string;
  /** Per-request timeout. @default 3000 (ms) */
  timeoutMs?: number;
}

/** A family's figures as the admin API reports them. */
export interface FamilyStatsResponse {
  route: RouteState;
  guard: GuardState;
  stats: FamilyStatsSnapshot;
  /** Shadow samples pending and done, as {@link RouterAdminClient.getComparisons} gives them. */
  comparisons: ComparisonsState;
  /** Comparisons since the router started with an informational difference (`redirect`, `format`), by kind. */
  informational: Record<string, number>;
}

/** A family's difference signatures since the last reset, most frequent first, and the decisions in force. */
export interface SignaturesResponse {
  family: string;
  /** Start of the window, epoch ms. */
  since: number;
  decisions: TriageEntry[];
  signatures: SignatureCount[];
}

/** A family's shadow samples: `pending` still hold a slot, `done` are finished and counted in the statistics. */
export interface ComparisonsState {
  family: string;
  pending: number;
  done: number;
}

/** One page of a record ring (see `docs/router.md`, "Records"). */
export interface RecordPage<T> {
  /** Oldest first, each with its sequence number. */
  items: (T & { seq: number })[];
  /** Cursor for the next page (`after`). */
  next: number;
  /** Oldest sequence number still held; a page asked `after` below `first - 1` missed overwritten records. */
  first: number;
  /** How many records the ring holds (`router.records`). */
  capacity: number;
}

/** The admin API's record lists, each paged alike (see `docs/router.md`, "Records"). */
export type RecordKind = 'mismatches' | 'informational' | 'samples';

/** A record of one of the lists, by kind. */
export type RecordOf<K extends RecordKind> = K extends 'samples' ? SampleRecord : MismatchRecord;

export interface RouterAdminClient {
  listFamilies(): Promise<{ route: RouteState; guard: GuardState }[]>;
  getRoute(family: string): Promise<RouteState>;
  /** Idempotent for the same version and content; an older version fails with `PHX_ERR_ROUTE_STALE_VERSION`. */
  setRoute(family: string, change: RouteChange): Promise<RouteState>;
  getGuard(family: string): Promise<GuardState>;
  clearGuard(family: string): Promise<GuardState>;
  getStats(family: string): Promise<FamilyStatsResponse>;
  resetStats(family: string): Promise<FamilyStatsResponse>;
  getNoise(family: string): Promise<{ family: string; routes: Record<string, NoisePath[]> }>;
  getMismatches(family: string, limit?: number): Promise<MismatchRecord[]>;
  getSamples(family: string, limit?: number): Promise<SampleRecord[]>;
  /** Recent comparisons with informational differences (`redirect`, `format`), newest first. */
  getInformational(family: string, limit?: number): Promise<MismatchRecord[]>;
  /** Mismatch records after the cursor `after` (0 for the oldest held), oldest first. */
  pageMismatches(family: string, after: number, limit?: number): Promise<RecordPage<MismatchRecord>>;
  /** Sampled requests after the cursor `after` (0 for the oldest held), oldest first. */
  pageSamples(family: string, after: number, limit?: number): Promise<RecordPage<SampleRecord>>;
  /**
   * One page of a record list with its cursor: without `after`, the newest `limit` (newest
   * first); with `after`, up to `limit` records after it (oldest first).
   */
  pageRecords<K extends RecordKind>(
    family: string,
    kind: K,
    o?: { after?: number; limit?: number },
  ): Promise<RecordPage<RecordOf<K>>>;
  getComparisons(family: string): Promise<ComparisonsState>;
  /** The family's difference signatures with counts, first/last seen and example request ids. */
  getSignatures(family: string): Promise<SignaturesResponse>;
  /** Replaces the family's triage decisions; idempotent (the same set twice changes nothing). */
  setTriage(family: string, decisions: TriageEntry[]): Promise<{ family: string; decisions: TriageEntry[] }>;
  /**
   * Resolves once the family's shadow comparisons have drained (nothing pending) and their
   * results are in the statistics; fails with `PHX_ERR_COMPARISONS_PENDING` after `timeoutMs`.
   * @param timeoutMs @default 20000 (ms)
   */
  waitForComparisons(family: string, timeoutMs?: number): Promise<ComparisonsState>;
  /**
   * Replays recorded safe requests (GET, HEAD, OPTIONS of the family) through its shadow
   * comparison, `perSecond` at most, and resolves once they are compared (or after a bound).
   * The call lasts about `requests.length / perSecond` seconds; its timeout allows for that.
   */
  replay(family: string, requests: ReplayRequest[], perSecond?: number): Promise<ReplayResult>;
  /**
   * The digest of the shared part of the member's plan (see `src/plan/shared-digest.ts`);
   * undefined when the member serves none (a Phoenix from before it).
   */
  getPlanDigest(): Promise<PlanDigest | undefined>;
  health(): Promise<boolean>;
  close(): Promise<void>;
}

const CODES: Record<number, string> = {
  400: 'PHX_ERR_ADMIN_BAD_REQUEST',
  401: 'PHX_ERR_ROUTER_UNAUTHORIZED',
  404: 'PHX_ERR_ADMIN_NOT_FOUND',
  409: 'PHX_ERR_ROUTE_STALE_VERSION',
  413: 'PHX_ERR_ADMIN_BODY_TOO_LARGE',
};

export function createRouterAdminClient(o: RouterAdminClientOptions): RouterAdminClient {
  const base = o.baseUrl.replace(/\/+$/, '');
  const timeout = o.timeoutMs ?? 3000;
  const dispatcher = new Agent({ keepAliveTimeout: 10_000, connections: 8 });

  async function call<T>(
    method: 'GET' | 'PUT' | 'POST' | 'DELETE',
    path: string,
    body?: unknown,
    timeoutMs = timeout,
  ): Promise<T> {
    let res;
    try {
      res = await request(`${base}${path}`, {
        method,
        dispatcher,
        headersTimeout: timeoutMs,
        bodyTimeout: timeoutMs,
        headers: {
          ...(o.token ? { authorization: `Bearer ${o.token}` } : {}),
          ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
        },
        body: body !== undefined ? JSON.stringify(body) : undefined,
      });
    } catch (err) {
      const code = (err as { code?: string }).code ?? (err as Error).message;
      throw new PhoenixError(
        'PHX_ERR_ROUTER_UNREACHABLE',
        `router admin API at ${base} did not answer ${method} ${path} (${code}); is the router running?`,
        {},
        { cause: err },
      );
    }
    const text = await res.body.text();
    let json: unknown;
    try {
      json = text ? JSON.parse(text) : undefined;
    } catch {
      json = undefined;
    }
    if (res.statusCode >= 200 && res.statusCode < 300) return json as T;
    const e = (json as { error?: { code?: string; message?: string } } | undefined)?.error;
    const code = e?.code ?? CODES[res.statusCode] ?? 'PHX_ERR_ROUTER_ADMIN';
    // Without a coded body the answer is not from a Phoenix admin API: most often a wrong URL or port.
    const detail = e?.message ?? `HTTP ${res.statusCode}; is ${base} a Phoenix admin API (router or nginx data plane)?`;
    throw new PhoenixError(code, `${method} ${path}: ${detail}`, { status: res.statusCode });
  }

  const fam = (f: string): string => `/v1/families/${encodeURIComponent(f)}`;
  const limit = (n?: number): string => (n === undefined ? '' : `?limit=${n}`);
  return {
    listFamilies: async () =>
      (await call<{ families: { route: RouteState; guard: GuardState }[] }>('GET', '/v1/families')).families,
    getRoute: (f) => call('GET', `${fam(f)}/route`),
    setRoute: (f, change) => call('PUT', `${fam(f)}/route`, change),
    getGuard: (f) => call('GET', `${fam(f)}/guard`),
    clearGuard: (f) => call('DELETE', `${fam(f)}/guard`),
    getStats: (f) => call('GET', `${fam(f)}/stats`),
    resetStats: (f) => call('DELETE', `${fam(f)}/stats`),
    getNoise: (f) => call('GET', `${fam(f)}/noise`),
    getMismatches: async (f, n) =>
      (await call<{ mismatches: MismatchRecord[] }>('GET', `${fam(f)}/mismatches${limit(n)}`)).mismatches,
    getSamples: async (f, n) =>
      (await call<{ samples: SampleRecord[] }>('GET', `${fam(f)}/samples${limit(n)}`)).samples,
    getInformational: async (f, n) =>
      (await call<{ informational: MismatchRecord[] }>('GET', `${fam(f)}/informational${limit(n)}`)).informational,
    pageMismatches: async (f, after, n) => {
      const { mismatches, ...rest } = await call<
        { mismatches: RecordPage<MismatchRecord>['items'] } & Omit<RecordPage<MismatchRecord>, 'items'>
      >('GET', `${fam(f)}/mismatches?after=${after}${n === undefined ? '' : `&limit=${n}`}`);
      return { items: mismatches, next: rest.next, first: rest.first, capacity: rest.capacity };
    },
    pageSamples: async (f, after, n) => {
      const { samples, ...rest } = await call<
        { samples: RecordPage<SampleRecord>['items'] } & Omit<RecordPage<SampleRecord>, 'items'>
      >('GET', `${fam(f)}/samples?after=${after}${n === undefined ? '' : `&limit=${n}`}`);
      return { items: samples, next: rest.next, first: rest.first, capacity: rest.capacity };
    },
    pageRecords: async <K extends RecordKind>(f: string, kind: K, p: { after?: number; limit?: number } = {}) => {
      const q = new URLSearchParams();
      if (p.after !== undefined) q.set('after', String(p.after));
      if (p.limit !== undefined) q.set('limit', String(p.limit));
      const query = q.toString();
      const body = await call<Record<string, unknown> & Omit<RecordPage<RecordOf<K>>, 'items'>>(
        'GET',
        `${fam(f)}/${kind}${query ? `?${query}` : ''}`,
      );
      const items = body[kind] as RecordPage<RecordOf<K>>['items'];
      return { items, next: body.next, first: body.first, capacity: body.capacity };
    },
    getComparisons: (f) => call('GET', `${fam(f)}/comparisons`),
    getSignatures: (f) => call('GET', `${fam(f)}/signatures`),
    setTriage: (f, decisions) => call('PUT', `${fam(f)}/triage`, { decisions }),
    waitForComparisons: async (f, timeoutMs = 20_000) => {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        // The router holds each call up to `wait`; a few rounds cover a long timeout.
        const left = Math.max(0, Math.min(deadline - Date.now(), 55_000));
        const state = await call<ComparisonsState>(
          'GET',
          `${fam(f)}/comparisons?wait=${left}`,
          undefined,
          left + timeout,
        );
        if (state.pending === 0) return state;
        if (Date.now() >= deadline)
          throw new PhoenixError(
            'PHX_ERR_COMPARISONS_PENDING',
            `${state.pending} shadow comparisons of "${f}" still pending after ${timeoutMs} ms (${state.done} done)`,
            { family: f, pending: state.pending, done: state.done },
          );
      }
    },
    replay: (f, requests, perSecond = 5) =>
      // Pacing, plus the router's bound on waiting for the comparisons (10 s).
      call(
        'POST',
        `${fam(f)}/replay`,
        { requests, perSecond },
        timeout + 10_000 + (requests.length / perSecond) * 1000,
      ),
    getPlanDigest: async () => {
      try {
        return await call<PlanDigest>('GET', '/v1/plan/digest');
      } catch (err) {
        if (err instanceof PhoenixError && err.details?.status === 404) return undefined;
        throw err;
      }
    },
    health: async () => {
      try {
        await call('GET', '/healthz');
        return true;
      } catch {
        return false;
      }
    },
    close: () => dispatcher.close(),
  };
}
