/** Query parameters of the admin API's list endpoints: `limit`, `after` (a cursor) and `wait`, checked. */
import { AdminError } from './admin-error.js';
import type { Ring } from './family.js';

export function limitOf(url: URL, max: number): number {
  const raw = url.searchParams.get('limit');
  if (raw === null) return max;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1)
    throw new AdminError(400, 'PHX_ERR_ADMIN_BAD_REQUEST', `limit: expected a whole number ≥ 1, got "${raw}"`);
  return Math.min(n, max);
}

export function wholeParam(url: URL, name: string, min: number): number | undefined {
  const raw = url.searchParams.get(name);
  if (raw === null) return undefined;
  const n = Number(raw);
  if (raw === '' || !Number.isInteger(n) || n < min)
    throw new AdminError(400, 'PHX_ERR_ADMIN_BAD_REQUEST', `${name}: expected a whole number ≥ ${min}, got "${raw}"`);
  return n;
}

/**
 * One page of a record ring. Without `after`: the newest `limit`, newest first. With `after`
 * (a `seq` from an earlier page, 0 for the start): up to `limit` records after it, oldest first.
 * `next` is the cursor for the following page; `first` is the oldest `seq` still held, so a gap
 * (`after + 1 < first`) tells the caller records were overwritten before it read them.
 */
export function page<T>(ring: Ring<T>, url: URL): { items: T[]; next: number; first: number; capacity: number } {
  const limit = Math.min(limitOf(url, ring.capacity), ring.capacity);
  let after = wholeParam(url, 'after', 0);
  // A cursor past the newest record comes from before a router restart: start over.
  if (after !== undefined && after > ring.newest) after = 0;
  const meta = { first: ring.oldest, capacity: ring.capacity };
  if (after === undefined) return { items: ring.latest(limit), next: ring.newest, ...meta };
  const items = ring.after(after, limit);
  return { items, next: items.length > 0 ? items[items.length - 1]!.seq : Math.max(after, ring.oldest - 1), ...meta };
}
