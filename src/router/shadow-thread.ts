/**
 * The router thread's side of shadow comparison. A sampled request first takes a slot
 * ({@link ShadowThread.reserve}); with every slot taken the sample is dropped before anything is
 * buffered, so a shadow thread that falls behind costs the client path almost nothing. Once the
 * client has its legacy answer, the request is mirrored to the new service from here (from a
 * bounded queue, `mirrorConcurrency` at a time), so both latencies are measured alike. Both
 * answers are then batched (every 10 ms) to a worker thread (started with the router) that
 * compares them and learns noise; its reports are merged into the families' statistics here,
 * where the admin API and `/metrics` read them, and each batch's buffer comes back for reuse.
 */
import { performance } from 'node:perf_hooks';
import { Worker } from 'node:worker_threads';
import type { Dispatcher } from 'undici';
import type { Logger } from '../lib/logger.js';
import { SAFE_METHODS } from '../plan/route-pattern.js';
import { collect, type Collected } from './collect.js';
import type { FamilyRuntime } from './family.js';
import { MirrorQueue } from './mirror-queue.js';
import { ShadowProgress } from './shadow-progress.js';
import { SlowRoutes } from './slow-routes.js';
import { withHost } from './upstream-host.js';
import { identityFor, type SideIdentity } from './identity.js';
import type { CompareJob, FamilyReport } from './shadow.js';
import { SLOT, type ShadowInbox, type ShadowOutbox, type ShadowWorkerData, type WireJob } from './shadow-protocol.js';

/** A sampled exchange once the client has its answer. */
export interface CapturedExchange extends Pick<
  CompareJob,
  'family' | 'method' | 'url' | 'headers' | 'body' | 'route' | 'requestId' | 'host' | 'replayed'
> {
  /** The legacy answer the client received. */
  legacy: Collected;
  /**
   * The headers legacy got, when a legacy identity replaced some of the client's: the shadow
   * thread's second legacy samples must carry the same credential.
   */
  legacyHeaders?: Record<string, string | string[]> | undefined;
}

export interface ShadowThreadOptions {
  families: FamilyRuntime[];
  /** Mirrors waiting at most (beyond the running ones). */
  queue: number;
  /** Mirrors in flight at once (and, on the thread, second legacy requests for noise). */
  concurrency: number;
  /** Largest body compared, bytes. */
  maxCompareBytes: number;
  /** Scheduling priority of the shadow thread: 0 normal … 19 lowest. */
  nice: number;
  /** Event-loop utilization of the router thread (0–1) above which samples are dropped. */
  maxBusy: number;
  /**
   * After the thread stops unexpectedly, samples are dropped for this long (ms) before it is
   * restarted on the next one, so a thread that keeps crashing does not take the router with it.
   * @default 5000
   */
  restartAfterMs?: number;
  log: Logger;
}

/**
 * Finished mirrors are handed over at most this often (ms), or sooner once {@link BATCH_JOBS}
 * or {@link BATCH_BYTES} are waiting: every message wakes the thread, and a wake-up per sample
 * costs the proxy more than the comparison itself.
 */
const BATCH_MS = 10;
const BATCH_JOBS = 128;
/** Bodies in a batch, bytes; keeps batch buffers small enough to be kept for reuse. */
const BATCH_BYTES = 2 * 1024 * 1024;
/**
 * Batch buffers come back from the shadow thread once it is done with them and are reused: a
 * fresh buffer per batch is a fresh allocation the kernel faults in page by page (several faults
 * per 64 KB sample once a batch passes malloc's mmap threshold). At most this many wait for reuse.
 */
const SPARE_BUFFERS = 4;
/**
 * A batch buffer larger than this (bytes) is not kept for reuse, so spare buffers hold at most
 * 16 MB and a burst of huge bodies is not held on to.
 */
const SPARE_MAX_BYTES = 4 * 1024 * 1024;
/** Smallest batch buffer allocated (bytes); sizes are rounded up to a power of two so they fit later batches. */
const BUFFER_MIN_BYTES = 256 * 1024;
/** How often the router thread's utilization is taken (ms). */
const LOAD_EVERY_MS = 100;
/**
 * Even past `maxBusy`, one sample per family is let through this often (ms), so a busy router
 * still feeds every family's parity gate (5 a second each) instead of stalling migrations, and a
 * busy family does not take a quiet one's share.
 */
const TRICKLE_EVERY_MS = 200;

function spawn(data: ShadowWorkerData): Worker {
  const here = import.meta.url;
  if (here.endsWith('.ts')) {
    // Run from source (npx phoenix, tests): the worker needs the same TypeScript loader.
    const loader = JSON.stringify(import.meta.resolve('tsx/esm/api'));
    const entry = JSON.stringify(new URL('./shadow-worker.ts', here).href);
    return new Worker(`import(${loader}).then((m) => { m.register(); return import(${entry}); })`, {
      eval: true,
      workerData: data,
    });
  }
  return new Worker(new URL('./shadow-worker.js', here), { workerData: data });
}

export class ShadowThread {
  private readonly o: ShadowThreadOptions;
  /** Identity of each family's new side (undefined: the client's headers go as they are). */
  private readonly identities: Array<SideIdentity | undefined>;
  private worker: Worker | undefined;
  private readonly counters = new Int32Array(new SharedArrayBuffer(4 * 1));
  /** Slots taken (wrapping int32, like the thread's `done`). */
  private taken = 0;
  /** Jobs handed to the thread (wrapping int32); what a crashed thread had not done is `posted - done`. */
  private posted = 0;
  private readonly mirrors: MirrorQueue;
  private pending: { x: CapturedExchange; candidate: Collected; newHeaders: CompareJob['headers'] | undefined }[] = [];
  private pendingBytes = 0;
  private flushTimer: NodeJS.Timeout | undefined;
  private crashedAt = -Infinity;
  private closing = false;
  private nextDrain = 0;
  private readonly drains = new Map<number, () => void>();
  /** Event-loop utilization of the router thread over the last {@link LOAD_EVERY_MS}. */
  private busy = 0;
  private loadTimer: NodeJS.Timeout | undefined;
  /** When each family last had a sample let through past `maxBusy` (ms, `performance.now()`). */
  private readonly trickledAt: Float64Array;
  /** Batch buffers given back by the thread, ready for the next batches. */
  private readonly spare: ArrayBuffer[] = [];
  private allocated = 0;
  private readonly progress: ShadowProgress;
  /** Unsafe mirrors waiting behind the one under way, by partition (see {@link submit}). */
  private readonly lanes = new Map<string, CapturedExchange[]>();
  private readonly slowRoutes: SlowRoutes;

  constructor(o: ShadowThreadOptions) {
    // First, so a missing credential variable stops the router before anything starts.
    this.identities = o.families.map((f) => identityFor(f.plan).new);
    this.o = o;
    this.mirrors = new MirrorQueue(o.queue, o.concurrency);
    this.trickledAt = new Float64Array(o.families.length).fill(-Infinity);
    this.slowRoutes = new SlowRoutes(o.families);
    this.progress = new ShadowProgress(o.families.length);
    if (o.maxBusy < 1) {
      let last = performance.eventLoopUtilization();
      this.loadTimer = setInterval(() => {
        const now = performance.eventLoopUtilization();
        this.busy = performance.eventLoopUtilization(now, last).utilization;
        last = now;
      }, LOAD_EVERY_MS).unref();
    }
  }

  /** Slots taken and not yet finished: captures under way, waiting and running mirrors. */
  get outstanding(): number {
    return (this.taken - Atomics.load(this.counters, SLOT.done)) | 0;
  }

  /** Samples waiting: mirrors not sent yet and comparisons not made yet. */
  get depth(): number {
    return Math.max(0, this.outstanding - this.o.concurrency);
  }

  /** Batch buffers allocated since start; flat once the thread's buffers come back for reuse. */
  get buffersAllocated(): number {
    return this.allocated;
  }

  /**
   * Starts the thread ahead of the first sample: loading it blocks the router's thread for a
   * moment, which is better spent before traffic than in the middle of it.
   */
  warmUp(): void {
    if (!this.worker && !this.closing) this.start();
  }

  /** Takes a slot for a sample of family `family` (its index); false when the queue is full, the router too busy or the thread down (drop the sample). */
  reserve(family: number): boolean {
    if (this.outstanding >= this.o.queue + this.o.concurrency || this.closing) return false;
    // Mirrors are sent from this thread: past maxBusy they would take time clients need.
    if (this.busy > this.o.maxBusy) {
      const now = performance.now();
      if (now - this.trickledAt[family]! < TRICKLE_EVERY_MS) return false;
      this.trickledAt[family] = now;
    }
    if (!this.worker && !this.start()) return false;
    this.taken = (this.taken + 1) | 0;
    this.progress.started(family);
    return true;
  }

  /** Gives back the slot of family `family` (its index) whose capture came to nothing. */
  release(family: number): void {
    this.taken = (this.taken - 1) | 0;
    this.progress.finished(family, 1);
  }

  /**
   * A family's samples: `pending` hold a slot (capture, mirror or comparison under way), `done`
   * are finished (compared, or given up and counted) and in the statistics.
   */
  comparisons(family: number): { pending: number; done: number } {
    return this.progress.of(family);
  }

  /** Resolves once family `family` (its index) has no sample pending. */
  idle(family: number): Promise<void> {
    return this.progress.idle(family);
  }

  /**
   * Mirrors a finished capture (which holds a slot) and hands both answers to the shadow thread.
   * Unsafe requests of one partition (`parity.mirrorPartition`, by default the whole family) are
   * mirrored one at a time in the order legacy answered them, so the new service's state evolves
   * as legacy's did; safe ones run concurrently.
   */
  submit(x: CapturedExchange): void {
    const fam = this.o.families[x.family]!;
    if (SAFE_METHODS.has(x.method)) return this.enqueue(fam, x, undefined);
    const key = partitionOf(fam, x);
    const lane = this.lanes.get(key);
    if (lane) lane.push(x);
    else {
      this.lanes.set(key, []);
      this.runLane(key, fam, x);
    }
  }

  private runLane(key: string, fam: FamilyRuntime, x: CapturedExchange): void {
    this.enqueue(fam, x, () => {
      const next = this.lanes.get(key)?.shift();
      if (next) this.runLane(key, fam, next);
      else this.lanes.delete(key);
    });
  }

  private enqueue(fam: FamilyRuntime, x: CapturedExchange, then: (() => void) | undefined): void {
    const job = then ? () => this.mirror(fam, x).finally(then) : () => this.mirror(fam, x);
    if (this.mirrors.push(job)) return;
    this.release(x.family);
    fam.stats.recordShadow('dropped');
    fam.counters.mirrorsDropped++;
    then?.();
  }

  private async mirror(fam: FamilyRuntime, x: CapturedExchange): Promise<void> {
    const timeout = fam.plan.guard.timeout;
    const side = this.identities[x.family];
    let headers = x.headers;
    if (side !== undefined) {
      try {
        headers = await side.headers(x.headers);
      } catch {
        this.release(x.family);
        fam.stats.recordShadow('errors');
        fam.counters.mirrorErrors++;
        return;
      }
    }
    const request: Dispatcher.DispatchOptions = {
      path: x.url,
      method: x.method,
      headers: SAFE_METHODS.has(x.method)
        ? withHost(headers, x.host, fam.plan.preserveHost.new)
        : { ...withHost(headers, x.host, fam.plan.preserveHost.new), 'x-phoenix-shadow': '1' },
      body: x.body,
      headersTimeout: timeout,
      bodyTimeout: timeout,
    };
    let candidate: Collected | 'too-large';
    try {
      candidate = await collect(fam.candidate, request, this.o.maxCompareBytes);
    } catch {
      this.release(x.family);
      fam.stats.recordShadow('errors');
      fam.counters.mirrorErrors++;
      return;
    }
    if (candidate === 'too-large') {
      this.release(x.family);
      fam.stats.recordShadow('skippedTooLarge');
      return;
    }
    this.pending.push({ x, candidate, newHeaders: headers === x.headers ? undefined : headers });
    this.pendingBytes += x.legacy.size + candidate.size + (x.body?.length ?? 0);
    if (this.pending.length >= BATCH_JOBS || this.pendingBytes >= BATCH_BYTES) this.flush();
    else this.flushTimer ??= setTimeout(() => this.flush(), BATCH_MS);
  }

  /**
   * Judges family `family`'s slow routes now and tells the shadow thread if they changed: after a
   * triage decision (an accepted latency signature stops marking records) or a statistics reset.
   */
  latencyChanged(family: number): void {
    this.slowRoutes.judge(family, this.post());
  }

  /** Sends to the shadow thread; undefined while it is down. */
  private post(): ((m: ShadowInbox) => void) | undefined {
    const w = this.worker;
    return w && ((m) => w.postMessage(m));
  }

  /** Resolves once every submitted mirror has finished and its report was merged. */
  async drained(): Promise<void> {
    await this.mirrors.drained();
    this.flush();
    const w = this.worker;
    if (!w) return;
    const id = this.nextDrain++;
    await new Promise<void>((resolve) => {
      this.drains.set(id, resolve);
      w.postMessage({ type: 'drain', id } satisfies ShadowInbox);
    });
  }

  /** Finishes the mirrors under way and stops the thread. */
  async close(): Promise<void> {
    this.closing = true;
    clearInterval(this.loadTimer);
    this.slowRoutes.close();
    const w = this.worker;
    if (!w) return;
    await this.drained();
    const exited = new Promise((resolve) => w.once('exit', resolve));
    w.postMessage({ type: 'close' } satisfies ShadowInbox);
    const force = setTimeout(() => void w.terminate(), 2000);
    await exited;
    clearTimeout(force);
  }

  private start(): boolean {
    if (performance.now() - this.crashedAt < (this.o.restartAfterMs ?? 5000)) return false;
    const w = spawn({
      families: this.o.families.map((f) => f.plan),
      concurrency: this.o.concurrency,
      maxCompareBytes: this.o.maxCompareBytes,
      nice: this.o.nice,
      counters: this.counters.buffer,
    });
    w.unref();
    this.slowRoutes.restarted();
    w.on('message', (m: ShadowOutbox) => this.receive(m));
    w.on('error', (err) =>
      this.o.log.error({ err }, 'the shadow thread failed; samples are dropped until it restarts'),
    );
    w.on('exit', (code) => {
      if (this.worker !== w) return;
      this.worker = undefined;
      for (const resolve of this.drains.values()) resolve();
      this.drains.clear();
      if (this.closing) return;
      // The jobs it had not finished are lost; their slots are free again.
      const lost = (this.posted - Atomics.load(this.counters, SLOT.done)) | 0;
      Atomics.add(this.counters, SLOT.done, lost);
      this.progress.lost();
      this.crashedAt = performance.now();
      this.o.log.error(
        { code, lost },
        'the shadow thread stopped; the comparisons it had not made are lost, and it restarts on a later sample',
      );
    });
    this.worker = w;
    return true;
  }

  private flush(): void {
    clearTimeout(this.flushTimer);
    this.flushTimer = undefined;
    const batch = this.pending;
    if (batch.length === 0 || !this.worker) return;
    this.pending = [];
    const total = this.pendingBytes;
    this.pendingBytes = 0;
    const packed = this.batchBuffer(total);
    let at = 0;
    const place = (bufs: Buffer[], size: number): Uint8Array => {
      const view = packed.subarray(at, at + size);
      for (const b of bufs) {
        packed.set(b, at);
        at += b.length;
      }
      return view;
    };
    const answer = (a: Collected): WireJob['legacy'] => ({
      status: a.status,
      headers: a.headers,
      body: place(a.chunks, a.size),
    });
    const jobs = batch.map(({ x, candidate, newHeaders }): WireJob => ({
      family: x.family,
      method: x.method,
      url: x.url,
      headers: x.legacyHeaders ?? x.headers,
      body: x.body ? place([x.body], x.body.length) : null,
      route: x.route,
      requestId: x.requestId,
      legacy: answer(x.legacy),
      candidate: answer(candidate),
      legacyMs: x.legacy.ms,
      newMs: candidate.ms,
      ...(x.host !== undefined ? { host: x.host } : {}),
      ...(newHeaders !== undefined ? { newHeaders } : {}),
      ...(x.replayed ? { replayed: true as const } : {}),
    }));
    const buffer = packed.buffer as ArrayBuffer;
    this.worker.postMessage({ type: 'jobs', jobs, buffer } satisfies ShadowInbox, [buffer]);
    this.posted = (this.posted + jobs.length) | 0;
    for (const j of jobs) this.progress.posted(j.family);
  }

  /** `size` bytes in a buffer of its own (not from Node's pool, so it can be transferred), reused when one came back. */
  private batchBuffer(size: number): Buffer {
    let best = -1;
    for (let i = 0; i < this.spare.length; i++) {
      const len = this.spare[i]!.byteLength;
      if (len >= size && (best < 0 || len < this.spare[best]!.byteLength)) best = i;
    }
    if (best >= 0) return Buffer.from(this.spare.splice(best, 1)[0]!, 0, size);
    this.allocated++;
    const capacity = size > SPARE_MAX_BYTES ? size : Math.max(BUFFER_MIN_BYTES, 2 ** Math.ceil(Math.log2(size)));
    // No zero-fill: every byte handed over is written first.
    return Buffer.allocUnsafeSlow(capacity).subarray(0, size);
  }

  private recycle(buffer: ArrayBuffer): void {
    if (buffer.byteLength > SPARE_MAX_BYTES) return;
    if (this.spare.length < SPARE_BUFFERS) {
      this.spare.push(buffer);
      return;
    }
    // Full: keep the larger buffers, which fit every batch the smaller ones do.
    let smallest = 0;
    for (let i = 1; i < this.spare.length; i++)
      if (this.spare[i]!.byteLength < this.spare[smallest]!.byteLength) smallest = i;
    if (this.spare[smallest]!.byteLength < buffer.byteLength) this.spare[smallest] = buffer;
  }

  private receive(m: ShadowOutbox): void {
    switch (m.type) {
      case 'recycle':
        this.recycle(m.buffer);
        return;
      case 'ready':
        if (m.warning) this.o.log.warn(m.warning);
        return;
      case 'report':
        for (const [i, report] of m.families) {
          const fam = this.o.families[i];
          if (fam) merge(fam, report);
          if (fam && report.comparisons.length > 0) this.slowRoutes.compared(i, () => this.post());
          this.progress.reported(i, report.finished);
        }
        return;
      case 'drained':
        this.drains.get(m.id)?.();
        this.drains.delete(m.id);
        return;
    }
  }
}

/** The ordering partition of an unsafe mirror: the family, or the family and a header's value. */
function partitionOf(fam: FamilyRuntime, x: CapturedExchange): string {
  const by = fam.plan.parity.mirrorPartition;
  if (by === undefined) return String(x.family);
  const v = x.headers[by.header.toLowerCase()];
  return `${x.family}\n${Array.isArray(v) ? v.join(',') : (v ?? '')}`;
}

/** Adds what the shadow thread found to the family's statistics, counters and rings. */
function merge(fam: FamilyRuntime, r: FamilyReport): void {
  const now = Date.now();
  for (const c of r.comparisons) {
    fam.stats.recordComparison(c.route, c, c.legacyMs, c.newMs, now);
    fam.counters.comparisons++;
    if (c.replayed) fam.counters.replayed++;
    for (const k of new Set(c.informational.map((d) => d.kind)))
      fam.counters.informational[k] = (fam.counters.informational[k] ?? 0) + 1;
    if (c.equal) continue;
    for (const k of new Set(c.differences.map((d) => d.kind)))
      fam.counters.mismatches[k] = (fam.counters.mismatches[k] ?? 0) + 1;
  }
  for (const m of r.mismatches) fam.mismatches.push(m);
  for (const m of r.informational) fam.informational.push(m);
  for (const s of r.samples) fam.samples.push(s);
  if (r.noise) fam.noise.load(r.noise);
}
