/**
 * The admin API, on its own port: read and set a family's route, clear a guard trip, read
 * statistics, learned noise, recent mismatches and sampled requests, replay recorded safe requests
 * through the shadow comparison. Every call but `/healthz`
 * and `/metrics` needs the bearer token; bodies are validated and bounded.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { z } from 'zod';
import type { Logger } from '../lib/logger.js';
import { readBody } from '../lib/read-body.js';
import { AdminError } from './admin-error.js';
import type { FamilyRuntime, Ring } from './family.js';
import { replayBodySchema, type ReplayBody, type ReplayResult } from './replay.js';
import type { RouteChange, RouteState } from './types.js';

export { AdminError } from './admin-error.js';

/** Largest admin request body, bytes. */
export const MAX_ADMIN_BODY = 64 * 1024;

const routeChangeSchema = z.strictObject({
  mode: z.enum(['legacy', 'shadow', 'canary', 'new'], 'expected one of "legacy", "shadow", "canary", "new"'),
  percent: z
    .number('expected a number between 0 and 100')
    .min(0, 'expected a number between 0 and 100')
    .max(100, 'expected a number between 0 and 100'),
  version: z
    .number('expected a whole number ≥ 0')
    .int('expected a whole number ≥ 0')
    .min(0, 'expected a whole number ≥ 0'),
  sampleRate: z
    .number('expected a number between 0 and 1')
    .min(0, 'expected a number between 0 and 1')
    .max(1, 'expected a number between 0 and 1')
    .optional(),
  updatedBy: z.string('expected a string').max(200, 'expected at most 200 characters').optional(),
});

const triageSchema = z.strictObject({
  decisions: z
    .array(
      z.strictObject({
        id: z.string('expected a signature id').regex(/^[0-9a-f]{12}$/, 'expected a 12-hex-digit signature id'),
        decision: z.enum(['accept', 'noise', 'block'], 'expected one of "accept", "noise", "block"'),
        reason: z.string().max(2000, 'expected at most 2000 characters').optional(),
        by: z.string('expected who decided').max(200, 'expected at most 200 characters'),
        at: z.string('expected when, ISO 8601').max(64, 'expected at most 64 characters'),
        text: z.string().max(2000, 'expected at most 2000 characters').optional(),
      }),
      'expected a list of decisions',
    )
    .max(10_000, 'expected at most 10000 decisions'),
});

export interface AdminDeps {
  families: ReadonlyMap<string, FamilyRuntime>;
  /** Bearer token; undefined only when the admin API runs insecure on loopback. */
  token: string | undefined;
  log: Logger;
  setRoute(family: FamilyRuntime, change: RouteChange): RouteState;
  clearGuard(family: FamilyRuntime): void;
  metrics(): string;
  /** The family's shadow samples pending and done (see `ShadowPipeline.comparisons`). */
  comparisons(family: FamilyRuntime): { pending: number; done: number };
  /** Resolves once the family has no shadow sample pending. */
  comparisonsIdle(family: FamilyRuntime): Promise<void>;
  /** The family's statistics were reset or its triage changed: which routes count as slow may have too. */
  latencyChanged(family: FamilyRuntime): void;
  /** Replays recorded safe requests through the family's shadow comparison (see `replay.ts`). */
  replay(family: FamilyRuntime, body: ReplayBody): Promise<ReplayResult>;
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

/**
 * Reads an admin request's JSON body (at most {@link MAX_ADMIN_BODY}) and validates it;
 * `expected` shows the body's shape in the error for a body that is not JSON.
 * @throws AdminError 413 `PHX_ERR_ADMIN_BODY_TOO_LARGE`, 400 `PHX_ERR_ADMIN_BAD_REQUEST`
 */
async function readJsonBody<T>(req: IncomingMessage, schema: z.ZodType<T>, expected: string): Promise<T> {
  const text = await readBody(req, MAX_ADMIN_BODY, (declared) =>
    declared === undefined
      ? new AdminError(413, 'PHX_ERR_ADMIN_BODY_TOO_LARGE', `body over ${MAX_ADMIN_BODY} bytes`)
      : new AdminError(
          413,
          'PHX_ERR_ADMIN_BODY_TOO_LARGE',
          `body of ${declared} bytes; at most ${MAX_ADMIN_BODY} accepted`,
        ),
  );
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new AdminError(400, 'PHX_ERR_ADMIN_BAD_REQUEST', `the body is not JSON; expected ${expected}`);
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success) {
    const msg = parsed.error.issues.map((i) => `${i.path.join('.') || 'body'}: ${i.message}`).join('; ');
    throw new AdminError(400, 'PHX_ERR_ADMIN_BAD_REQUEST', msg);
  }
  return parsed.data;
}

function limitOf(url: URL, max: number): number {
  const raw = url.searchParams.get('limit');
  if (raw === null) return max;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1)
    throw new AdminError(400, 'PHX_ERR_ADMIN_BAD_REQUEST', `limit: expected a whole number ≥ 1, got "${raw}"`);
  return Math.min(n, max);
}

function wholeParam(url: URL, name: string, min: number): number | undefined {
  const raw = url.searchParams.get(name);
  if (raw === null) return undefined;
  const n = Number(raw);
  if (raw === '' || !Number.isInteger(n) || n < min)
    throw new AdminError(400, 'PHX_ERR_ADMIN_BAD_REQUEST', `${name}: expected a whole number ≥ ${min}, got "${raw}"`);
  return n;
}

/**
 * One page of a record ring. Without `after`: the newest `limit`, newest first. With `after`
 * (a `seq` from an earlier page, 0 for the start): up to `limit` records after it, oldest first.
 * `next` is the cursor for the following page; `first` is the oldest `seq` still held, so a gap
 * (`after + 1 < first`) tells the caller records were overwritten before it read them.
 */
function page<T>(ring: Ring<T>, url: URL): { items: T[]; next: number; first: number; capacity: number } {
  const limit = Math.min(limitOf(url, ring.capacity), ring.capacity);
  let after = wholeParam(url, 'after', 0);
  // A cursor past the newest record comes from before a router restart: start over.
  if (after !== undefined && after > ring.newest) after = 0;
  const meta = { first: ring.oldest, capacity: ring.capacity };
  if (after === undefined) return { items: ring.latest(limit), next: ring.newest, ...meta };
  const items = ring.after(after, limit);
  return { items, next: items.length > 0 ? items[items.length - 1]!.seq : Math.max(after, ring.oldest - 1), ...meta };
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
    if (url.pathname === '/v1/families' && method === 'GET') {
      return send(res, 200, {
        families: [...deps.families.values()].map((f) => ({ route: f.route, guard: f.guard.state })),
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
        return send(res, 200, f.route);
      case 'PUT route': {
        const change = await readJsonBody(
          req,
          routeChangeSchema,
          '{"mode", "percent", "version", "sampleRate"?, "updatedBy"?}',
        );
        return send(res, 200, deps.setRoute(f, change));
      }
      case 'GET guard':
        return send(res, 200, f.guard.state);
      case 'DELETE guard':
        deps.clearGuard(f);
        return send(res, 200, f.guard.state);
      case 'GET stats':
        return send(res, 200, {
          route: f.route,
          guard: f.guard.state,
          stats: f.stats.snapshot(now),
          comparisons: deps.comparisons(f),
          informational: f.counters.informational,
        });
      case 'DELETE stats':
        f.stats.reset(now);
        deps.latencyChanged(f);
        return send(res, 200, { route: f.route, guard: f.guard.state, stats: f.stats.snapshot(now) });
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
