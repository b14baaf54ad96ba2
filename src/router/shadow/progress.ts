/**
 * How far each family's shadow samples have got, so a caller can wait until comparisons have
 * drained (`GET /v1/families/:family/comparisons?wait=`). A sample is pending from the moment it
 * takes a slot until its comparison is merged into the statistics, or it is given up (too large,
 * mirror failed, dropped, lost with a crashed thread).
 */
export class ShadowProgress {
  /** Per family (by index): samples holding a slot, samples finished, jobs posted to and reported by the thread. */
  private readonly perFamily: { pending: number; done: number; posted: number; reported: number }[];
  private readonly waiters = new Map<number, (() => void)[]>();

  constructor(families: number) {
    this.perFamily = Array.from({ length: families }, () => ({ pending: 0, done: 0, posted: 0, reported: 0 }));
  }

  /** A sample of `family` took a slot. */
  started(family: number): void {
    this.perFamily[family]!.pending++;
  }

  /** A job of `family` was handed to the shadow thread. */
  posted(family: number): void {
    this.perFamily[family]!.posted++;
  }

  /** The thread reported `n` finished jobs of `family` (their results are merged). */
  reported(family: number, n: number): void {
    const f = this.perFamily[family];
    if (!f) return;
    f.reported += n;
    this.finished(family, n);
  }

  /** The thread died: what it had not reported is lost, and no longer pending. */
  lost(): void {
    for (const [i, f] of this.perFamily.entries()) {
      const gone = f.posted - f.reported;
      f.reported = f.posted;
      this.finished(i, gone);
    }
  }

  /** `n` samples of `family` finished (compared, or given up). */
  finished(family: number, n: number): void {
    const f = this.perFamily[family];
    if (!f || n === 0) return;
    f.pending -= n;
    f.done += n;
    if (f.pending > 0) return;
    const waiting = this.waiters.get(family);
    if (!waiting) return;
    this.waiters.delete(family);
    for (const resolve of waiting) resolve();
  }

  /** `pending` hold a slot; `done` are finished and in the statistics. */
  of(family: number): { pending: number; done: number } {
    const f = this.perFamily[family]!;
    return { pending: f.pending, done: f.done };
  }

  /** Resolves once `family` has no sample pending. */
  idle(family: number): Promise<void> {
    if (this.perFamily[family]!.pending <= 0) return Promise.resolve();
    return new Promise((resolve) => {
      let list = this.waiters.get(family);
      if (!list) this.waiters.set(family, (list = []));
      list.push(resolve);
    });
  }
}
