/**
 * JSON with integers beyond 2^53 kept exact. `JSON.parse` reads 9007199254740997 and
 * 9007199254740996 as the same double, so a 64-bit id (a snowflake, a tracking number) whose last
 * digit changed would compare equal, and an adapter that rewrites a body would change the digits
 * it serves. Here such integers become `bigint`s, compared by value, and are written back digit
 * for digit. Documents without a run of 16 digits that can start an integer (the shortest unsafe
 * one) take `JSON.parse` alone.
 */
import { randomBytes } from 'node:crypto';

/** The shortest integer that can exceed `Number.MAX_SAFE_INTEGER` has this many digits. */
const UNSAFE_LENGTH = 16;

/**
 * Stands for an unsafe integer inside a string while it crosses `JSON.parse` or `JSON.stringify`.
 * A NUL and a per-process nonce: no string a service sends can be taken for one.
 */
const MARK = `\u0000phx-int-${randomBytes(6).toString('hex')}:`;
/** {@link MARK} as `JSON.stringify` writes it, followed by the digits, in quotes. */
const WRITTEN_MARK = new RegExp(`"${JSON.stringify(MARK).slice(1, -1).replace(/\\/g, '\\\\')}(-?\\d+)"`, 'g');

/**
 * Whether `text` may hold an integer past the safe range: a run of 16 digits that is not a
 * fraction's (after a `.`; floats often have that many). Any 16 consecutive characters hold
 * exactly one index that is 15 modulo 16, so only those are read first, and a run is measured
 * only from a digit there: about a sixteenth of a body is read, on every comparison.
 */
export function holdsLongIntegers(text: string): boolean {
  const n = text.length;
  for (let i = UNSAFE_LENGTH - 1; i < n; i += UNSAFE_LENGTH) {
    if (!isDigit(text.charCodeAt(i))) continue;
    let start = i;
    while (start > 0 && isDigit(text.charCodeAt(start - 1))) start--;
    let end = i + 1;
    while (end < n && isDigit(text.charCodeAt(end))) end++;
    if (end - start >= UNSAFE_LENGTH && (start === 0 || text.charCodeAt(start - 1) !== 0x2e)) return true;
  }
  return false;
}

function isDigit(c: number): boolean {
  return c >= 0x30 && c <= 0x39;
}

/**
 * `JSON.parse(text)`, with integers outside the safe range as `bigint`s. Throws as `JSON.parse` does.
 * @param long - {@link holdsLongIntegers} of `text`, when the caller has it already
 */
export function parseExactJson(text: string, long = holdsLongIntegers(text)): unknown {
  const doc: unknown = JSON.parse(text);
  if (!long) return doc;
  const marked = markUnsafeIntegers(text);
  return marked === undefined ? doc : JSON.parse(marked, unmark);
}

/** A text that stands for `v` in canonical forms (see exact-items.ts), never equal to a string's. */
export function bigintText(v: bigint): string {
  return MARK + v.toString();
}

/** `JSON.stringify(v)`, with `bigint`s written as their digits. */
export function stringifyExactJson(v: unknown): string | undefined {
  try {
    return JSON.stringify(v);
  } catch (err) {
    if (!(err instanceof TypeError) || !/BigInt/i.test(err.message)) throw err;
  }
  return JSON.stringify(v, (_k, x: unknown) => (typeof x === 'bigint' ? bigintText(x) : x))?.replace(
    WRITTEN_MARK,
    '$1',
  );
}

/**
 * `v` with every `bigint` (at any depth) as the string of its digits, for what reports, records and
 * workflow payloads carry: they are JSON, which has no exact form for them in JavaScript.
 * `v` itself when it holds none.
 */
export function withoutBigints(v: unknown): unknown {
  if (typeof v === 'bigint') return v.toString();
  if (typeof v !== 'object' || v === null || !holdsBigint(v, 0)) return v;
  return JSON.parse(JSON.stringify(v, (_k, x: unknown) => (typeof x === 'bigint' ? x.toString() : x))) as unknown;
}

/** Past this depth a value is taken to hold one (and copied): the copy stays correct either way. */
const MAX_SCAN_DEPTH = 64;

function holdsBigint(v: object, depth: number): boolean {
  if (depth > MAX_SCAN_DEPTH) return true;
  for (const x of (Array.isArray(v) ? v : Object.values(v)) as unknown[]) {
    if (typeof x === 'bigint') return true;
    if (typeof x === 'object' && x !== null && holdsBigint(x, depth + 1)) return true;
  }
  return false;
}

function unmark(_key: string, v: unknown): unknown {
  return typeof v === 'string' && v.startsWith(MARK) ? BigInt(v.slice(MARK.length)) : v;
}

/**
 * `text` (valid JSON) with each integer literal outside the safe range turned into a marked string;
 * undefined when it has none (long digit runs inside strings, or safe 16-digit numbers).
 */
function markUnsafeIntegers(text: string): string | undefined {
  let out = '';
  let from = 0;
  let found = false;
  const n = text.length;
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22) {
      // Skip the string: to its closing quote, past escapes.
      for (i++; i < n; i++) {
        const s = text.charCodeAt(i);
        if (s === 0x5c) i++;
        else if (s === 0x22) break;
      }
      continue;
    }
    if (c !== 0x2d && !isDigit(c)) continue;
    let j = i + 1;
    let integer = true;
    for (; j < n; j++) {
      const d = text.charCodeAt(j);
      if (isDigit(d)) continue;
      if (d === 0x2e || d === 0x65 || d === 0x45 || d === 0x2b || d === 0x2d) integer = false;
      else break;
    }
    const literal = text.slice(i, j);
    if (integer && literal.length >= UNSAFE_LENGTH && !Number.isSafeInteger(Number(literal))) {
      out += text.slice(from, i) + JSON.stringify(MARK + literal);
      from = j;
      found = true;
    }
    i = j - 1;
  }
  return found ? out + text.slice(from) : undefined;
}
