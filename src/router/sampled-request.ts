/**
 * A request served by legacy in shadow or canary mode: sampled (`sampleRate`) or not, and when
 * sampled, a slot on the shadow thread taken before anything is buffered. A sampled request with
 * a body is read first (up to `router.maxCompareBytes`) because the body must reach both backends;
 * a larger one reaches legacy whole, streamed, and is not compared.
 */
import { Readable } from 'node:stream';
import { SAFE_METHODS } from '../plan/route-pattern.js';
import type { Captured, Exchange, ProxyContext, RequestPath } from './exchange.js';
import type { FamilyRuntime } from './family.js';
import { hasBody } from './forward-headers.js';

async function* replay(head: Buffer[], rest: AsyncIterable<Buffer>): AsyncIterable<Buffer> {
  yield* head;
  yield* rest;
}

/** Sends the request to legacy, mirrored to new when sampled. */
export function legacyWithShadow(p: RequestPath, x: Exchange, fam: FamilyRuntime): void {
  const ctx = p.ctx;
  const rate = fam.route.sampleRate;
  if (rate <= 0 || (rate < 1 && Math.random() >= rate)) return p.toLegacy(x, undefined);
  fam.stats.recordShadow('sampled');
  const unsafe = !SAFE_METHODS.has(x.method);
  if (unsafe && !fam.plan.parity.mirrorUnsafe) {
    fam.stats.recordShadow('skippedUnsafe');
    return p.toLegacy(x, undefined);
  }
  // No slot (the pipeline is behind or this thread is too busy): drop before anything is buffered.
  if (!ctx.shadow.reserve(x.familyIndex)) {
    fam.stats.recordShadow('dropped');
    fam.counters.mirrorsDropped++;
    return p.toLegacy(x, undefined);
  }
  const cap: Captured = { status: 0, headers: {}, chunks: [], size: 0, tooLarge: false, ms: 0, startedAt: Date.now() };
  if (!hasBody(x.req)) return p.toLegacy(x, cap);
  const tooLarge = (): void => {
    ctx.shadow.release(x.familyIndex);
    fam.stats.recordShadow('skippedTooLarge');
  };
  if (Number(x.req.headers['content-length']) > ctx.maxCompareBytes) {
    tooLarge();
    return p.toLegacy(x, undefined);
  }
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
    p.toLegacy(x, undefined);
  };
  const onEnd = (): void => {
    x.body = Buffer.concat(chunks);
    p.toLegacy(x, cap);
  };
  const onError = (err: Error): void => {
    ctx.shadow.release(x.familyIndex);
    x.res.destroy(err);
  };
  x.req.on('data', onData).on('end', onEnd).on('error', onError);
}

/** Hands a sampled legacy answer, copied as it streamed to the client, to the shadow thread. */
export function submitMirror(ctx: ProxyContext, x: Exchange, fam: FamilyRuntime, cap: Captured): void {
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
    startedAt: cap.startedAt,
  });
}
