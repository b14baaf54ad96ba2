/**
 * The request path. Each request is matched to a family and sent where the family's mode says.
 * Bodies stream straight through (undici dispatch handlers writing into the client's response,
 * `forward.ts`, `answers.ts`); only an endpoint with a response adapter is buffered
 * (`adapter-path.ts`). A sampled answer is copied as it streams to the client and handed to the
 * shadow pipeline afterwards (`sampled-request.ts`); the comparison never runs here. A failed
 * upstream is answered by `upstream-errors.ts`. Nothing here logs per request or touches the disk.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { randomUUID } from 'node:crypto';
import type { Dispatcher } from 'undici';
import { SAFE_METHODS } from '../plan/route-pattern.js';
import { sendAdapted } from './adapter-path.js';
import { LegacyForward, NewForward } from './answers.js';
import { bucketInCanary, bucketOf } from './decide.js';
import type { Captured, Exchange, ProxyContext, RequestPath } from './exchange.js';
import type { FamilyRuntime } from './family.js';
import { hasBody, upstreamHeaders } from './forward-headers.js';
import { identityFor, type FamilyIdentity } from './identity.js';
import { legacyWithShadow } from './sampled-request.js';
import { refuseTarget, unsafeTarget } from './target.js';
import { answerFailure, logFailure, type UpstreamFailure } from './upstream-errors.js';
import { withHost } from './upstream-host.js';

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

/** The router's request path: one per router, shared by every request. */
class ProxyPath implements RequestPath {
  readonly ctx: ProxyContext;
  /** Per family, built at start (a missing credential variable stops the router here), shared with the mirror. */
  private readonly identities: FamilyIdentity[];

  constructor(ctx: ProxyContext) {
    this.ctx = ctx;
    this.identities = ctx.families.map((f) => identityFor(f.plan));
  }

  toLegacy(x: Exchange, capture: Captured | undefined): void {
    const side = x.family ? this.identities[x.familyIndex]?.legacy : undefined;
    if (side === undefined) return this.sendLegacy(x, capture, x.headers);
    const h = side.headers(x.headers);
    if (!(h instanceof Promise)) return this.sendLegacy(x, capture, h);
    h.then(
      (headers) => this.sendLegacy(x, capture, headers),
      (err: Error) => {
        if (capture) this.ctx.shadow.release(x.familyIndex);
        logFailure(this.ctx.log, 'legacy identity', x.family?.plan.legacy ?? 'default', err);
        this.countFailure(x, 'legacy', 'unreachable');
        answerFailure(x.res, x.requestId, 'legacy', 'unreachable', err);
      },
    );
  }

  private sendLegacy(x: Exchange, capture: Captured | undefined, headers: Record<string, string | string[]>): void {
    const pool = x.family ? x.family.legacy : this.ctx.defaultLegacy;
    if (headers !== x.headers) x.legacyHeaders = headers;
    pool.dispatch(
      {
        path: x.url,
        method: x.method,
        headers: x.family ? withHost(headers, x.host, x.family.plan.preserveHost.legacy) : headers,
        body: x.body ?? x.upload ?? (hasBody(x.req) ? x.req : null),
        headersTimeout: this.ctx.legacyTimeout,
        bodyTimeout: this.ctx.legacyTimeout,
      },
      new LegacyForward(this, x, capture),
    );
  }

  private toNew(x: Exchange, fam: FamilyRuntime): void {
    const side = this.identities[x.familyIndex]?.new;
    if (side === undefined) return this.sendNew(x, fam, x.headers);
    const h = side.headers(x.headers);
    if (!(h instanceof Promise)) return this.sendNew(x, fam, h);
    // Nothing reached new yet, so legacy can still answer when the exchange fails.
    h.then(
      (headers) => this.sendNew(x, fam, headers),
      (err: Error) => {
        logFailure(this.ctx.log, 'new identity', fam.plan.new, err);
        this.fallback(x, fam);
      },
    );
  }

  private sendNew(x: Exchange, fam: FamilyRuntime, headers: Record<string, string | string[]>): void {
    const safe = SAFE_METHODS.has(x.method) && !hasBody(x.req);
    const adapter = fam.adapters.size > 0 ? fam.adapters.find(x.method, x.url) : undefined;
    if (adapter) return void sendAdapted(this, x, fam, adapter, safe, newRequest(x, fam, headers));
    fam.candidate.dispatch(newRequest(x, fam, headers), new NewForward(this, x, fam, safe));
  }

  fallback(x: Exchange, fam: FamilyRuntime): void {
    fam.stats.recordFallback();
    fam.counters.fallbacks++;
    this.toLegacy(x, undefined);
  }

  noteNew(fam: FamilyRuntime, ms: number, failed: boolean, status: number, guardLater = false): void {
    const now = Date.now();
    fam.stats.recordRequest('new', ms, failed, now - ms);
    fam.count('new', status);
    if (!guardLater && fam.guard.record(failed, now)) this.ctx.onTrip(fam);
  }

  /**
   * A body that broke after the headers went to the client (truncated, body timeout) cannot fall
   * back any more, so it counts against the guard.
   */
  noteBodyOutcome(fam: FamilyRuntime, aborted: boolean): void {
    if (aborted) fam.counters.newAborted++;
    if (fam.guard.record(aborted, Date.now())) this.ctx.onTrip(fam);
  }

  countFailure(x: Exchange, which: 'legacy' | 'new', failure: UpstreamFailure): void {
    if (x.family) x.family.counters.upstreamFailures[which][failure]++;
    else this.ctx.counters.upstreamFailures[failure]++;
  }

  fail(x: Exchange, which: 'legacy' | 'new', failure: UpstreamFailure, err: Error): void {
    const fam = x.family;
    logFailure(this.ctx.log, which, which === 'new' ? fam!.plan.new : (fam?.plan.legacy ?? 'default'), err);
    answerFailure(x.res, x.requestId, which, failure, err);
  }

  handle(req: IncomingMessage, res: ServerResponse): void {
    const ctx = this.ctx;
    const url = req.url ?? '/';
    const method = req.method ?? 'GET';
    const q = url.indexOf('?');
    const path = q < 0 ? url : url.slice(0, q);
    const unsafe = unsafeTarget(path);
    if (unsafe !== undefined) {
      ctx.counters.refusedTargets++;
      return refuseTarget(res, unsafe);
    }
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
    if (!fam) return this.toLegacy(x, undefined);
    switch (fam.effectiveMode()) {
      case 'legacy':
        return this.toLegacy(x, undefined);
      case 'shadow':
        return legacyWithShadow(this, x, fam);
      case 'canary': {
        const bucket = bucketOf(fam.sticky(req));
        fam.stats.recordBucket(bucket);
        if (bucketInCanary(bucket, fam.route.percent)) return this.toNew(x, fam);
        return legacyWithShadow(this, x, fam);
      }
      case 'new':
        return this.toNew(x, fam);
    }
  }
}

/** Builds the router's request handler. */
export function createHandler(ctx: ProxyContext): (req: IncomingMessage, res: ServerResponse) => void {
  const path = new ProxyPath(ctx);
  return path.handle.bind(path);
}
