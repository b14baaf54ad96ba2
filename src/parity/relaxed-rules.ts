/**
 * The rules finer than `ignore`, as small pure predicates the diff walk and the adapters use:
 * JSON types (`present`, `type`), timestamps as instants (`format`), status mappings
 * (`status: { 200: 201 }`) and status conditions of adapter ops (`onStatus: "4xx"`). Each is
 * compiled once from the plan; the checks themselves allocate nothing.
 */
import { parseInstant } from './instant.js';

/**
 * The JSON type of a parsed value: 0 null, 1 boolean, 2 number (a `bigint` too: see exact-json.ts),
 * 3 string, 4 array, 5 object.
 */
export function jsonType(v: unknown): number {
  if (v === null || v === undefined) return 0;
  switch (typeof v) {
    case 'boolean':
      return 1;
    case 'number':
    case 'bigint':
      return 2;
    case 'string':
      return 3;
    default:
      return Array.isArray(v) ? 4 : 5;
  }
}

/** Whether two strings are timestamps of the same instant (in whatever format each is written). */
export function sameInstant(a: string, b: string): boolean {
  const x = parseInstant(a);
  if (x === undefined) return false;
  const y = parseInstant(b);
  return y !== undefined && x.ms === y.ms && x.subMsNs === y.subMsNs && x.zoned === y.zoned;
}

/** Legacy status → the new statuses that count as equal to it. */
export type StatusMap = ReadonlyMap<number, readonly number[]>;

/** Compiles a rule's `status` mapping; undefined when it maps nothing (the common case). */
export function compileStatusMap(
  status: Readonly<Record<string, number | readonly number[]>> | undefined,
): StatusMap | undefined {
  if (status === undefined) return undefined;
  const out = new Map<number, readonly number[]>();
  for (const [from, to] of Object.entries(status)) out.set(Number(from), typeof to === 'number' ? [to] : [...to]);
  return out.size === 0 ? undefined : out;
}

/** Whether legacy's `legacy` status and new's `candidate` compare equal under `map`. */
export function statusMapped(map: StatusMap | undefined, legacy: number, candidate: number): boolean {
  if (map === undefined) return false;
  const to = map.get(legacy);
  return to !== undefined && to.includes(candidate);
}

/** An inclusive status range; a condition that always holds is `[0, 999]`. */
export interface StatusRange {
  readonly lo: number;
  readonly hi: number;
}

/** Every status: an op without `onStatus`. */
export const ANY_STATUS: StatusRange = { lo: 0, hi: 999 };

/**
 * Reads an `onStatus` condition: `404`, `"404"`, `"4xx"` or `"400-499"`.
 * @returns the range, or a sentence saying what is wrong.
 */
export function parseStatusCondition(v: number | string | undefined): StatusRange | string {
  if (v === undefined) return ANY_STATUS;
  if (typeof v === 'number') return { lo: v, hi: v };
  const m = /^([1-5])xx$/.exec(v);
  if (m !== null) return { lo: Number(m[1]) * 100, hi: Number(m[1]) * 100 + 99 };
  const r = /^([1-5]\d\d)(?:-([1-5]\d\d))?$/.exec(v);
  if (r === null) return `"${v}" is not a status (404), a class ("4xx") or a range ("400-499")`;
  const lo = Number(r[1]);
  const hi = r[2] === undefined ? lo : Number(r[2]);
  if (hi < lo) return `range "${v}" ends before it starts`;
  return { lo, hi };
}
