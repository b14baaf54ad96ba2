/**
 * The request path. Each request is matched to a family and sent where the family's mode says.
 * Bodies stream straight through (undici dispatch handlers writing into the client's response,
 * see `forward.ts`); only an endpoint with a response adapter is buffered. A sampled answer is
 * copied as it streams to the client and handed to the shadow pipeline afterwards; the comparison
 * never runs here. Nothing here logs per request or touches the disk.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { Readable } from 'node:stream';
import { util, type Dispatcher, type Pool } from 'undici';
import { applyAdapter, type CompiledAdapter } from '../parity/index.js';
import { SAFE_METHODS } from '../plan/route-pattern.js';
import type { Logger } from '../lib/logger.js';
import { bucketInCanary, bucketOf } from './decide.js';
import { connectionTokens, Forward, HOP_BY_HOP, responseHeaders, type HeaderMap } from './forward.js';
import type { FamilyRuntime } from './family.js';
import type { Matcher } from '../plan/route-match.js';
import type { Collected } from './collect.js';
import type { ShadowPipeline } from './shadow/pipeline.js';
import { unsafeTarget } from './target.js';
import { peerTrusted, type Trust } from './client-address.js';
import { rewriteLocations } from './location.js';
import { withHost } from './upstream-host.js';
import { identityFor, type FamilyIdentity } from './identity.js';

/** What the request path needs from the router. */
export interface ProxyContext {
  matcher: Matcher;
  families: FamilyRuntime[];
  /** Where requests that match no family go. */
  defaultLegacy: Pool;
  /** Its origin (`http://host:port`). */
  defaultLegacyOrigin: string;
  /** Trusted proxies (`router.trustedProxies`). */
  trust: Trust | undefined;
  shadow: ShadowPipeline;
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
  /** Sent upstream: hop-by-hop fields and `host` removed, forwarding fields added. */
  headers: Record<string, string | string[]>;
  /** What legacy got instead of `headers` when the family sets a legacy identity. */
  legacyHeaders?: Record<string, string | string[]>;
  /** The client's `Host`, for an upstream with `preserveHost`. */
  host: string | undefined;
  /** A buffered request body (sampled unsafe requests only). */
  body: Buffer | null;
  /** The request body when part of it was read before it turned out too large to buffer. */
  upload?: Readable;
  family: FamilyRuntime | undefined;
  /** Index of `family` in the plan. */
  familyIndex: number;
  route: string;
}

/** The legacy answer of a sampled request, as copied on its way to the client. */
interface Captured extends Collected {
  /** Past `maxCompareBytes`: the copy was given up (the client still gets everything). */
  tooLarge: boolean;
}

/**
 * What goes upstream: the client's fields without hop-by-hop ones and `host`, plus forwarding
 * fields. `X-Forwarded-Proto` and `-Host` from the client are kept only when its peer is a trusted
 * proxy; anyone else could claim `https` or another host to an upstream that builds URLs from them.
 */
function upstreamHeaders(
  req: IncomingMessage,
  requestId: string,
  trust: Trust | undefined,
): Record<string, string | string[]> {
  const h = req.headers as HeaderMap;
  const drop = connectionTokens(h.connection);
  const out: Record<string, string | string[]> = {};
  for (const k in h) {
    const v = h[k];
    if (v === undefined || HOP_BY_HOP.has(k) || k === 'host' || drop?.has(k)) continue;
    out[k] = v;
  }
  const addr = req.socket.remoteAddress ?? '';
  const xff = h['x-forwarded-for'];
  out['x-forwarded-for'] = xff ? `${Array.isArray(xff) ? xff.join(', ') : xff}, ${addr}` : addr;
  const relayed = trust !== undefined && peerTrusted(req.socket, trust);
  if (!relayed || out['x-forwarded-proto'] === undefined)
    out['x-forwarded-proto'] = 'encrypted' in req.socket ? 'https' : 'http';
  if (!relayed || out['x-forwarded-host'] === undefined) {
    if (h.host !== undefined) out['x-forwarded-host'] = h.host;
    else delete out['x-forwarded-host'];
  }
  out['x-request-id'] = requestId;
  return out;
}

function clientHeaders(h: HeaderMap, requestId: string): Record<string, string | string[]> {
  const drop = connectionTokens(h.connection);
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
  x.res.writeHead(502, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(body),
    'x-request-id': x.requestId,
  });
  x.res.end(body);
}

async function* replay(head: Buffer[], rest: AsyncIterable<Buffer>): AsyncIterable<Buffer> {
  yield* head;
  yield* rest;
}

function logFailure(ctx: ProxyContext, which: string, origin: string, err: Error): void {
  // Rate-limited so an upstream outage cannot turn into a log flood on the request path.
  const now = Date.now();
  const key = `${which} ${origin}`;
  if ((lastLogged.get(key) ?? 0) + 5000 > now) return;
  lastLogged.set(key, now);
  ctx.log.warn(
    { upstream: origin, which, code: (err as { code?: string }).code, err: err.message },
    'upstream request failed',
  );
}
const lastLogged = new Map<string, number>();

/** The request as sent to the new backend (with its identity's `headers`), with the guard's timeout. */
function newRequest(
  x: Exchange,
  fam: FamilyRuntime,
  headers: Record<string, string | string[]>,
): Dispatcher.RequestOptions {
  const timeout = fam.plan.guard.timeout;
  return {
    path: x.url,
    method: x.method,
    headers: withHost(headers, x.host, fam.plan.preserveHost.new),
    body: hasBody(x.req) ? x.req : null,
    headersTimeout: timeout,
    bodyTimeout: timeout,
  };
}

/** Builds the router's request handler. */
export function createHandler(ctx: ProxyContext): (req: IncomingMessage, res: ServerResponse) => void {
  // Built at start (a missing credential variable stops the router here), shared with the mirror.
  const identities: FamilyIdentity[] = ctx.families.map((f) => identityFor(f.plan));

  /** A legacy answer: statistics, then the client; a sampled one is copied for the shadow thread. */
  class LegacyForward extends Forward {
    private readonly x: Exchange;
    private readonly capture: Captured | undefined;
    private readonly t0 = performance.now();

    constructor(x: Exchange, capture: Captured | undefined) {
      super(x.res);
      this.x = x;
      this.capture = capture;
    }

    protected head(status: number, raw: Buffer[]): void {
      const ms = performance.now() - this.t0;
      const fam = this.x.family;
      if (fam) {
        fam.stats.recordRequest('legacy', ms, status >= 500);
        fam.count('legacy', status);
      }
      if (this.capture) {
        this.capture.status = status;
        this.capture.headers = util.parseHeaders(raw);
        this.capture.ms = ms;
      }
      const h = responseHeaders(raw, this.x.requestId);
      if (h.location !== undefined || h['content-location'] !== undefined)
        rewriteLocations(h, fam ? fam.legacyOrigin : ctx.defaultLegacyOrigin, this.x.req, ctx.trust);
      this.stream(status, h);
    }

    protected override chunk(chunk: Buffer): void {
      const cap = this.capture;
      if (!cap || cap.tooLarge) return;
      cap.size += chunk.length;
      if (cap.size > ctx.maxCompareBytes) {
        cap.tooLarge = true;
        cap.chunks.length = 0;
      } else cap.chunks.push(chunk);
    }

    protected complete(): void {
      if (this.capture && this.x.family) submitMirror(this.x, this.x.family, this.capture);
    }

    protected failed(err: Error): void {
      const fam = this.x.family;
      if (this.status === 0 && fam && !this.clientGone) {
        fam.stats.recordRequest('legacy', performance.now() - this.t0, true);
        fam.count('legacy', 0);
      }
      if (this.capture) ctx.shadow.release(this.x.familyIndex);
      if (this.clientGone) return;
      logFailure(ctx, 'legacy', fam?.plan.legacy ?? 'default', err);
      badGateway(this.x, 'legacy', err);
    }
  }

  /**
   * A new-backend answer. A safe request whose attempt fails before anything reached the client
   * is answered by legacy; an answer that breaks after its headers went out counts against the guard.
   */
  class NewForward extends Forward {
    private readonly x: Exchange;
    private readonly fam: FamilyRuntime;
    private readonly safe: boolean;
    private readonly t0 = performance.now();
    private retry = false;

    constructor(x: Exchange, fam: FamilyRuntime, safe: boolean) {
      super(x.res);
      this.x = x;
      this.fam = fam;
      this.safe = safe;
    }

    protected head(status: number, raw: Buffer[]): void {
      const failed = status >= 500;
      // A good status is only a success for the guard once the whole body has arrived.
      noteNew(this.fam, performance.now() - this.t0, failed, status, !failed);
      if (failed && this.safe) {
        this.retry = true;
        return;
      }
      const h = responseHeaders(raw, this.x.requestId);
      if (h.location !== undefined || h['content-location'] !== undefined)
        rewriteLocations(h, this.fam.newOrigin, this.x.req, ctx.trust);
      this.stream(status, h);
    }

    protected complete(): void {
      if (this.retry) fallback(this.x, this.fam);
      else if (this.status < 500) noteBodyOutcome(this.fam, false);
    }

    protected failed(err: Error): void {
      // A client that hung up says nothing about the new backend.
      if (this.clientGone) return;
      if (this.retry) return fallback(this.x, this.fam);
      if (this.status === 0) {
        noteNew(this.fam, performance.now() - this.t0, true, 0);
        if (this.safe) return fallback(this.x, this.fam);
      } else if (this.status < 500) noteBodyOutcome(this.fam, true);
      logFailure(ctx, 'new', this.fam.plan.new, err);
      badGateway(this.x, 'new', err);
    }
  }

  function toLegacy(x: Exchange, capture: Captured | undefined): void {
    const side = x.family ? identities[x.familyIndex]?.legacy : undefined;
    if (side === undefined) return sendLegacy(x, capture, x.headers);
    const h = side.headers(x.headers);
    if (!(h instanceof Promise)) return sendLegacy(x, capture, h);
    h.then(
      (headers) => sendLegacy(x, capture, headers),
      (err: Error) => {
        if (capture) ctx.shadow.release(x.familyIndex);
        logFailure(ctx, 'legacy identity', x.family?.plan.legacy ?? 'default', err);
        badGateway(x, 'legacy', err);
      },
    );
  }

  function sendLegacy(x: Exchange, capture: Captured | undefined, headers: Record<string, string | string[]>): void {
    const pool = x.family ? x.family.legacy : ctx.defaultLegacy;
    if (headers !== x.headers) x.legacyHeaders = headers;
    pool.dispatch(
      {
        path: x.url,
        method: x.method,
        headers: x.family ? withHost(headers, x.host, x.family.plan.preserveHost.legacy) : headers,
        body: x.body ?? x.upload ?? (hasBody(x.req) ? x.req : null),
      },
      new LegacyForward(x, capture),
    );
  }

  function toNew(x: Exchange, fam: FamilyRuntime): void {
    const side = identities[x.familyIndex]?.new;
    if (side === undefined) return sendNew(x, fam, x.headers);
    const h = side.headers(x.headers);
    if (!(h instanceof Promise)) return sendNew(x, fam, h);
    // Nothing reached new yet, so legacy can still answer when the exchange fails.
    h.then(
      (headers) => sendNew(x, fam, headers),
      (err: Error) => {
        logFailure(ctx, 'new identity', fam.plan.new, err);
        fallback(x, fam);
      },
    );
  }

  function sendNew(x: Exchange, fam: FamilyRuntime, headers: Record<string, string | string[]>): void {
    const safe = SAFE_METHODS.has(x.method) && !hasBody(x.req);
    const adapter = fam.adapters.size > 0 ? fam.adapters.find(x.method, x.url) : undefined;
    if (adapter) return toNewAdapted(x, fam, adapter, safe, headers);
    fam.candidate.dispatch(newRequest(x, fam, headers), new NewForward(x, fam, safe));
  }

  function toNewAdapted(
    x: Exchange,
    fam: FamilyRuntime,
    adapter: CompiledAdapter,
    safe: boolean,
    headers: Record<string, string | string[]>,
  ): void {
    const t0 = performance.now();
    fam.candidate
      .request(newRequest(x, fam, headers))
      .then(async (r) => {
        const body = Buffer.from(await r.body.arrayBuffer());
        const failed = r.statusCode >= 500;
        noteNew(fam, performance.now() - t0, failed, r.statusCode);
        if (failed && safe) return fallback(x, fam);
        const adapted = applyAdapter(adapter, { status: r.statusCode, headers: r.headers, body });
        const headers = clientHeaders(adapted.headers, x.requestId);
        if (headers.location !== undefined || headers['content-location'] !== undefined)
          rewriteLocations(headers, fam.newOrigin, x.req, ctx.trust);
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

  function submitMirror(x: Exchange, fam: FamilyRuntime, cap: Captured): void {
    if (cap.tooLarge) {
      ctx.shadow.release(x.familyIndex);
      fam.stats.recordShadow('skippedTooLarge');
      return;
    }
    fam.stats.recordShadow('mirrored');
    ctx.shadow.submit({
      family: x.familyIndex,
      method: x.method,
      url: x.url,
      headers: x.headers,
      legacyHeaders: x.legacyHeaders,
      body: x.body,
      route: x.route,
      requestId: x.requestId,
      host: x.host,
      legacy: cap,
    });
  }

  /** Sends the request to legacy, mirrored to new when sampled. */
  function legacyWithShadow(x: Exchange, fam: FamilyRuntime): void {
    const rate = fam.route.sampleRate;
    if (rate <= 0 || (rate < 1 && Math.random() >= rate)) return toLegacy(x, undefined);
    fam.stats.recordShadow('sampled');
    const unsafe = !SAFE_METHODS.has(x.method);
    if (unsafe && !fam.plan.parity.mirrorUnsafe) {
      fam.stats.recordShadow('skippedUnsafe');
      return toLegacy(x, undefined);
    }
    // No slot (the pipeline is behind or this thread is too busy): drop before anything is buffered.
    if (!ctx.shadow.reserve(x.familyIndex)) {
      fam.stats.recordShadow('dropped');
      fam.counters.mirrorsDropped++;
      return toLegacy(x, undefined);
    }
    const cap: Captured = { status: 0, headers: {}, chunks: [], size: 0, tooLarge: false, ms: 0 };
    if (!hasBody(x.req)) return toLegacy(x, cap);
    const tooLarge = (): void => {
      ctx.shadow.release(x.familyIndex);
      fam.stats.recordShadow('skippedTooLarge');
    };
    if (Number(x.req.headers['content-length']) > ctx.maxCompareBytes) {
      tooLarge();
      return toLegacy(x, undefined);
    }
    // The body must reach both backends, so a sampled request with a body is read first.
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (c: Buffer): void => {
      size += c.length;
      chunks.push(c);
      if (size <= ctx.maxCompareBytes) return;
      // A chunked body past the bound: legacy gets what was read so far and then the rest, streamed.
      x.req.off('data', onData).off('end', onEnd).off('error', onError).pause();
      tooLarge();
      x.upload = Readable.from(replay(chunks, x.req), { objectMode: false });
      toLegacy(x, undefined);
    };
    const onEnd = (): void => {
      x.body = Buffer.concat(chunks);
      toLegacy(x, cap);
    };
    const onError = (err: Error): void => {
      ctx.shadow.release(x.familyIndex);
      x.res.destroy(err);
    };
    x.req.on('data', onData).on('end', onEnd).on('error', onError);
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
    const requestId =
      typeof incoming === 'string' && incoming.length > 0 && incoming.length <= 200 ? incoming : randomUUID();
    const fam = m ? ctx.families[m.family] : undefined;
    const x: Exchange = {
      req,
      res,
      method,
      url,
      requestId,
      headers: upstreamHeaders(req, requestId, ctx.trust),
      host: req.headers.host,
      body: null,
      family: fam,
      familyIndex: m?.family ?? -1,
      route: m?.route ?? '',
    };
    if (!fam) return toLegacy(x, undefined);
    switch (fam.effectiveMode()) {
      case 'legacy':
        return toLegacy(x, undefined);
      case 'shadow':
        return legacyWithShadow(x, fam);
      case 'canary': {
        const bucket = bucketOf(fam.sticky(req));
        fam.stats.recordBucket(bucket);
        if (bucketInCanary(bucket, fam.route.percent)) return toNew(x, fam);
        return legacyWithShadow(x, fam);
      }
      case 'new':
        return toNew(x, fam);
    }
  };
}
