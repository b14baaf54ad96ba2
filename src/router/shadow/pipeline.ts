/**
 * Shadow comparison as the router thread runs it. A sampled request first takes a slot
 * ({@link Admission}); without one the sample is dropped before anything is buffered, so a shadow
 * thread that falls behind costs the client path almost nothing. Once the client has its legacy
 * answer, the request is mirrored to the new service from here (from a bounded queue,
 * `mirrorConcurrency` at a time; unsafe ones in order per partition), both answers are batched to
 * the shadow thread, which compares them and learns noise, and its reports are merged into the
 * families' statistics here, where the admin API and `/metrics` read them.
 */
import type { Logger } from '../../lib/logger.js';
import { SAFE_METHODS } from '../../plan/route-pattern.js';
import type { FamilyRuntime } from '../family.js';
import { identityFor, type SideIdentity } from '../identity.js';
import { Admission } from './admission.js';
import { Batcher } from './batcher.js';
import { mergeReport } from './merge-report.js';
import { mirrorToNew } from './mirror.js';
import { MirrorQueue } from './mirror-queue.js';
import { OrderedLanes, partitionOf } from './ordered-lanes.js';
import { ShadowProgress } from './progress.js';
import type { CapturedExchange, FamilyReport } from './report.js';
import { SlowRoutes } from './slow-routes.js';
import { ThreadHost } from './thread-host.js';

export type { CapturedExchange } from './report.js';

export interface ShadowPipelineOptions {
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
  /** The window `maxBusy` is measured over (ms). @default 1000 */
  busyWindowMs?: number;
  /**
   * After the thread stops unexpectedly, samples are dropped for this long (ms) before it is
   * restarted on the next one, so a thread that keeps crashing does not take the router with it.
   * @default 5000
   */
  restartAfterMs?: number;
  log: Logger;
}

export class ShadowPipeline {
  private readonly o: ShadowPipelineOptions;
  /** Identity of each family's new side (undefined: the client's headers go as they are). */
  private readonly identities: Array<SideIdentity | undefined>;
  private readonly admission: Admission;
  private readonly thread: ThreadHost;
  private readonly mirrors: MirrorQueue;
  private readonly lanes: OrderedLanes<CapturedExchange>;
  private readonly batcher: Batcher;
  private readonly progress: ShadowProgress;
  private readonly slowRoutes: SlowRoutes;
  private closing = false;

  constructor(o: ShadowPipelineOptions) {
    // First, so a missing credential variable stops the router before anything starts.
    this.identities = o.families.map((f) => identityFor(f.plan).new);
    this.o = o;
    const counters = new Int32Array(new SharedArrayBuffer(4 * 1));
    this.admission = new Admission({
      families: o.families.length,
      slots: o.queue + o.concurrency,
      maxBusy: o.maxBusy,
      busyWindowMs: o.busyWindowMs ?? 1000,
      counters,
    });
    this.mirrors = new MirrorQueue(o.queue, o.concurrency);
    this.lanes = new OrderedLanes((x, done) => this.enqueue(x, done));
    this.slowRoutes = new SlowRoutes(o.families);
    this.progress = new ShadowProgress(o.families.length);
    this.thread = new ThreadHost({
      data: {
        families: o.families.map((f) => f.plan),
        concurrency: o.concurrency,
        maxCompareBytes: o.maxCompareBytes,
        nice: o.nice,
      },
      counters,
      ...(o.restartAfterMs !== undefined ? { restartAfterMs: o.restartAfterMs } : {}),
      log: o.log,
      onReport: (families) => this.merge(families),
      onRecycle: (buffer) => this.batcher.buffers.recycle(buffer),
      onStart: () => this.slowRoutes.restarted(),
      onLost: () => this.progress.lost(),
    });
    this.batcher = new Batcher({
      ready: () => this.thread.running,
      send: (jobs, buffer) => {
        this.thread.sendJobs(jobs, buffer);
        for (const j of jobs) this.progress.posted(j.family);
      },
    });
  }

  /** Slots taken and not yet finished: captures under way, waiting and running mirrors. */
  get outstanding(): number {
    return this.admission.outstanding;
  }

  /** Samples waiting: mirrors not sent yet and comparisons not made yet. */
  get depth(): number {
    return Math.max(0, this.outstanding - this.o.concurrency);
  }

  /** Batch buffers allocated since start; flat once the thread's buffers come back for reuse. */
  get buffersAllocated(): number {
    return this.batcher.buffers.allocated;
  }

  /**
   * Starts the thread ahead of the first sample: loading it blocks the router's thread for a
   * moment, which is better spent before traffic than in the middle of it.
   */
  warmUp(): void {
    if (!this.closing) this.thread.start();
  }

  /** Takes a slot for a sample of family `family` (its index); false when the queue is full, the router too busy or the thread down (drop the sample). */
  reserve(family: number): boolean {
    if (this.closing || !this.admission.allows(family) || !this.thread.start()) return false;
    this.admission.take();
    this.progress.started(family);
    return true;
  }

  /** Gives back the slot of family `family` (its index) whose capture came to nothing. */
  release(family: number): void {
    this.admission.give();
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
   * Unsafe requests are mirrored one at a time per partition, in the order legacy answered them
   * (see `ordered-lanes.ts`); safe ones run concurrently.
   */
  submit(x: CapturedExchange): void {
    if (SAFE_METHODS.has(x.method)) this.enqueue(x, undefined);
    else this.lanes.push(partitionOf(this.o.families[x.family]!, x), x);
  }

  private enqueue(x: CapturedExchange, then: (() => void) | undefined): void {
    const job = then ? () => this.mirror(x).finally(then) : () => this.mirror(x);
    if (this.mirrors.push(job)) return;
    const fam = this.o.families[x.family]!;
    this.release(x.family);
    fam.stats.recordShadow('dropped');
    fam.counters.mirrorsDropped++;
    then?.();
  }

  private async mirror(x: CapturedExchange): Promise<void> {
    const fam = this.o.families[x.family]!;
    const mirrored = await mirrorToNew(fam, x, this.identities[x.family], this.o.maxCompareBytes);
    if (mirrored === 'failed' || mirrored === 'too-large') {
      this.release(x.family);
      if (mirrored === 'too-large') fam.stats.recordShadow('skippedTooLarge');
      else {
        fam.stats.recordShadow('errors');
        fam.counters.mirrorErrors++;
      }
      return;
    }
    this.batcher.add(x, mirrored);
  }

  private merge(families: [number, FamilyReport][]): void {
    for (const [i, report] of families) {
      const fam = this.o.families[i];
      if (fam) mergeReport(fam, report);
      if (fam && report.comparisons.length > 0) this.slowRoutes.compared(i, () => this.thread.poster());
      this.progress.reported(i, report.finished);
    }
  }

  /**
   * Judges family `family`'s slow routes now and tells the shadow thread if they changed: after a
   * triage decision (an accepted latency signature stops marking records) or a statistics reset.
   */
  latencyChanged(family: number): void {
    this.slowRoutes.judge(family, this.thread.poster());
  }

  /** Resolves once every submitted mirror has finished and its report was merged. */
  async drained(): Promise<void> {
    await this.mirrors.drained();
    this.batcher.flush();
    await this.thread.drained();
  }

  /** Finishes the mirrors under way and stops the thread. */
  async close(): Promise<void> {
    this.closing = true;
    this.admission.close();
    this.slowRoutes.close();
    if (!this.thread.running) return;
    await this.drained();
    await this.thread.close();
  }
}
