/**
 * A typed client for the router's admin API, used by the activities, the CLI and the demo.
 * HTTP errors become `PhoenixError`s with the router's stable codes.
 */
import { Agent, request } from 'undici';
import { PhoenixError } from '../lib/errors.js';
import type { FamilyStatsSnapshot } from '../parity/snapshot.js';
import type { NoisePath } from '../parity/index.js';
import type { MismatchRecord, SampleRecord } from './family.js';
import type { GuardState, RouteChange, RouteState } from './types.js';

export type { GuardState, RouteChange, RouteMode, RouteState } from './types.js';
export type { MismatchRecord, SampleRecord } from './family.js';

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
}

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
  health(): Promise<boolean>;
  close(): Promise<void>;
}

const CODES: Record<number, string> = {
  400: 'PHX_ERR_ADMIN_BAD_REQUEST',
  401: 'PHX_ERR_ROUTER_UNAUTHORIZED',
  404: 'PHX_ERR_ADMIN_UNKNOWN_FAMILY',
  409: 'PHX_ERR_ROUTE_STALE_VERSION',
  413: 'PHX_ERR_ADMIN_BODY_TOO_LARGE',
};

export function createRouterAdminClient(o: RouterAdminClientOptions): RouterAdminClient {
  const base = o.baseUrl.replace(/\/+$/, '');
  const timeout = o.timeoutMs ?? 3000;
  const dispatcher = new Agent({ keepAliveTimeout: 10_000, connections: 8 });

  async function call<T>(method: 'GET' | 'PUT' | 'DELETE', path: string, body?: unknown): Promise<T> {
    let res;
    try {
      res = await request(`${base}${path}`, {
        method,
        dispatcher,
        headersTimeout: timeout,
        bodyTimeout: timeout,
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
    const code =
      e?.code && (res.statusCode !== 404 || e.code === 'PHX_ERR_ADMIN_UNKNOWN_FAMILY')
        ? e.code
        : (CODES[res.statusCode] ?? 'PHX_ERR_ROUTER_ADMIN');
    throw new PhoenixError(code, `${method} ${path}: ${e?.message ?? `HTTP ${res.statusCode}`}`, {
      status: res.statusCode,
    });
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
