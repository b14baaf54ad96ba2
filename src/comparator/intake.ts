/**
 * What the comparator does with one request nginx mirrored to it. nginx waits for the mirror
 * subrequest before it finishes the client's request, so the answer (204) goes at once: as soon as
 * the request is classified, or once its body is in. The comparison happens afterwards, from a
 * slot of the router's own shadow pipeline: a sample without a free slot is dropped (and counted)
 * before anything is buffered. A taken sample is sent to legacy from here (nginx's answer to the
 * client is not available to a mirror), then handed to the pipeline exactly as the router hands
 * a live sample over: mirrored to new, compared on the shadow thread, merged into the family's
 * statistics. Unsafe requests, when allowed, go to legacy one at a time per partition, in the order
 * nginx took them on (`reorder.ts`), and the pipeline keeps that order for new.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Matcher } from '../plan/route-match.js';
import { SAFE_METHODS } from '../plan/route-pattern.js';
import { collect } from '../router/collect.js';
import type { RouterCounters } from '../router/exchange.js';
import type { FamilyRuntime } from '../router/family.js';
import { connectionTokens, hasBody, HOP_BY_HOP } from '../router/forward-headers.js';
import { identityFor, type SideIdentity } from '../router/identity.js';
import { MirrorQueue } from '../router/shadow/mirror-queue.js';
import { OrderedLanes, partitionOf } from '../router/shadow/ordered-lanes.js';
import type { ShadowPipeline } from '../router/shadow/pipeline.js';
import { unsafeTarget } from '../router/target.js';
import { ReorderBuffer } from './reorder.js';

/** The header nginx's mirror names the family with (`src/nginx/render.ts`). */
export const FAMILY_HEADER = 'x-phoenix-family';
/** The header nginx's mirror stamps with the time it took the request on (`$msec`: seconds, ms resolution). */
export const TAKEN_AT_HEADER = 'x-phoenix-taken-at';

/**
 * How long an unsafe mirror waits for one nginx took on before it (`reorder.ts`), ms.
 * @default 50
 */
export const REORDER_MS = 50;

/** Comparator-wide counts since start, for `/metrics`. */
export interface IntakeCounters extends RouterCounters {
  /** Mirrored requests received. */
  received: number;
  /** Requests of no family of the plan, or of another family than nginx named: not compared. */
  unmatched: number;
  /** Legacy did not answer the comparator's request, per family index. */
  legacyErrors: number[];
  /** Unsafe mirrors that arrived after one nginx took on later had gone on. */
  outOfOrder: number;
}

export interface IntakeOptions {
  families: readonly FamilyRuntime[];
  matcher: Matcher;
  shadow: ShadowPipeline;
  /** Legacy requests waiting at most (beyond the running ones). */
  queue: number;
  /** Legacy requests in flight at once. */
  concurrency: number;
  maxCompareBytes: number;
  /** Unsafe requests are compared for families with `parity.mirrorUnsafe` only when this is true too. */
  allowUnsafe: boolean;
  /** How long an unsafe mirror waits for one taken on before it, ms. @default {@link REORDER_MS} */
  reorderMs?: number;
  counters: IntakeCounters;
}

/** A taken sample before legacy has answered it. */
interface Sample {
  family: number;
  method: string;
  url: string;
  route: string;
  headers: Record<string, string | string[]>;
  body: Buffer | null;
  requestId: string;
  /** Epoch ms when the mirrored request arrived. */
  startedAt: number;
  /** Epoch ms when nginx took the request on (its stamp), else when it arrived. */
  takenAt: number;
}

/** nginx's stamp in epoch ms, or undefined when absent or not a time. */
function takenAtOf(req: IncomingMessage): number | undefined {
  const v = req.headers[TAKEN_AT_HEADER];
  const s = typeof v === 'string' ? Number(v) : NaN;
  return Number.isFinite(s) && s > 0 ? Math.round(s * 1000) : undefined;
}

/** The mirrored request's fields as both upstreams get them: no hop-by-hop fields, no `host`, no family name. */
function mirroredHeaders(req: IncomingMessage): Record<string, string | string[]> {
  const h = req.headers;
  const drop = connectionTokens(h.connection);
  const out: Record<string, string | string[]> = {};
  for (const k in h) {
    const v = h[k];
    if (v === undefined || HOP_BY_HOP.has(k) || drop?.has(k)) continue;
    // The length is set again from the body read here.
    if (k === 'host' || k === 'content-length' || k === FAMILY_HEADER || k === TAKEN_AT_HEADER) continue;
    out[k] = v;
  }
  return out;
}

/** nginx ignores the mirror's answer; an empty one keeps its keep-alive connection. */
function answer(res: ServerResponse): void {
  if (res.headersSent) return;
  res.writeHead(204);
  res.end();
}

/** Answers without reading the body (Node discards the rest of it and keeps the connection). */
function skip(req: IncomingMessage, res: ServerResponse): void {
  answer(res);
  req.resume();
}

export class MirrorIntake {
  private readonly o: IntakeOptions;
  private readonly legacyIdentity: (SideIdentity | undefined)[];
  private readonly unsafeAllowed: boolean[];
  private readonly legacyQueue: MirrorQueue;
  private readonly lanes: OrderedLanes<Sample>;
  private readonly reorder: ReorderBuffer<Sample>;

  constructor(o: IntakeOptions) {
    this.o = o;
    this.legacyIdentity = o.families.map((f) => identityFor(f.plan).legacy);
    this.unsafeAllowed = o.families.map((f) => o.allowUnsafe && f.plan.parity.mirrorUnsafe);
    this.legacyQueue = new MirrorQueue(o.queue, o.concurrency);
    this.lanes = new OrderedLanes((s, done) => this.enqueue(s, done));
    this.reorder = new ReorderBuffer(o.reorderMs ?? REORDER_MS, (s, late) => {
      if (late) o.counters.outOfOrder++;
      this.lanes.push(partitionOf(o.families[s.family]!, s), s);
    });
  }

  /** Families with `parity.mirrorUnsafe` whose unsafe requests are skipped for want of `allowUnsafe`. */
  get unsafeHeldBack(): string[] {
    return this.o.families.filter((f, i) => f.plan.parity.mirrorUnsafe && !this.unsafeAllowed[i]).map((f) => f.name);
  }

  /** Legacy requests waiting and running. */
  get legacyInFlight(): number {
    return this.legacyQueue.depth + this.legacyQueue.inFlight;
  }

  /** The request handler of the mirror port. */
  handle(req: IncomingMessage, res: ServerResponse): void {
    const c = this.o.counters;
    c.received++;
    const method = req.method ?? 'GET';
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const path = q < 0 ? url : url.slice(0, q);
    if (unsafeTarget(path) !== undefined) {
      c.refusedTargets++;
      return skip(req, res);
    }
    const m = this.o.matcher.match(method, path);
    const named = req.headers[FAMILY_HEADER];
    // A family other than nginx's means its include file was rendered from another plan.
    if (!m || (typeof named === 'string' && named !== '' && this.o.families[m.family]!.name !== named)) {
      c.unmatched++;
      return skip(req, res);
    }
    const index = m.family;
    const fam = this.o.families[index]!;
    fam.stats.recordShadow('sampled');
    if (!SAFE_METHODS.has(method) && !this.unsafeAllowed[index]) {
      fam.stats.recordShadow('skippedUnsafe');
      return skip(req, res);
    }
    const max = this.o.maxCompareBytes;
    if (Number(req.headers['content-length']) > max) {
      fam.stats.recordShadow('skippedTooLarge');
      return skip(req, res);
    }
    if (!this.o.shadow.reserve(index)) {
      fam.stats.recordShadow('dropped');
      fam.counters.mirrorsDropped++;
      return skip(req, res);
    }
    const headers = mirroredHeaders(req);
    const given = headers['x-request-id'];
    const requestId = typeof given === 'string' && given !== '' ? given : randomUUID();
    const now = Date.now();
    headers['x-request-id'] = requestId;
    const sample: Sample = {
      family: index,
      method,
      url,
      route: m.route,
      headers,
      body: null,
      requestId,
      startedAt: now,
      takenAt: takenAtOf(req) ?? now,
    };
    if (!hasBody(req)) {
      answer(res);
      return this.start(sample);
    }
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer): void => {
      size += chunk.length;
      if (size <= max) {
        chunks.push(chunk);
        return;
      }
      req.off('data', onData).off('end', onEnd).off('error', onError);
      this.o.shadow.release(index);
      fam.stats.recordShadow('skippedTooLarge');
      skip(req, res);
    };
    const onEnd = (): void => {
      sample.body = Buffer.concat(chunks);
      answer(res);
      this.start(sample);
    };
    const onError = (): void => {
      this.o.shadow.release(index);
      fam.stats.recordShadow('errors');
    };
    req.on('data', onData).on('end', onEnd).on('error', onError);
  }

  /** Resolves once no mirror is held and no legacy request is waiting or running (their samples are with the pipeline). */
  async drained(): Promise<void> {
    await this.reorder.idle();
    await this.legacyQueue.drained();
  }

  private start(s: Sample): void {
    if (SAFE_METHODS.has(s.method)) this.enqueue(s, undefined);
    else this.reorder.push(s, s.takenAt);
  }

  private enqueue(s: Sample, then: (() => void) | undefined): void {
    const job = then ? () => this.toLegacy(s).finally(then) : () => this.toLegacy(s);
    if (this.legacyQueue.push(job)) return;
    // Slots bound the samples under way, so this is only reached with slots above the queue's room.
    const fam = this.o.families[s.family]!;
    this.o.shadow.release(s.family);
    fam.stats.recordShadow('dropped');
    fam.counters.mirrorsDropped++;
    then?.();
  }

  /** Legacy's answer to the sample, then the same path as a live sample of the router. */
  private async toLegacy(s: Sample): Promise<void> {
    const fam = this.o.families[s.family]!;
    let legacyHeaders = s.headers;
    try {
      const side = this.legacyIdentity[s.family];
      if (side !== undefined) legacyHeaders = await side.headers(s.headers);
      const timeout = fam.plan.guard.timeout;
      const legacy = await collect(
        fam.legacy,
        {
          path: s.url,
          method: s.method,
          headers: legacyHeaders,
          body: s.body,
          headersTimeout: timeout,
          bodyTimeout: timeout,
        },
        this.o.maxCompareBytes,
      );
      if (legacy === 'too-large') {
        this.o.shadow.release(s.family);
        fam.stats.recordShadow('skippedTooLarge');
        return;
      }
      fam.stats.recordShadow('mirrored');
      this.o.shadow.submit({
        ...s,
        legacyHeaders: legacyHeaders === s.headers ? undefined : legacyHeaders,
        legacy,
      });
    } catch {
      this.o.shadow.release(s.family);
      fam.stats.recordShadow('errors');
      const errors = this.o.counters.legacyErrors;
      errors[s.family] = (errors[s.family] ?? 0) + 1;
    }
  }
}
