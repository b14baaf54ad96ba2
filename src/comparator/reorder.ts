/**
 * Puts unsafe mirrors back in the order nginx took their requests on. On one client connection
 * nginx keeps the order itself (it reads the next request once the mirror is answered), but
 * writes on different connections, or handled by different nginx workers, can reach the
 * comparator in another order: a mirror on a new upstream connection waits for its handshake, and
 * sockets that are ready together are read in descriptor order, not in arrival order. nginx stamps
 * each mirror with the time it took the request on (`X-Phoenix-Taken-At`, `src/nginx/render.ts`).
 *
 * Each unsafe mirror is held for `holdMs` after it arrives; once the oldest is due, it goes with
 * every held mirror stamped before it, in stamp order (arrival order among equal stamps, since the
 * stamp has millisecond resolution). A mirror arriving more than `holdMs` after one stamped later
 * went on is out of order: it still goes on, and is counted.
 */

interface Held<T> {
  item: T;
  takenAt: number;
  arrived: number;
}

export class ReorderBuffer<T> {
  private readonly holdMs: number;
  private readonly release: (item: T, late: boolean) => void;
  /** Sorted by stamp, then arrival (an insertion goes after every equal stamp). */
  private held: Held<T>[] = [];
  private timer: NodeJS.Timeout | undefined;
  /** The latest stamp released so far. */
  private latest = -Infinity;
  private idleWaiters: (() => void)[] = [];

  /**
   * @param holdMs how long an arrived mirror waits for one stamped earlier, ms (0 releases at once)
   * @param release takes each mirror in order; `late` when one stamped later already went on
   */
  constructor(holdMs: number, release: (item: T, late: boolean) => void) {
    this.holdMs = holdMs;
    this.release = release;
  }

  /** Holds `item`, stamped `takenAt` (epoch ms), arrived at `now`. */
  push(item: T, takenAt: number, now = Date.now()): void {
    const h: Held<T> = { item, takenAt, arrived: now };
    if (this.holdMs <= 0) return this.emit(h);
    let i = this.held.length;
    while (i > 0 && this.held[i - 1]!.takenAt > takenAt) i--;
    this.held.splice(i, 0, h);
    this.timer ??= setTimeout(() => this.due(), this.holdMs);
  }

  /** Resolves once nothing is held. */
  idle(): Promise<void> {
    if (this.held.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private due(): void {
    this.timer = undefined;
    const now = Date.now();
    let last = -1;
    for (let i = 0; i < this.held.length; i++) if (this.held[i]!.arrived + this.holdMs <= now) last = i;
    for (const h of this.held.splice(0, last + 1)) this.emit(h);
    if (this.held.length > 0) {
      let next = Infinity;
      for (const h of this.held) next = Math.min(next, h.arrived + this.holdMs);
      this.timer = setTimeout(() => this.due(), Math.max(1, next - now));
      return;
    }
    for (const w of this.idleWaiters.splice(0)) w();
  }

  private emit(h: Held<T>): void {
    const late = h.takenAt < this.latest;
    if (!late) this.latest = h.takenAt;
    this.release(h.item, late);
  }
}
