/**
 * The bounded queue shadow mirrors run from: at most `concurrency` in flight, at most `limit`
 * waiting, and anything beyond is dropped (and counted by the caller) rather than delaying or
 * growing without bound. The client's response never waits on it.
 */
export class MirrorQueue {
  private readonly limit: number;
  private readonly concurrency: number;
  private readonly waiting: (() => Promise<void>)[] = [];
  private head = 0;
  private running = 0;
  private idle: (() => void)[] = [];

  constructor(limit: number, concurrency: number) {
    this.limit = limit;
    this.concurrency = concurrency;
  }

  /** Jobs waiting (not counting those running). */
  get depth(): number {
    return this.waiting.length - this.head;
  }

  get inFlight(): number {
    return this.running;
  }

  /** Queues `job`; false when the queue is full and the job was dropped. */
  push(job: () => Promise<void>): boolean {
    if (this.running < this.concurrency) {
      this.run(job);
      return true;
    }
    if (this.depth >= this.limit) return false;
    this.waiting.push(job);
    return true;
  }

  /** Resolves when nothing is waiting or running. */
  drained(): Promise<void> {
    if (this.running === 0 && this.depth === 0) return Promise.resolve();
    return new Promise((resolve) => this.idle.push(resolve));
  }

  private run(job: () => Promise<void>): void {
    this.running++;
    job()
      .catch(() => {})
      .finally(() => {
        this.running--;
        const next = this.head < this.waiting.length ? this.waiting[this.head++] : undefined;
        if (this.head > 1024 && this.head * 2 > this.waiting.length) {
          this.waiting.splice(0, this.head);
          this.head = 0;
        }
        if (next) this.run(next);
        else if (this.running === 0) for (const r of this.idle.splice(0)) r();
      });
  }
}
