/**
 * The admin API, on its own port: read and set a family's route, clear a guard trip, read
 * statistics, learned noise, recent mismatches and sampled requests, replay recorded safe requests
 * through the shadow comparison. Every call but `/healthz`
 * and `/metrics` needs the bearer token; bodies are validated and bounded.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from '../lib/logger.js';
import { readJsonBody, routeChangeSchema, triageSchema } from './admin-bodies.js';
import { AdminError } from './admin-error.js';
import { page, wholeParam } from './admin-paging.js';
import type { FamilyRuntime } from './family.js';
import { replayBodySchema, type ReplayBody, type ReplayResult } from './replay.js';
import type { FamilyStatsSnapshot } from '../parity/snapshot.js';
import type { PlanDigest } from '../plan/shared-digest.js';
import type { GuardState, RouteChange, RouteState } from './types.js';

export { AdminError } from './admin-error.js';
export { MAX_ADMIN_BODY } from './admin-bodies.js';

export interface AdminDeps {
  families: ReadonlyMap<string, FamilyRuntime>;
  /** Bearer token; undefined only when the admin API runs insecure on loopback. */
  token: string | undefined;
  log: Logger;
  setRoute(family: FamilyRuntime, change: RouteChange): RouteState | Promise<RouteState>;
  clearGuard(family: FamilyRuntime): void | Promise<unknown>;
  metrics(): string;
  /** The family's shadow samples pending and done (see `ShadowPipeline.comparisons`). */
  comparisons(family: FamilyRuntime): { pending: number; done: number };
  /** Resolves once the family has no shadow sample pending. */
  comparisonsIdle(family: FamilyRuntime): Promise<void>;
  /** The family's statistics were reset or its triage changed: which routes count as slow may have too. */
  latencyChanged(family: FamilyRuntime): void;
  /** Replays recorded safe requests through the family's shadow comparison (see `replay.ts`). */
  replay(family: FamilyRuntime, body: ReplayBody): Promise<ReplayResult>;
  /**
   * Where the family's route, guard and statistics are read when another process routes its
   * traffic (the nginx data plane); by default the runtime's own.
   */
  carrier?: AdminCarrier;
  /**
   * The digest of the shared part of this process's plan (`GET /v1/plan/digest`), which the
   * worker compares across a fleet's members. @default none (the endpoint answers 404)
   */
  planDigest?: PlanDigest;
}

/** A family's route, guard and statistics, as `GET /v1/families/:family/stats` starts. */
export interface FamilyFigures {
  route: RouteState;
  guard: GuardState;
  stats: FamilyStatsSnapshot;
}

/** The route, guard and statistics of a family whose traffic another process carries. */
export interface AdminCarrier {
  route(family: FamilyRuntime): Promise<RouteState>;
  guard(family: FamilyRuntime): Promise<GuardState>;
  /** Route, guard, and the carrier's client figures with the runtime's own comparisons (`f.stats`) merged in. */
  figures(family: FamilyRuntime, now: number): Promise<FamilyFigures>;
  /** Starts the carrier's window again (the runtime's own is reset by the handler). */
  resetStats(family: FamilyRuntime): Promise<void>;
}

/** Longest `?wait=` on `GET /v1/families/:family/comparisons`, ms. */
export const MAX_COMPARISONS_WAIT_MS = 60_000;

function digest(s: string): Buffer {
  return createHash('sha256').update(s).digest();
}

function send(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(text),
    'cache-control': 'no-store',
  });
  res.end(text);
}

async function comparisonsAfterWait(deps: AdminDeps, f: FamilyRuntime, url: URL): Promise<unknown> {
  const wait = wholeParam(url, 'wait', 0);
  if (wait !== undefined && wait > 0) {
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      deps.comparisonsIdle(f),
      new Promise((resolve) => (timer = setTimeout(resolve, Math.min(wait, MAX_COMPARISONS_WAIT_MS)))),
    ]);
    clearTimeout(timer);
  }
  return { family: f.name, ...deps.comparisons(f) };
}

/** Builds the admin request handler. */
export function createAdminHandler(deps: AdminDeps): (req: IncomingMessage, res: ServerResponse) => void {
  const expected = deps.token === undefined ? undefined : digest(`Bearer ${deps.token}`);

  function authorized(req: IncomingMessage): boolean {
    if (expected === undefined) return true;
    const given = req.headers.authorization;
    return typeof given === 'string' && timingSafeEqual(digest(given), expected);
  }

  const c = deps.carrier;
  const routeOf = (f: FamilyRuntime): RouteState | Promise<RouteState> => c?.route(f) ?? f.route;
  const guardOf = (f: FamilyRuntime): GuardState | Promise<GuardState> => c?.guard(f) ?? f.guard.state;
  const figuresOf = (f: FamilyRuntime, now: number): FamilyFigures | Promise<FamilyFigures> =>
    c?.figures(f, now) ?? { route: f.route, guard: f.guard.state, stats: f.stats.snapshot(now) };

  function family(name: string): FamilyRuntime {
    const f = deps.families.get(name);
    if (!f)
      throw new AdminError(
        404,
        'PHX_ERR_ADMIN_UNKNOWN_FAMILY',
        `no family "${name}" in the router's plan (families: ${[...deps.families.keys()].join(', ')})`,
      );
    return f;
  }

  async function route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    // Prefixed rather than resolved against a base: "//x" must stay a path, not become a host.
    let url: URL;
    try {
      url = new URL(`http://admin${(req.url ?? '/').startsWith('/') ? '' : '/'}${req.url ?? ''}`);
    } catch {
      throw new AdminError(
        400,
        'PHX_ERR_ADMIN_BAD_REQUEST',
        `the request target "${String(req.url).slice(0, 100)}" is not a valid path`,
      );
    }
    const method = req.method ?? 'GET';
    if (url.pathname === '/healthz') return send(res, 200, { ok: true });
    if (url.pathname === '/metrics') {
      const text = deps.metrics();
      res.writeHead(200, {
        'content-type': 'text/plain; version=0.0.4; charset=utf-8',
        'content-length': Buffer.byteLength(text),
      });
      res.end(text);
      return;
    }
    if (!authorized(req)) {
      deps.log.warn(
        {
          method,
          path: url.pathname,
          remote: req.socket.remoteAddress,
          tokenGiven: req.headers.authorization !== undefined,
        },
        'admin request refused: missing or wrong token',
      );
      throw new AdminError(
        401,
        'PHX_ERR_ROUTER_UNAUTHORIZED',
        'missing or wrong bearer token; send "Authorization: Bearer $PHOENIX_ADMIN_TOKEN"',
      );
    }
    if (url.pathname === '/v1/plan/digest' && method === 'GET') {
      if (!deps.planDigest) throw new AdminError(404, 'PHX_ERR_ADMIN_NOT_FOUND', 'this process serves no plan digest');
      return send(res, 200, deps.planDigest);
    }
    if (url.pathname === '/v1/families' && method === 'GET') {
      return send(res, 200, {
        families: await Promise.all(
          [...deps.families.values()].map(async (f) => ({ route: await routeOf(f), guard: await guardOf(f) })),
        ),
      });
    }
    const m =
      /^\/v1\/families\/([^/]+)\/(route|guard|stats|noise|mismatches|informational|samples|comparisons|signatures|triage|replay)$/.exec(
        url.pathname,
      );
    if (!m) throw new AdminError(404, 'PHX_ERR_ADMIN_NOT_FOUND', `no admin endpoint ${method} ${url.pathname}`);
    let name: string;
    try {
      name = decodeURIComponent(m[1]!);
    } catch {
      throw new AdminError(
        400,
        'PHX_ERR_ADMIN_BAD_REQUEST',
        `the family name "${m[1]}" has a malformed percent-encoding`,
      );
    }
    const f = family(name);
    const what = m[2]!;
    const now = Date.now();
    switch (`${method} ${what}`) {
      case 'GET route':
        return send(res, 200, await routeOf(f));
      case 'PUT route': {
        const change = await readJsonBody(
          req,
          routeChangeSchema,
          '{"mode", "percent", "version", "sampleRate"?, "updatedBy"?}',
        );
        return send(res, 200, await deps.setRoute(f, change));
      }
      case 'GET guard':
        return send(res, 200, await guardOf(f));
      case 'DELETE guard':
        await deps.clearGuard(f);
        return send(res, 200, await guardOf(f));
      case 'GET stats':
        return send(res, 200, {
          ...(await figuresOf(f, now)),
          comparisons: deps.comparisons(f),
          informational: f.counters.informational,
        });
      case 'DELETE stats':
        f.stats.reset(now);
        await c?.resetStats(f);
        deps.latencyChanged(f);
        return send(res, 200, await figuresOf(f, now));
      case 'GET noise':
        return send(res, 200, { family: f.name, routes: f.noise.snapshot() });
      case 'GET mismatches': {
        const { items, ...cursor } = page(f.mismatches, url);
        return send(res, 200, { family: f.name, mismatches: items, ...cursor });
      }
      case 'GET informational': {
        const { items, ...cursor } = page(f.informational, url);
        return send(res, 200, { family: f.name, informational: items, ...cursor });
      }
      case 'GET samples': {
        const { items, ...cursor } = page(f.samples, url);
        return send(res, 200, { family: f.name, samples: items, ...cursor });
      }
      case 'GET comparisons':
        return send(res, 200, await comparisonsAfterWait(deps, f, url));
      case 'GET signatures':
        return send(res, 200, {
          family: f.name,
          since: f.stats.snapshot(now).since,
          decisions: f.triage,
          signatures: f.stats.signatureCounts(),
        });
      case 'GET triage':
        return send(res, 200, { family: f.name, decisions: f.triage });
      case 'PUT triage': {
        const body = await readJsonBody(req, triageSchema, '{"decisions": [...]}');
        // The whole set replaces the last: pushing the same set again changes nothing.
        f.triage = body.decisions;
        f.stats.setTriage(f.triage);
        deps.latencyChanged(f);
        return send(res, 200, { family: f.name, decisions: f.triage });
      }
      case 'POST replay': {
        const body = await readJsonBody(
          req,
          replayBodySchema,
          '{"requests": [{"method", "path", "query"?, "headers"?}], "perSecond"?}',
        );
        return send(res, 200, await deps.replay(f, body));
      }
      default:
        throw new AdminError(405, 'PHX_ERR_ADMIN_METHOD', `${method} is not allowed on /v1/families/:family/${what}`);
    }
  }

  return (req, res) => {
    route(req, res).catch((err: unknown) => {
      if (res.headersSent) return void res.destroy();
      if (err instanceof AdminError) {
        if (err.status === 413) res.setHeader('connection', 'close');
        return send(res, err.status, { error: { code: err.code, message: err.message } });
      }
      deps.log.error({ err }, 'admin request failed');
      send(res, 500, { error: { code: 'PHX_ERR_ADMIN_INTERNAL', message: (err as Error).message } });
    });
  };
}
