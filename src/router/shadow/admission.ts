/**
 * Which samples shadow comparison takes. A sample holds a slot from its capture until its
 * comparison is merged, and there are only so many, so a shadow thread that falls behind makes the
 * router drop samples instead of buffering them. Past the router thread's busy threshold only a
 * trickle per family is taken: mirrors are sent from the router thread and would take the time
 * clients need.
 */
import { performance, type EventLoopUtilization } from 'node:perf_hooks';
import { SLOT } from './protocol.js';

/** How often the router thread's utilization is taken (ms). */
const LOAD_EVERY_MS = 100;
/**
 * Even past `maxBusy`, one sample per family is let through this often (ms), so a busy router
 * still feeds every family's parity gate (5 a second each) instead of stalling migrations, and a
 * busy family does not take a quiet one's share.
 */
const TRICKLE_EVERY_MS = 200;

export interface AdmissionOptions {
  families: number;
  /** Slots: samples under way at most (captures, mirrors, comparisons). */
  slots: number;
  /** Event-loop utilization of the router thread (0–1) above which only the trickle is taken. */
  maxBusy: number;
  /**
   * The window `maxBusy` is judged over (ms), sliding by {@link LOAD_EVERY_MS}. A short window
   * sheds on every scheduling hiccup at half load; a long one is slow to protect clients when
   * load rises.
   */
  busyWindowMs: number;
  /** The counters shared with the shadow thread, which counts finished jobs in {@link SLOT.done}. */
  counters: Int32Array;
}

export class Admission {
  private readonly o: AdmissionOptions;
  /** Slots taken (wrapping int32, like the thread's `done`). */
  private taken = 0;
  /** Event-loop utilization of the router thread over the last `busyWindowMs`. */
  private busy = 0;
  private readonly loadTimer: NodeJS.Timeout | undefined;
  /** When each family last had a sample let through past `maxBusy` (ms, `performance.now()`). */
  private readonly trickledAt: Float64Array;

  constructor(o: AdmissionOptions) {
    this.o = o;
    this.trickledAt = new Float64Array(o.families).fill(-Infinity);
    if (o.maxBusy < 1) {
      // The readings of the last window, oldest first at `next`: utilization since the oldest.
      const ring = new Array<EventLoopUtilization>(Math.max(1, Math.round(o.busyWindowMs / LOAD_EVERY_MS)));
      ring.fill(performance.eventLoopUtilization());
      let next = 0;
      this.loadTimer = setInterval(() => {
        const now = performance.eventLoopUtilization();
        this.busy = performance.eventLoopUtilization(now, ring[next]).utilization;
        ring[next] = now;
        next = (next + 1) % ring.length;
      }, LOAD_EVERY_MS).unref();
    }
  }

  /** Slots taken and not yet finished. */
  get outstanding(): number {
    return (this.taken - Atomics.load(this.o.counters, SLOT.done)) | 0;
  }

  /** Whether a sample of `family` (its index) may take a slot now; counts it against the trickle when let through past `maxBusy`. */
  allows(family: number): boolean {
    if (this.outstanding >= this.o.slots) return false;
    if (this.busy <= this.o.maxBusy) return true;
    const now = performance.now();
    if (now - this.trickledAt[family]! < TRICKLE_EVERY_MS) return false;
    this.trickledAt[family] = now;
    return true;
  }

  take(): void {
    this.taken = (this.taken + 1) | 0;
  }

  give(): void {
    this.taken = (this.taken - 1) | 0;
  }

  close(): void {
    clearInterval(this.loadTimer);
  }
}
