/**
 * The new service's answer on an endpoint with a response adapter: the one place the request
 * path buffers an answer, because the adapter rewrites it whole. The buffer is bounded by
 * `router.maxAdaptBytes`; a larger answer is never sent unadapted (that would change bytes
 * silently): it counts as a failed attempt, so a safe request is answered by legacy and any
 * other gets 502 `PHX_ERR_ADAPTER_BODY_TOO_LARGE`.
 */
import { performance } from 'node:perf_hooks';
import type { Readable } from 'node:stream';
import type { Dispatcher } from 'undici';
import { applyAdapter, type CompiledAdapter } from '../parity/index.js';
import type { Exchange, RequestPath } from './exchange.js';
import type { FamilyRuntime } from './family.js';
import { clientHeaders } from './forward-headers.js';
import { rewriteLocations } from './location.js';
import { classifyUpstreamError, type UpstreamFailure } from './upstream-errors.js';

/** Swallows the error undici raises on a body given up below (its request is aborted). */
function ignore(): void {}

/** The whole body, or undefined (and the upstream request aborted) once it passes `max` bytes. */
async function readBounded(
  body: Readable,
  length: string | string[] | undefined,
  max: number,
): Promise<Buffer | undefined> {
  if (typeof length === 'string' && Number(length) > max) {
    body.on('error', ignore).destroy();
    return undefined;
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > max) {
      // Leaving the loop destroys the body, which aborts the upstream request.
      body.on('error', ignore);
      return undefined;
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks, size);
}

/** An attempt that gave no usable answer: legacy answers a safe request, anything else gets the failure. */
function attemptFailed(
  p: RequestPath,
  x: Exchange,
  fam: FamilyRuntime,
  safe: boolean,
  ms: number,
  failure: UpstreamFailure,
  err: Error,
): void {
  p.noteNew(fam, ms, true, 0);
  p.countFailure(x, 'new', failure);
  if (safe && !x.res.headersSent) return p.fallback(x, fam);
  p.fail(x, 'new', failure, err);
}

/**
 * Sends the request to new, buffers its answer (at most `router.maxAdaptBytes`), applies the
 * adapter and answers the client with a `content-length`. Never rejects.
 */
export async function sendAdapted(
  p: RequestPath,
  x: Exchange,
  fam: FamilyRuntime,
  adapter: CompiledAdapter,
  safe: boolean,
  request: Dispatcher.RequestOptions,
): Promise<void> {
  const t0 = performance.now();
  // A client that hangs up before its answer is written aborts the request to new, as the
  // streamed path does: the answer would be read and adapted for no one.
  const hangup = new AbortController();
  const onClose = (): void => {
    if (!x.res.writableFinished) hangup.abort();
  };
  if (x.res.destroyed) return;
  x.res.once('close', onClose);
  let r: Dispatcher.ResponseData;
  let body: Buffer | undefined;
  try {
    r = await fam.candidate.request({ ...request, signal: hangup.signal });
    body = await readBounded(r.body, r.headers['content-length'], p.ctx.maxAdaptBytes);
  } catch (err) {
    // The client left: nothing to answer, and not new's failure.
    if (hangup.signal.aborted) return;
    const e = err as Error;
    return attemptFailed(p, x, fam, safe, performance.now() - t0, classifyUpstreamError(e), e);
  } finally {
    x.res.off('close', onClose);
  }
  const ms = performance.now() - t0;
  if (body === undefined) {
    const why = new Error(`answer of ${x.method} ${x.url} is over router.maxAdaptBytes (${p.ctx.maxAdaptBytes} bytes)`);
    return attemptFailed(p, x, fam, safe, ms, 'adapterTooLarge', why);
  }
  const failed = r.statusCode >= 500;
  p.noteNew(fam, ms, failed, r.statusCode);
  if (failed && safe) return p.fallback(x, fam);
  // The client hung up as the answer completed: nothing to send it.
  if (x.res.destroyed) return;
  try {
    const adapted = applyAdapter(adapter, { status: r.statusCode, headers: r.headers, body });
    const headers = clientHeaders(adapted.headers, x.requestId);
    if (headers.location !== undefined || headers['content-location'] !== undefined)
      rewriteLocations(headers, fam.newOrigin, x.req, p.ctx.trust);
    const out = typeof adapted.body === 'string' ? Buffer.from(adapted.body) : adapted.body;
    delete headers['transfer-encoding'];
    headers['content-length'] = String(out.byteLength);
    x.res.writeHead(adapted.status, headers);
    x.res.end(out);
  } catch (err) {
    // A header the adapter set that Node refuses to send: the answer cannot be written at all.
    x.res.destroy(err as Error);
  }
}
