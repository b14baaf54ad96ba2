/**
 * Keeps the shadow thread told which routes are flagged slower, so it records their comparisons
 * with a `latency` difference (see `judge.ts`). The flags live in the router thread's statistics
 * and judging them costs O(buckets) per route with new samples, so a family is judged at most
 * every {@link SLOW_ROUTES_EVERY_MS} as reports arrive (and at once after a triage change or a
 * statistics reset), and the thread hears only of changes.
 */
import type { FamilyRuntime } from '../family.js';
import type { ShadowInbox } from './protocol.js';

/** Least time between two judgements of one family's slow routes as reports arrive, ms. */
export const SLOW_ROUTES_EVERY_MS = 250;

export class SlowRoutes {
  private readonly families: readonly FamilyRuntime[];
  /** When each family was last judged (`performance.now()`). */
  private readonly judgedAt: Float64Array;
  /** What the thread was last told, per family, as JSON; absent: nothing (no slow route). */
  private sent: (string | undefined)[] = [];
  private readonly timers: (NodeJS.Timeout | undefined)[] = [];

  constructor(families: readonly FamilyRuntime[]) {
    this.families = families;
    this.judgedAt = new Float64Array(families.length).fill(-Infinity);
  }

  /** A new shadow thread knows no slow route yet. */
  restarted(): void {
    this.sent = [];
    this.judgedAt.fill(-Infinity);
  }

  /** Judges `family` now and posts its slow routes through `post` if they changed. */
  judge(family: number, post: ((m: ShadowInbox) => void) | undefined): void {
    clearTimeout(this.timers[family]);
    this.timers[family] = undefined;
    this.judgedAt[family] = performance.now();
    const fam = this.families[family];
    if (!post || !fam) return;
    const routes = fam.stats.slowRoutes();
    const key = JSON.stringify(routes);
    if (key === (this.sent[family] ?? '[]')) return;
    this.sent[family] = key;
    post({ type: 'latency', family, routes });
  }

  /** After new comparisons of `family`: judges it now, or once {@link SLOW_ROUTES_EVERY_MS} has passed. */
  compared(family: number, post: () => ((m: ShadowInbox) => void) | undefined): void {
    const wait = SLOW_ROUTES_EVERY_MS - (performance.now() - this.judgedAt[family]!);
    if (wait <= 0) return this.judge(family, post());
    this.timers[family] ??= setTimeout(() => this.judge(family, post()), wait).unref();
  }

  close(): void {
    for (const t of this.timers) clearTimeout(t);
  }
}
