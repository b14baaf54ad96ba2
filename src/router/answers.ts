/**
 * What an upstream answer means on the client path, as undici dispatch handlers (one per
 * attempt): statistics, the guard, fallback to legacy, the shadow copy. Streaming itself is
 * `forward.ts`; the failure answers are `upstream-errors.ts`.
 */
import { performance } from 'node:perf_hooks';
import { util } from 'undici';
import type { Captured, Exchange, RequestPath } from './exchange.js';
import type { FamilyRuntime } from './family.js';
import { Forward } from './forward.js';
import { responseHeaders } from './forward-headers.js';
import { rewriteLocations } from './location.js';
import { submitMirror } from './sampled-request.js';
import { classifyUpstreamError } from './upstream-errors.js';

/** A legacy answer: statistics, then the client; a sampled one is copied for the shadow thread. */
export class LegacyForward extends Forward {
  private readonly p: RequestPath;
  private readonly x: Exchange;
  private readonly capture: Captured | undefined;
  private readonly t0 = performance.now();

  constructor(p: RequestPath, x: Exchange, capture: Captured | undefined) {
    super(x.res);
    this.p = p;
    this.x = x;
    this.capture = capture;
  }

  protected head(status: number, raw: Buffer[]): void {
    const ms = performance.now() - this.t0;
    const fam = this.x.family;
    if (fam) {
      fam.stats.recordRequest('legacy', ms, status >= 500, Date.now() - ms);
      fam.count('legacy', status);
    }
    if (this.capture) {
      this.capture.status = status;
      this.capture.headers = util.parseHeaders(raw);
      this.capture.ms = ms;
    }
    const h = responseHeaders(raw, this.x.requestId);
    if (h.location !== undefined || h['content-location'] !== undefined)
      rewriteLocations(h, fam ? fam.legacyOrigin : this.p.ctx.defaultLegacyOrigin, this.x.req, this.p.ctx.trust);
    this.stream(status, h);
  }

  protected override chunk(chunk: Buffer): void {
    const cap = this.capture;
    if (!cap || cap.tooLarge) return;
    cap.size += chunk.length;
    if (cap.size > this.p.ctx.maxCompareBytes) {
      cap.tooLarge = true;
      cap.chunks.length = 0;
    } else cap.chunks.push(chunk);
  }

  protected complete(): void {
    if (this.capture && this.x.family) submitMirror(this.p.ctx, this.x, this.x.family, this.capture);
  }

  protected failed(err: Error): void {
    const fam = this.x.family;
    if (this.capture) this.p.ctx.shadow.release(this.x.familyIndex);
    if (this.clientGone) return;
    const failure = classifyUpstreamError(err);
    if (this.status === 0) {
      if (fam) {
        const ms = performance.now() - this.t0;
        fam.stats.recordRequest('legacy', ms, true, Date.now() - ms);
        fam.count('legacy', 0);
      }
      this.p.countFailure(this.x, 'legacy', failure);
    }
    this.p.fail(this.x, 'legacy', failure, err);
  }
}

/**
 * A new-backend answer. A safe request whose attempt fails before anything reached the client
 * is answered by legacy; an answer that breaks after its headers went out counts against the guard.
 */
export class NewForward extends Forward {
  private readonly p: RequestPath;
  private readonly x: Exchange;
  private readonly fam: FamilyRuntime;
  private readonly safe: boolean;
  private readonly t0 = performance.now();
  private retry = false;

  constructor(p: RequestPath, x: Exchange, fam: FamilyRuntime, safe: boolean) {
    super(x.res);
    this.p = p;
    this.x = x;
    this.fam = fam;
    this.safe = safe;
  }

  protected head(status: number, raw: Buffer[]): void {
    const failed = status >= 500;
    // A good status is only a success for the guard once the whole body has arrived.
    this.p.noteNew(this.fam, performance.now() - this.t0, failed, status, !failed);
    if (failed && this.safe) {
      this.retry = true;
      return;
    }
    const h = responseHeaders(raw, this.x.requestId);
    if (h.location !== undefined || h['content-location'] !== undefined)
      rewriteLocations(h, this.fam.newOrigin, this.x.req, this.p.ctx.trust);
    this.stream(status, h);
  }

  protected complete(): void {
    if (this.retry) this.p.fallback(this.x, this.fam);
    else if (this.status < 500) this.p.noteBodyOutcome(this.fam, false);
  }

  protected failed(err: Error): void {
    // A client that hung up says nothing about the new backend.
    if (this.clientGone) return;
    if (this.retry) return this.p.fallback(this.x, this.fam);
    const failure = classifyUpstreamError(err);
    if (this.status === 0) {
      this.p.noteNew(this.fam, performance.now() - this.t0, true, 0);
      this.p.countFailure(this.x, 'new', failure);
      if (this.safe) return this.p.fallback(this.x, this.fam);
    } else if (this.status < 500) this.p.noteBodyOutcome(this.fam, true);
    this.p.fail(this.x, 'new', failure, err);
  }
}
