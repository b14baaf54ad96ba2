/**
 * Starts and talks to the shadow thread (`compare-thread.ts`), started with the router so loading
 * it does not stall traffic. A thread that stops unexpectedly loses the jobs it had not finished:
 * their slots are freed, and it is restarted on a later sample once `restartAfterMs` has passed,
 * so a thread that keeps crashing does not take the router with it.
 */
import { performance } from 'node:perf_hooks';
import { Worker } from 'node:worker_threads';
import { isCompiledFresh } from '../../../bin/compiled.mjs';
import type { Logger } from '../../lib/logger.js';
import type { FamilyReport } from './report.js';
import { SLOT, type ShadowInbox, type ShadowOutbox, type ShadowWorkerData, type WireJob } from './protocol.js';

export interface ThreadHostOptions {
  data: Omit<ShadowWorkerData, 'counters'>;
  /** Shared with {@link Admission}: the thread counts finished jobs in {@link SLOT.done}. */
  counters: Int32Array;
  /** @default 5000 (ms) */
  restartAfterMs?: number;
  log: Logger;
  /** A report of what the thread found, per family index. */
  onReport(families: [number, FamilyReport][]): void;
  /** A batch buffer the thread is done with. */
  onRecycle(buffer: ArrayBuffer): void;
  /** A new thread started (it knows nothing the previous one was told). */
  onStart(): void;
  /** The thread stopped unexpectedly; what it had not reported is lost. */
  onLost(): void;
}

function spawn(data: ShadowWorkerData): Worker {
  const here = import.meta.url;
  if (!here.endsWith('.ts')) return new Worker(new URL('./compare-thread.js', here), { workerData: data });
  // Run from source (npx phoenix, tests): the compiled copy in dist/ when it matches src/, as the
  // CLI does; a thread loading TypeScript through tsx costs every router start about 0.8 s more CPU.
  if (isCompiledFresh())
    return new Worker(new URL('../../../dist/router/shadow/compare-thread.js', here), { workerData: data });
  // Otherwise the thread needs the same TypeScript loader.
  const loader = JSON.stringify(import.meta.resolve('tsx/esm/api'));
  const entry = JSON.stringify(new URL('./compare-thread.ts', here).href);
  return new Worker(`import(${loader}).then((m) => { m.register(); return import(${entry}); })`, {
    eval: true,
    workerData: data,
  });
}

export class ThreadHost {
  private readonly o: ThreadHostOptions;
  private worker: Worker | undefined;
  /** Jobs handed to the thread (wrapping int32); what a crashed thread had not done is `posted - done`. */
  private posted = 0;
  private crashedAt = -Infinity;
  private closing = false;
  private nextDrain = 0;
  private readonly drains = new Map<number, () => void>();

  constructor(o: ThreadHostOptions) {
    this.o = o;
  }

  get running(): boolean {
    return this.worker !== undefined;
  }

  /** Starts the thread unless it crashed less than `restartAfterMs` ago; false when it is not running. */
  start(): boolean {
    if (this.worker) return true;
    if (this.closing || performance.now() - this.crashedAt < (this.o.restartAfterMs ?? 5000)) return false;
    const w = spawn({ ...this.o.data, counters: this.o.counters.buffer as SharedArrayBuffer });
    w.unref();
    this.o.onStart();
    w.on('message', (m: ShadowOutbox) => this.receive(m));
    w.on('error', (err) =>
      this.o.log.error({ err }, 'the shadow thread failed; samples are dropped until it restarts'),
    );
    w.on('exit', (code) => this.exited(w, code));
    this.worker = w;
    return true;
  }

  /** Sends to the thread; undefined while it is down. */
  poster(): ((m: ShadowInbox) => void) | undefined {
    const w = this.worker;
    return w && ((m) => w.postMessage(m));
  }

  /** Hands a batch over, its buffer transferred. */
  sendJobs(jobs: WireJob[], buffer: ArrayBuffer): void {
    this.worker?.postMessage({ type: 'jobs', jobs, buffer } satisfies ShadowInbox, [buffer]);
    this.posted = (this.posted + jobs.length) | 0;
  }

  /** Resolves once the thread has finished every job handed over and reported it. */
  async drained(): Promise<void> {
    const w = this.worker;
    if (!w) return;
    const id = this.nextDrain++;
    await new Promise<void>((resolve) => {
      this.drains.set(id, resolve);
      w.postMessage({ type: 'drain', id } satisfies ShadowInbox);
    });
  }

  /** Lets the thread finish its jobs and stop (terminated after 2 s). */
  async close(): Promise<void> {
    this.closing = true;
    const w = this.worker;
    if (!w) return;
    await this.drained();
    const exited = new Promise((resolve) => w.once('exit', resolve));
    w.postMessage({ type: 'close' } satisfies ShadowInbox);
    const force = setTimeout(() => void w.terminate(), 2000);
    await exited;
    clearTimeout(force);
  }

  private exited(w: Worker, code: number): void {
    if (this.worker !== w) return;
    this.worker = undefined;
    for (const resolve of this.drains.values()) resolve();
    this.drains.clear();
    if (this.closing) return;
    // The jobs it had not finished are lost; their slots are free again.
    const lost = (this.posted - Atomics.load(this.o.counters, SLOT.done)) | 0;
    Atomics.add(this.o.counters, SLOT.done, lost);
    this.o.onLost();
    this.crashedAt = performance.now();
    this.o.log.error(
      { code, lost },
      'the shadow thread stopped; the comparisons it had not made are lost, and it restarts on a later sample',
    );
  }

  private receive(m: ShadowOutbox): void {
    switch (m.type) {
      case 'recycle':
        this.o.onRecycle(m.buffer);
        return;
      case 'ready':
        if (m.warning) this.o.log.warn(m.warning);
        return;
      case 'report':
        this.o.onReport(m.families);
        return;
      case 'drained':
        this.drains.get(m.id)?.();
        this.drains.delete(m.id);
        return;
    }
  }
}
