/**
 * Exact equality of JSON array items (keys in any order), by their canonical text: the cheap
 * first pass of set matching and of the check for a long pure reordering (see `json-walk.ts`).
 * Two items with the same text are deeply equal, so they match under any diff rules.
 */

import { bigintText } from './exact-json.js';

/** Items of an array by canonical text, each list in index order with a read position. */
export type ExactBuckets = Map<string, { at: number; js: number[] }>;

/** A JSON value written with its keys sorted: two values with the same text are deeply equal. */
export function canonical(v: unknown): string | undefined {
  try {
    return JSON.stringify(v, sortedKeys);
  } catch {
    return undefined; // nested too deep for the stack: matched under the rules instead
  }
}

function sortedKeys(_key: string, v: unknown): unknown {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return typeof v === 'bigint' ? bigintText(v) : v;
  // A null prototype, so that a "__proto__" key is copied as data.
  const out = Object.create(null) as Record<string, unknown>;
  for (const k of Object.keys(v).sort()) out[k] = (v as Record<string, unknown>)[k];
  return out;
}

/** The unused items of `b` by their canonical text, each list in index order with a read position. */
export function bucketsOf(b: unknown[], used: Uint8Array): ExactBuckets {
  const out = new Map<string, { at: number; js: number[] }>();
  for (let j = 0; j < b.length; j++) {
    if (used[j] === 1) continue;
    const k = canonical(b[j]);
    if (k === undefined) continue;
    const bucket = out.get(k);
    if (bucket === undefined) out.set(k, { at: 0, js: [j] });
    else bucket.js.push(j);
  }
  return out;
}

/** The first unused item of `b` exactly equal to `item`, or -1. */
export function takeExact(buckets: ExactBuckets, item: unknown, used: Uint8Array): number {
  const k = canonical(item);
  const bucket = k === undefined ? undefined : buckets.get(k);
  if (bucket === undefined) return -1;
  while (bucket.at < bucket.js.length) {
    const j = bucket.js[bucket.at++] as number;
    if (used[j] === 0) return j;
  }
  return -1;
}

/** Whether the items of `a` and `b` at `at` are the same multiset, by exact equality. */
export function sameItems(a: unknown[], b: unknown[], at: readonly number[]): boolean {
  const count = new Map<string, number>();
  for (const i of at) {
    const k = canonical(a[i]);
    if (k === undefined) return false;
    count.set(k, (count.get(k) ?? 0) + 1);
  }
  for (const i of at) {
    const k = canonical(b[i]);
    const n = k === undefined ? undefined : count.get(k);
    if (n === undefined || n === 0) return false;
    count.set(k as string, n - 1);
  }
  return true;
}
