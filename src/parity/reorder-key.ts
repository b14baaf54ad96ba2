/**
 * Which record of one list is which record of another: by a `keyed` array's field, and, for
 * lists that hold the same items in another order while the records also differ (a timestamp or
 * etag per item, a changed field), by what identifies them: one field, or else the fields whose
 * values are the same on both sides, together. The walk then reports one `order` difference and
 * what differs inside each record, instead of every field of every item that moved (see
 * `json-walk.ts`). Pure.
 */
import { canonical } from './exact-items.js';
import { stringifyExactJson } from './exact-json.js';

/** Fields whose name says they identify a record; tried before any other field. */
const ID_LIKE = /^(id|key|uuid|slug|code|name|sku)$|(_id|Id|_key|_uuid|_code)$/;
/** At most this many fields of the first record are tried. */
const MAX_FIELDS = 16;

type Record_ = Record<string, unknown>;

/** Whether `v` is a JSON object (not an array). */
export const isRecord = (v: unknown): v is Record_ => typeof v === 'object' && v !== null && !Array.isArray(v);

/** An item's value at `field` for a `keyed` array (objects as their JSON text); undefined when it has none. */
export function itemKey(item: unknown, field: string): unknown {
  if (!isRecord(item) || !Object.prototype.hasOwnProperty.call(item, field)) return undefined;
  const v = item[field];
  return typeof v === 'object' && v !== null ? stringifyExactJson(v) : v;
}

/**
 * The index in `b` of each record of `a`, paired by an identifying field: a field of the first
 * record holding a string or a finite number (integers past 2^53 exactly) in every record on both sides, unique within each
 * list, with the same values on both sides. Id-like names (`id`, `sku`, `user_id`…) are tried
 * first, and the first field that identifies the records decides: when it leaves every record
 * where it was, the records are in place and changed, which their positions already say. Without
 * such a field, the fields whose values are the same on both sides are tried together: unique
 * together, or, for two answers of one service (`sameService`, noise learning), paired in the
 * order they come where they repeat.
 * @returns undefined when the lists differ in length, hold anything but records, or no field shows them moved
 */
export function pairByKey(a: readonly unknown[], b: readonly unknown[], sameService = false): Int32Array | undefined {
  if (a.length !== b.length || a.length < 2) return undefined;
  const first = a[0];
  if (!isRecord(first)) return undefined;
  for (const x of a) if (!isRecord(x)) return undefined;
  for (const y of b) if (!isRecord(y)) return undefined;
  const fields = Object.keys(first).slice(0, MAX_FIELDS);
  const ordered = [...fields.filter((f) => ID_LIKE.test(f)), ...fields.filter((f) => !ID_LIKE.test(f))];
  const xs = a as readonly Record_[];
  const ys = b as readonly Record_[];
  for (const field of ordered) {
    const pairs = pairBy(xs, ys, (r) => keyOf(r, field));
    if (pairs !== undefined) return moved(pairs);
  }
  // No one field identifies them: together, the fields whose values are the same on both sides (a
  // stamp that changed in every record is not one) may, as a schedule's day and hour do. Two
  // answers of one service hold the same records: those the stable fields cannot tell apart differ
  // only where the service varies, so any pairing of them shows the same, and they are paired in turn.
  const stable = fields.filter((f) => sameValues(xs, ys, f));
  const composite = (r: Record_): string | undefined => canonical(stable.map((f) => r[f]));
  if (stable.length < (sameService ? 1 : 2)) return undefined;
  const pairs = sameService ? pairInTurn(xs, ys, composite) : pairBy(xs, ys, composite);
  return pairs === undefined ? undefined : moved(pairs);
}

/** `a`'s records paired with `b`'s by `key`, the first with a key to the first with the same key on the other side, and so on. */
function pairInTurn(
  a: readonly Record_[],
  b: readonly Record_[],
  key: (r: Record_) => string | undefined,
): Int32Array | undefined {
  const inB = new Map<string, number[]>();
  for (let j = b.length - 1; j >= 0; j--) {
    const k = key(b[j] as Record_);
    if (k === undefined) return undefined;
    const list = inB.get(k);
    if (list === undefined) inB.set(k, [j]);
    else list.push(j);
  }
  const pairs = new Int32Array(a.length);
  for (let i = 0; i < a.length; i++) {
    const k = key(a[i] as Record_);
    const j = k === undefined ? undefined : inB.get(k)?.pop();
    if (j === undefined) return undefined;
    pairs[i] = j;
  }
  return pairs;
}

const moved = (pairs: Int32Array): Int32Array | undefined => (pairs.some((j, i) => j !== i) ? pairs : undefined);

/**
 * Whether every record on both sides holds `field`, and the two sides the same values in any order
 * (objects and lists compared whole, keys in any order: a nested vet or product identifies too).
 */
function sameValues(a: readonly Record_[], b: readonly Record_[], field: string): boolean {
  const values = (rs: readonly Record_[]): string[] | undefined => {
    const out: string[] = [];
    for (const r of rs) {
      if (!Object.prototype.hasOwnProperty.call(r, field)) return undefined;
      const v = r[field];
      const text = typeof v === 'object' && v !== null ? canonical(v) : `${typeof v}:${String(v)}`;
      if (text === undefined) return undefined;
      out.push(text);
    }
    return out.sort();
  };
  const x = values(a);
  const y = x === undefined ? undefined : values(b);
  return x !== undefined && y !== undefined && x.every((v, i) => v === y[i]);
}

function keyOf(r: Record_, field: string): string | number | bigint | undefined {
  if (!Object.prototype.hasOwnProperty.call(r, field)) return undefined;
  const v = r[field];
  if (typeof v === 'string' || typeof v === 'bigint') return v;
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
}

/** `a`'s records paired with `b`'s by `key`, which must be defined and unique on each side and the same on both. */
function pairBy(
  a: readonly Record_[],
  b: readonly Record_[],
  key: (r: Record_) => string | number | bigint | undefined,
): Int32Array | undefined {
  const inB = new Map<string | number | bigint, number>();
  for (let j = 0; j < b.length; j++) {
    const k = key(b[j] as Record_);
    if (k === undefined || inB.has(k)) return undefined;
    inB.set(k, j);
  }
  const pairs = new Int32Array(a.length);
  const used = new Uint8Array(b.length);
  for (let i = 0; i < a.length; i++) {
    const k = key(a[i] as Record_);
    const j = k === undefined ? undefined : inB.get(k);
    if (j === undefined || used[j] === 1) return undefined;
    used[j] = 1;
    pairs[i] = j;
  }
  return pairs;
}
