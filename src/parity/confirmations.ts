/**
 * Which differences a safe request confirms with legacy before they count. Legacy's first answers
 * may happen to agree where it varies (a field it sends half the time); asked again, it shows
 * that, and the difference is learned as noise. Each kind of difference (`kind path`) is confirmed
 * a few times per route, so a real regression costs legacy a bounded number of requests, not some
 * on every request. Pure.
 */
import { normalizePath } from './json-path.js';
import type { Difference } from './types.js';

/** Further legacy answers asked for to confirm a difference on a safe request before it is judged. */
export const CONFIRM_SAMPLES = 2;
/**
 * Times a kind of difference is confirmed on a route before it counts without asking legacy
 * again: a field legacy sends half the time escapes two more answers 1 time in 4, three rounds 1
 * in 64.
 */
export const CONFIRM_ROUNDS = 3;
/** Kinds of difference tracked per route (memory stays fixed); past them, none is confirmed. */
const KINDS_PER_ROUTE = 256;

/** How often each kind of difference was confirmed, by route. */
export class Confirmations {
  private readonly byRoute = new Map<string, Map<string, number>>();

  /**
   * Whether a safe request's `differences` on `route` hold a kind confirmed there fewer than
   * {@link CONFIRM_ROUNDS} times; counts this confirmation for each such kind.
   */
  wanted(route: string, differences: readonly Difference[]): boolean {
    let seen = this.byRoute.get(route);
    if (!seen) this.byRoute.set(route, (seen = new Map<string, number>()));
    let wanted = false;
    for (const d of differences) {
      const key = `${d.kind} ${normalizePath(d.path)}`;
      const n = seen.get(key) ?? 0;
      if (n >= CONFIRM_ROUNDS || (n === 0 && seen.size >= KINDS_PER_ROUTE)) continue;
      seen.set(key, n + 1);
      wanted = true;
    }
    return wanted;
  }
}
