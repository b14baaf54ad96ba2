/**
 * The request path. Each request is matched to a family and sent where the family's mode says;
 * bodies stream straight through (undici `stream()` into the client's response) except when a
 * request is sampled for shadow comparison or its endpoint has a response adapter. Nothing here
 * logs per request or touches the disk.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { Writable } from 'node:stream';
import type { Dispatcher, Pool } from 'undici';
import { applyAdapter, type CompiledAdapter } from '../parity/index.js';
import { SAFE_METHODS } from '../plan/route-pattern.js';
import type { Logger } from '../lib/logger.js';
import { inCanary } from './decide.js';
import type { FamilyRuntime } from './family.js';
import type { Matcher } from '../plan/route-match.js';
import { mirror, type Captured } from './shadow.js';
import type { MirrorQueue } from './mirror-queue.js';
import { unsafeTarget } from './target.js';

/** RFC 9110 §7.6.1: connection-specific fields are never forwarded. */
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'proxy-authenticate', 'proxy-authorization', 'te', 'trailer', 'transfer-encoding', 'upgrade']);

type HeaderMap = Record<string, string | string[] | undefined>;

/** What the request path needs from the router. */
export interface ProxyContext {
  matcher: Matcher;
  families: FamilyRuntime[];
  /** Where requests that match no family go. */
  defaultLegacy: Pool;
  queue: MirrorQueue;
  /** Largest body buffered for a comparison, bytes. */
  maxCompareBytes: number;
  log: Logger;
  /** Called when a family's guard trips (saves state, logs). */
  onTrip(family: FamilyRuntime): void;
  /** Router-wide counters for `/metrics`. */
  counters: RouterCounters;
}

/** Router-wide cumulative counters. */
export interface RouterCounters {
  /** Requests refused before routing because their target was unsafe (see `target.ts`). */
  refusedTargets: number;
}

/** One request on its way through. */
interface Exchange {
  req: IncomingMessage;
  res: ServerResponse;
  method: string;
  url: string;
  requestId: string;
  headers: Record<string, string | string[]>;
  /** A buffered request body (sampled unsafe requests only). */
  body: Buffer | null;
  family: FamilyRuntime | undefined;
  route: string;
}

function connectionTokens(h: HeaderMap): Set<string> | undefined {
  const c = h.connection;
  if (typeof c !== 'string' || c === 'keep-alive' || c === 'close') return undefined;
  return new Set(c.split(',').map((t) => t.trim().toLowerCase()));
}

function upstreamHeaders(req: IncomingMessage, requestId: string): Record<string, string | string[]> {
  const h = req.headers as HeaderMap;
  const drop = connectionTokens(h);
  const out: Record<string, string | string[]> = {};
  for (const k in h) {
    const v = h[k];
    if (v === undefined || HOP_BY_HOP.has(k) || k === 'host' || drop?.has(k)) continue;
    out[k] = v;
  }
  const addr = req.socket.remoteAddress ?? '';
  const xff = h['x-forwarded-for'];
  out['x-forwarded-for'] = xff ? `${Array.isArray(xff) ? xff.join(', ') : xff}, ${addr}` : addr;
  if (out['x-forwarded-proto'] === undefined) out['x-forwarded-proto'] = 'encrypted' in req.socket ? 'https' : 'http';
  if (out['x-forwarded-host'] === undefined && h.host !== undefined) out['x-forwarded-host'] = h.host;
  out['x-request-id'] = requestId;
  return out;
}

function clientHeaders(h: HeaderMap, requestId: string): Record<string, string | string[]> {
  const drop = connectionTokens(h);
  const out: Record<string, string | string[]> = {};
  for (const k in h) {
    const v = h[k];
    if (v === undefined || HOP_BY_HOP.has(k) || drop?.has(k)) continue;
    out[k] = v;
  }
  if (out['x-request-id'] === undefined) out['x-request-id'] = requestId;
  return out;
}

function hasBody(req: IncomingMessage): boolean {
  const len = req.headers['content-length'];
  return (len !== undefined && len !== '0') || req.headers['transfer-encoding'] !== undefined;
}

function badGateway(x: Exchange, which: string, err: Error | null): void {
  if (x.res.headersSent) {
    x.res.destroy(err ?? undefined);
    return;
  }
  const body = JSON.stringify({
    error: {
      code: 'PHX_ERR_UPSTREAM_UNAVAILABLE',
      message: `the ${which} upstream did not answer (${(err as { code?: string } | null)?.code ?? err?.message ?? 'error'}); request id ${x.requestId}`,
    },
  });
  x.res.writeHead(502, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), 'x-request-id': x.requestId });
  x.res.end(body);
}

/**
 * True for undici's own errors (socket closed early, body timeout, length mismatch): the upstream
 * broke the answer. A client that hung up mid-answer shows up as a stream error instead.
 */
function isUpstreamFault(cause: Error): boolean {
  const code = (cause as { code?: unknown }).code;
  return typeof code === 'string' && code.startsWith('UND_ERR_');
}

/** A sink for an answer that is thrown away (a failed new-backend attempt being retried on legacy). */
function discard(): Writable {
  return new Writable({
    write(_chunk, _enc, cb) {
      cb();
    },
  });
}

/** Writes to the client while keeping a copy of the first `max` bytes for comparison. */
function teeInto(res: ServerResponse, cap: Captured, max: number): Writable {
  return new Writable({
    write(chunk: Buffer, _enc, cb) {
      if (!cap.tooLarge) {
        cap.size += chunk.length;
        if (cap.size > max) {
          cap.tooLarge = true;
          cap.chunks.length = 0;
        } else cap.chunks.push(chunk);
      }
      if (res.write(chunk)) cb();
      else res.once('drain', cb);
    },
    final(cb) {
      res.end();
      cb();
    },
    destroy(err, cb) {
      if (err) res.destroy(err);
      cb(err);
    },
  });
}

function logFailure(ctx: ProxyContext, which: string, origin: string, err: Error): void {
  // Rate-limited so an upstream outage cannot turn into a log flood on the request path.
  const now = Date.now();
  const key = `${which} ${origin}`;
  if ((lastLogged.get(key) ?? 0) + 5000 > now) return;
  lastLogged.set(key, now);
  ctx.log.warn({ upstream: origin, which, code: (err as { code?: string }).code, err: err.message }, 'upstream request failed');
}
const lastLogged = new Map<string, number>();

/** The request as sent to the new backend, with the guard's timeout. */
function newRequest(x: Exchange, fam: FamilyRuntime): Dispatcher.RequestOptions {
  const timeout = fam.plan.guard.timeout;
  return {
    path: x.url,
    method: x.method as Dispatcher.HttpMethod,
    headers: x.headers,
    body: hasBody(x.req) ? x.req : null,
    headersTimeout: timeout,
    bodyTimeout: timeout,
  };
}

/** Builds the router's request handler. */
export function createHandler(ctx: ProxyContext): (req: IncomingMessage, res: ServerResponse) => void {
  function toLegacy(x: Exchange, capture: Captured | undefined): void {
    const fam = x.family;
    const pool = fam ? fam.legacy : ctx.defaultLegacy;
    const t0 = performance.now();
    let status = 0;
    pool.stream(
      {
        path: x.url,
        method: x.method as Dispatcher.HttpMethod,
        headers: x.headers,
        body: x.body ?? (hasBody(x.req) ? x.req : null),
      },
      ({ statusCode, headers }) => {
        status = statusCode;
        if (fam) {
          fam.stats.recordRequest('legacy', performance.now() - t0, statusCode >= 500);
          fam.count('legacy', statusCode);
        }
        x.res.writeHead(statusCode, clientHeaders(headers as HeaderMap, x.requestId));
        if (capture) {
          capture.status = statusCode;
          capture.headers = headers as HeaderMap;
          capture.legacyMs = performance.now() - t0;
          return teeInto(x.res, capture, ctx.maxCompareBytes);
        }
        return x.res;
      },
      (err) => {
        if (err) {
          if (status === 0 && fam) {
            fam.stats.recordRequest('legacy', performance.now() - t0, true);
            fam.count('legacy', 0);
          }
          logFailure(ctx, 'legacy', fam?.plan.legacy ?? 'default', err);
          badGateway(x, 'legacy', err);
          return;
        }
        if (capture && fam) enqueueMirror(x, fam, capture);
      },
    );
  }

  function toNew(x: Exchange, fam: FamilyRuntime): void {
    const safe = SAFE_METHODS.has(x.method) && !hasBody(x.req);
    const adapter = fam.adapters.size > 0 ? fam.adapters.find(x.method, x.url) : undefined;
    if (adapter) {
      toNewAdapted(x, fam, adapter, safe);
      return;
    }
    const t0 = performance.now();
    let status = 0;
    let retry = false;
    fam.candidate.stream(
      newRequest(x, fam),
      ({ statusCode, headers }) => {
        status = statusCode;
        const failed = statusCode >= 500;
        // A good status is only a success for the guard once the whole body has arrived.
        noteNew(fam, performance.now() - t0, failed, statusCode, !failed);
        if (failed && safe) {
          retry = true;
          return discard();
        }
        x.res.writeHead(statusCode, clientHeaders(headers as HeaderMap, x.requestId));
        return x.res;
      },
      (err) => {
        if (retry) return fallback(x, fam);
        if (status === 0 && err) {
          noteNew(fam, performance.now() - t0, true, 0);
          if (safe) return fallback(x, fam);
        }
        // undici destroys the client's response with its own error; that error says whose fault it was.
        const cause = err && ((x.res as { errored?: Error | null }).errored ?? err);
        if (status > 0 && status < 500 && (cause === null || isUpstreamFault(cause))) noteBodyOutcome(fam, cause !== null);
        if (!cause) return;
        logFailure(ctx, 'new', fam.plan.new, cause);
        badGateway(x, 'new', err);
      },
    );
  }

  function toNewAdapted(x: Exchange, fam: FamilyRuntime, adapter: CompiledAdapter, safe: boolean): void {
    const t0 = performance.now();
    fam.candidate
      .request(newRequest(x, fam))
      .then(async (r) => {
        const body = Buffer.from(await r.body.arrayBuffer());
        const failed = r.statusCode >= 500;
        noteNew(fam, performance.now() - t0, failed, r.statusCode);
        if (failed && safe) return fallback(x, fam);
        const adapted = applyAdapter(adapter, { status: r.statusCode, headers: r.headers as HeaderMap, body });
        const headers = clientHeaders(adapted.headers, x.requestId);
        const out = typeof adapted.body === 'string' ? Buffer.from(adapted.body) : adapted.body;
        delete headers['transfer-encoding'];
        headers['content-length'] = String(out.byteLength);
        x.res.writeHead(adapted.status, headers);
        x.res.end(out);
      })
      .catch((err: Error) => {
        noteNew(fam, performance.now() - t0, true, 0);
        if (safe && !x.res.headersSent) return fallback(x, fam);
        logFailure(ctx, 'new', fam.plan.new, err);
        badGateway(x, 'new', err);
      });
  }

  function fallback(x: Exchange, fam: FamilyRuntime): void {
    fam.stats.recordFallback();
    fam.counters.fallbacks++;
    toLegacy(x, undefined);
  }

  /** Statistics for one new-backend answer; the guard hears of it now unless `guardLater`. */
  function noteNew(fam: FamilyRuntime, ms: number, failed: boolean, status: number, guardLater = false): void {
    fam.stats.recordRequest('new', ms, failed);
    fam.count('new', status);
    if (!guardLater && fam.guard.record(failed, Date.now())) ctx.onTrip(fam);
  }

  /**
   * How a streamed answer ended. A body that broke after the headers went to the client
   * (truncated, body timeout) cannot fall back any more, so it counts against the guard.
   */
  function noteBodyOutcome(fam: FamilyRuntime, aborted: boolean): void {
    if (aborted) fam.counters.newAborted++;
    if (fam.guard.record(aborted, Date.now())) ctx.onTrip(fam);
  }

  function enqueueMirror(x: Exchange, fam: FamilyRuntime, cap: Captured): void {
    if (cap.tooLarge) {
      fam.stats.recordShadow('skippedTooLarge');
      return;
    }
    const ok = ctx.queue.push(() => mirror(fam, x.method, x.url, x.headers, x.body, x.route, x.requestId, cap, ctx.maxCompareBytes));
    if (ok) fam.stats.recordShadow('mirrored');
    else {
      fam.stats.recordShadow('dropped');
      fam.counters.mirrorsDropped++;
    }
  }

  /** Sends the request to legacy, mirrored to new when sampled. */
  function legacyWithShadow(x: Exchange, fam: FamilyRuntime): void {
    const rate = fam.route.sampleRate;
    if (rate <= 0 || (rate < 1 && Math.random() >= rate)) return toLegacy(x, undefined);
    const unsafe = !SAFE_METHODS.has(x.method);
    if (unsafe && !fam.plan.parity.mirrorUnsafe) {
      fam.stats.recordShadow('skippedUnsafe');
      return toLegacy(x, undefined);
    }
    const cap: Captured = { status: 0, headers: {}, chunks: [], size: 0, tooLarge: false, legacyMs: 0 };
    if (!hasBody(x.req)) return toLegacy(x, cap);
    // The body must reach both backends, so a sampled request with a body is read first.
    const chunks: Buffer[] = [];
    let size = 0;
    x.req.on('data', (c: Buffer) => {
      size += c.length;
      if (size <= ctx.maxCompareBytes) chunks.push(c);
    });
    x.req.on('end', () => {
      x.body = Buffer.concat(chunks);
      if (size > ctx.maxCompareBytes) {
        fam.stats.recordShadow('skippedTooLarge');
        return badGateway(x, 'legacy', new Error('request body too large to mirror'));
      }
      toLegacy(x, cap);
    });
    x.req.on('error', (err) => x.res.destroy(err));
  }

  function refuse(res: ServerResponse, reason: string): void {
    ctx.counters.refusedTargets++;
    const body = JSON.stringify({ error: { code: 'PHX_ERR_BAD_REQUEST_TARGET', message: reason } });
    res.writeHead(400, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
    res.end(body);
  }

  return function handle(req, res) {
    const url = req.url ?? '/';
    const method = req.method ?? 'GET';
    const q = url.indexOf('?');
    const path = q < 0 ? url : url.slice(0, q);
    const unsafe = unsafeTarget(path);
    if (unsafe !== undefined) return refuse(res, unsafe);
    const m = ctx.matcher.match(method, path);
    const incoming = req.headers['x-request-id'];
    const requestId = typeof incoming === 'string' && incoming.length > 0 && incoming.length <= 200 ? incoming : randomUUID();
    const fam = m ? ctx.families[m.family] : undefined;
    const x: Exchange = { req, res, method, url, requestId, headers: upstreamHeaders(req, requestId), body: null, family: fam, route: m?.route ?? '' };
    if (!fam) return toLegacy(x, undefined);
    switch (fam.effectiveMode()) {
      case 'legacy':
        return toLegacy(x, undefined);
      case 'shadow':
        return legacyWithShadow(x, fam);
      case 'canary':
        if (inCanary(fam.sticky(req.headers, req.socket.remoteAddress), fam.route.percent)) return toNew(x, fam);
        return legacyWithShadow(x, fam);
      case 'new':
        return toNew(x, fam);
    }
  };
}
