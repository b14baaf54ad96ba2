/**
 * Which record of one list is which record of another: by a `keyed` array's field, and, for
 * lists that hold the same items in another order while the records also differ (a timestamp or
 * etag per item, a changed field), by a field that identifies them. The walk then reports one
 * `order` difference and what differs inside each record, instead of every field of every item
 * that moved (see `json-walk.ts`). Pure.
 */

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
  return typeof v === 'object' && v !== null ? JSON.stringify(v) : v;
}

/**
 * The index in `b` of each record of `a`, paired by an identifying field: a field of the first
 * record holding a string or a finite number in every record on both sides, unique within each
 * list, with the same values on both sides. Id-like names (`id`, `sku`, `user_id`…) are tried
 * first, and the first field that identifies the records decides: when it leaves every record
 * where it was, the records are in place and changed, which their positions already say.
 * @returns undefined when the lists differ in length, hold anything but records, or no field shows them moved
 */
export function pairByKey(a: readonly unknown[], b: readonly unknown[]): Int32Array | undefined {
  if (a.length !== b.length || a.length < 2) return undefined;
  const first = a[0];
  if (!isRecord(first)) return undefined;
  for (const x of a) if (!isRecord(x)) return undefined;
  for (const y of b) if (!isRecord(y)) return undefined;
  const fields = Object.keys(first).slice(0, MAX_FIELDS);
  const ordered = [...fields.filter((f) => ID_LIKE.test(f)), ...fields.filter((f) => !ID_LIKE.test(f))];
  for (const field of ordered) {
    const pairs = pairBy(a as readonly Record_[], b as readonly Record_[], field);
    if (pairs !== undefined) return pairs.some((j, i) => j !== i) ? pairs : undefined;
  }
  return undefined;
}

function keyOf(r: Record_, field: string): string | number | undefined {
  if (!Object.prototype.hasOwnProperty.call(r, field)) return undefined;
  const v = r[field];
  if (typeof v === 'string') return v;
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
}

function pairBy(a: readonly Record_[], b: readonly Record_[], field: string): Int32Array | undefined {
  const inB = new Map<string | number, number>();
  for (let j = 0; j < b.length; j++) {
    const k = keyOf(b[j] as Record_, field);
    if (k === undefined || inB.has(k)) return undefined;
    inB.set(k, j);
  }
  const pairs = new Int32Array(a.length);
  const used = new Uint8Array(b.length);
  for (let i = 0; i < a.length; i++) {
    const k = keyOf(a[i] as Record_, field);
    const j = k === undefined ? undefined : inB.get(k);
    if (j === undefined || used[j] === 1) return undefined;
    used[j] = 1;
    pairs[i] = j;
  }
  return pairs;
}
