/**
 * The `serial` value class: the ids each side's store gives the record a POST creates. Legacy and
 * new number their records apart (two databases, or mirrored writes that land one after the
 * other), so `{"id": 1043}` against `{"id": 17}` on a create says nothing about new; the same pair
 * then shows up again wherever the answer refers to the record (`items[*].order_id`,
 * `/orders/1043`, a `location` header). Found after the walk, over the differences already listed:
 * a pair is only ever taken from a differing id key (`id`, `hold_id`, `holdId`) or the `location`
 * header, and only when legacy's id is not in the request (an id the client sent, such as
 * `event_id`, must come back the same), and everything it sets aside is the very same pair, so a
 * changed type, a missing field or any other value still counts.
 *
 * Not applied to reads: there a different id is a different record (a page off by one).
 */
import type { OwnOrigins } from './own-origins.js';
import type { Difference } from './types.js';

const DIGITS = /^[0-9]{1,18}$/;
const DIGIT_RUNS = /[0-9]+/g;
/** The last key of a path: `$.data.hold_id` → `hold_id`, `$.items[0]["order-id"]` → `order-id`. */
const LAST_KEY = /(?:\.([^.[\]"]+)|\["((?:[^"\\]|\\.)*)"\])$/;
/** An id key: `id`, `ID`, `hold_id`, `hold-id`, `holdId`, `HOLD_ID`; not `paid` or `valid`. */
const ID_NAME = /^(?:[iI][dD]|.+[_-][iI][dD]|.*[a-z0-9]I[dD])$/;

/**
 * Moves the differences that are only the created records' ids (legacy's and new's) from
 * `differences` to `noise`, marked `valueClass: 'serial'`. `request`: the request's target and
 * body as text, read only once an id pair is found. `origins`: each side's own origin, which a
 * `location` is read without (`/tickets/1030` against `http://new:8700/tickets/90`).
 */
export function setAsideCreatedIds(
  differences: Difference[],
  noise: Difference[],
  request: () => string,
  origins?: OwnOrigins,
): void {
  const located = (d: Difference): [unknown, unknown] =>
    origins !== undefined &&
    d.path === 'header:location' &&
    typeof d.legacy === 'string' &&
    typeof d.candidate === 'string'
      ? [origins.relative(d.legacy, 'legacy'), origins.relative(d.candidate, 'candidate')]
      : [d.legacy, d.candidate];
  const pairs = idPairs(differences, request, located);
  if (pairs === undefined) return;
  let kept = 0;
  for (const d of differences) {
    if ((d.kind === 'value' || d.kind === 'header') && samePairs(...located(d), pairs)) {
      d.valueClass = 'serial';
      noise.push(d);
    } else {
      differences[kept++] = d;
    }
  }
  differences.length = kept;
}

/** Legacy id → new id, one to one; undefined when there is none. */
function idPairs(
  differences: readonly Difference[],
  request: () => string,
  located: (d: Difference) => [unknown, unknown],
): Map<string, string> | undefined {
  let pairs: Map<string, string> | undefined;
  let sent: Set<string> | undefined;
  /** New id → the legacy id it pairs with. */
  const owner = new Map<string, string>();
  const add = (a: string, b: string): void => {
    // Legacy's number only: new's small counter may well meet a small number the client sent.
    sent ??= new Set(request().match(DIGIT_RUNS));
    if (sent.has(a)) return;
    pairs ??= new Map();
    const known = pairs.get(a);
    if (known === b) return;
    const other = owner.get(b);
    // An id that pairs with two others, or two that pair with one, is no store's numbering: '' marks
    // every id involved as paired with nothing.
    if (known !== undefined || other !== undefined) {
      pairs.set(a, '');
      if (other !== undefined) pairs.set(other, '');
      return;
    }
    pairs.set(a, b);
    owner.set(b, a);
  };
  for (const d of differences) {
    if (d.kind === 'value' && isIdKey(d.path) && typeof d.legacy === typeof d.candidate) {
      const a = idText(d.legacy);
      const b = idText(d.candidate);
      if (a !== undefined && b !== undefined) add(a, b);
    } else if (d.kind === 'header' && d.path === 'header:location') {
      const one = oneRunApart(...located(d));
      if (one !== undefined) add(one[0], one[1]);
    }
  }
  return pairs;
}

function isIdKey(path: string): boolean {
  const m = LAST_KEY.exec(path);
  const key = m?.[1] ?? m?.[2];
  return key !== undefined && ID_NAME.test(key);
}

function idText(v: unknown): string | undefined {
  if (typeof v === 'number') return Number.isSafeInteger(v) && v > 0 ? String(v) : undefined;
  return typeof v === 'string' && DIGITS.test(v) ? v : undefined;
}

/** The one digit run in which two strings differ, when they differ only there. */
function oneRunApart(a: unknown, b: unknown): [string, string] | undefined {
  if (typeof a !== 'string' || typeof b !== 'string') return undefined;
  const ra = a.match(DIGIT_RUNS) ?? [];
  const rb = b.match(DIGIT_RUNS) ?? [];
  if (ra.length !== rb.length || a.replace(DIGIT_RUNS, '0') !== b.replace(DIGIT_RUNS, '0')) return undefined;
  let found: [string, string] | undefined;
  for (let i = 0; i < ra.length; i++) {
    if (ra[i] === rb[i]) continue;
    if (found !== undefined) return undefined;
    found = [ra[i] as string, rb[i] as string];
  }
  return found;
}

/** Whether `b` is `a` with some of its ids written as new's, and nothing else changed. */
function samePairs(a: unknown, b: unknown, pairs: ReadonlyMap<string, string>): boolean {
  if (typeof a !== typeof b) return false;
  const ia = idText(a);
  if (ia !== undefined) {
    const mapped = pairs.get(ia);
    return mapped !== undefined && mapped !== '' && mapped === idText(b);
  }
  if (typeof a !== 'string' || typeof b !== 'string') return false;
  let changed = false;
  const rewritten = a.replace(DIGIT_RUNS, (run) => {
    const mapped = pairs.get(run);
    if (mapped === undefined || mapped === '') return run;
    changed = true;
    return mapped;
  });
  return changed && rewritten === b;
}
