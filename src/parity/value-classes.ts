/**
 * Generic value classes (UUID, ULID, timestamps, epochs, hex/base64 tokens, JWTs) for leaf values
 * that already differ. They let the diff engine say three things without a second legacy answer:
 * the same instant written another way is a `format` difference; where the caller allows it (a
 * request that cannot be resampled on legacy), two different values of the same class are noise:
 * two fresh UUIDs, two "now" timestamps; and two stamps within the timestamp tolerance are equal
 * (a `format` difference when written differently). Pure and cheap: only differing leaves reach it.
 */
import { writtenAlike } from './time-layout.js';

/** A class of generated values. */
export type ValueClass = 'uuid' | 'ulid' | 'timestamp' | 'epoch' | 'hex' | 'base64' | 'jwt';

/** Every class, in plan order. */
export const VALUE_CLASSES: readonly ValueClass[] = ['uuid', 'ulid', 'timestamp', 'epoch', 'hex', 'base64', 'jwt'];

const BIT: Record<ValueClass, number> = { uuid: 1, ulid: 2, timestamp: 4, epoch: 8, hex: 16, base64: 32, jwt: 64 };

/** A bit set of enabled classes, for {@link judgeValues}. */
export function classMask(classes: readonly ValueClass[]): number {
  let m = 0;
  for (const c of classes) m |= BIT[c];
  return m;
}

/** What {@link judgeValues} found for two differing values. */
export interface ClassVerdict {
  /**
   * `format`: the same value written another way; `noise`: two generated values of one class;
   * `equal`: two timestamps written alike within the tolerance.
   */
  readonly kind: 'format' | 'noise' | 'equal';
  readonly valueClass: ValueClass;
}

/** How {@link judgeValues} judges. */
export interface ClassOptions {
  /** Enabled classes ({@link classMask}). */
  mask: number;
  /** Two different values of the same class count as noise. */
  noise: boolean;
  /** With `noise`: only these classes ({@link classMask}) count as noise. @default every class */
  noiseMask?: number;
  /** Request time, epoch ms. Timestamps and epochs are noise only near it; without it, never. */
  now: number | undefined;
  /** How near `now` a timestamp or epoch must be to count as generated "now", ms. */
  windowMs: number;
  /** Largest gap between two timestamps (or two epochs in one unit) that compare equal, ms. @default 0 */
  toleranceMs?: number;
}

/** How near the request time a timestamp or epoch counts as "now" by default, ms. */
export const DEFAULT_NOW_WINDOW_MS = 5 * 60_000;

const FORMAT = Object.fromEntries(VALUE_CLASSES.map((c) => [c, { kind: 'format', valueClass: c }])) as Record<
  ValueClass,
  ClassVerdict
>;
const NOISE = Object.fromEntries(VALUE_CLASSES.map((c) => [c, { kind: 'noise', valueClass: c }])) as Record<
  ValueClass,
  ClassVerdict
>;
const EQUAL_TIMESTAMP: ClassVerdict = { kind: 'equal', valueClass: 'timestamp' };
const EQUAL_EPOCH: ClassVerdict = { kind: 'equal', valueClass: 'epoch' };

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const ULID = /^[0-7][0-9A-HJKMNP-TV-Z]{25}$/i;
const HEX = /^(?:[0-9a-f]{16,}|[0-9A-F]{16,})$/;
const BASE64 = /^[A-Za-z0-9+/_-]{20,}={0,2}$/;
const JWT = /^([A-Za-z0-9_-]{4,})\.[A-Za-z0-9_-]{2,}\.[A-Za-z0-9_-]*$/;
const EPOCH_TEXT = /^\d{9,13}(?:\.\d{1,9})?$/;
const HTTP_DATE =
  /^(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun), (\d{1,2}) (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) (\d{4}) (\d{2}):(\d{2}):(\d{2}) (?:GMT|UTC|([+-])(\d{2})(\d{2}))$/;
const MONTHS = 'JanFebMarAprMayJunJulAugSepOctNovDec';

/** A parsed timestamp: the instant, and whether the text named its offset. */
export interface Instant {
  /** Epoch milliseconds (whole). */
  ms: number;
  /** Fraction below the millisecond, in nanoseconds, so precision loss is not "the same instant". */
  subMsNs: number;
  /** False for a local time without offset (read as UTC, and never the same instant as a zoned one). */
  zoned: boolean;
}

const DAYS = [31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

function utc(y: number, mo: number, d: number, h: number, mi: number, s: number): number | undefined {
  if (mo < 1 || mo > 12 || d < 1 || h > 23 || mi > 59 || s > 60) return undefined;
  // Date.UTC rolls 31 February over into March; a real timestamp does not.
  const leap = y % 4 === 0 && (y % 100 !== 0 || y % 400 === 0);
  if (d > DAYS[mo - 1]! || (mo === 2 && d === 29 && !leap)) return undefined;
  return Date.UTC(y, mo - 1, d, h, mi, Math.min(s, 59));
}

function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

/** Parses an RFC 3339 / ISO 8601 date-time or an HTTP date (`Tue, 01 Dec 2026 11:00:00 GMT`). */
export function parseInstant(s: string): Instant | undefined {
  if (s.length < 16 || s.length > 40) return undefined;
  // Most differing strings are not dates: look at fixed positions before anything else.
  if (s.charCodeAt(4) === 45 && s.charCodeAt(7) === 45) return parseIso(s);
  if (s.charCodeAt(3) !== 44) return undefined;
  const m = HTTP_DATE.exec(s);
  if (m === null) return undefined;
  let ms = utc(+m[3]!, MONTHS.indexOf(m[2]!) / 3 + 1, +m[1]!, +m[4]!, +m[5]!, +m[6]!);
  if (ms === undefined) return undefined;
  if (m[7] !== undefined) {
    const off = (+m[8]! * 60 + +m[9]!) * 60_000;
    ms -= m[7] === '+' ? off : -off;
  }
  return { ms, subMsNs: 0, zoned: true };
}

/** `n` digits at `i` as a number, or -1. */
function digits(s: string, i: number, n: number): number {
  let v = 0;
  for (let k = i; k < i + n; k++) {
    const c = s.charCodeAt(k);
    if (c < 48 || c > 57) return -1;
    v = v * 10 + c - 48;
  }
  return v;
}

/** `YYYY-MM-DD[T ]HH:MM[:SS[.fraction]][Z|±HH[:]MM]`, by hand: no regex, no match array. */
function parseIso(s: string): Instant | undefined {
  const y = digits(s, 0, 4);
  const mo = digits(s, 5, 2);
  const d = digits(s, 8, 2);
  const t = s.charCodeAt(10);
  if (y < 0 || mo < 0 || d < 0 || (t !== 84 && t !== 116 && t !== 32)) return undefined;
  const h = digits(s, 11, 2);
  const mi = digits(s, 14, 2);
  if (h < 0 || s.charCodeAt(13) !== 58 || mi < 0) return undefined;
  let i = 16;
  let sec = 0;
  let frac = 0;
  let scale = 1e9;
  if (s.charCodeAt(i) === 58) {
    sec = digits(s, i + 1, 2);
    if (sec < 0) return undefined;
    i += 3;
    const dot = s.charCodeAt(i);
    if (dot === 46 || dot === 44) {
      const from = ++i;
      while (i < s.length && isDigit(s.charCodeAt(i))) {
        if (i - from < 9) frac = frac * 10 + s.charCodeAt(i) - 48;
        i++;
      }
      const n = Math.min(i - from, 9);
      if (n === 0) return undefined;
      scale = 10 ** (9 - n);
    }
  }
  let ms = utc(y, mo, d, h, mi, sec);
  if (ms === undefined) return undefined;
  const ns = frac * scale;
  ms += Math.floor(ns / 1e6);
  let zoned = false;
  const z = s.charCodeAt(i);
  if (z === 90 || z === 122) {
    zoned = true;
    i++;
  } else if (z === 43 || z === 45) {
    const oh = digits(s, i + 1, 2);
    const colon = s.charCodeAt(i + 3) === 58 ? 1 : 0;
    const om = digits(s, i + 3 + colon, 2);
    if (oh < 0 || om < 0) return undefined;
    const off = (oh * 60 + om) * 60_000;
    ms -= z === 43 ? off : -off;
    zoned = true;
    i += 5 + colon;
  }
  return i === s.length ? { ms, subMsNs: ns % 1e6, zoned } : undefined;
}

/** ASCII case-insensitive equality, without copying either string. */
function sameIgnoringCase(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x !== y && (x | 32) !== (y | 32)) return false;
  }
  return true;
}

function hasDigit(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 48 && c <= 57) return true;
  }
  return false;
}

function hasLetterOf(s: string, lo: number, hi: number): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= lo && c <= hi) return true;
  }
  return false;
}

function isJwt(s: string): boolean {
  const m = JWT.exec(s);
  if (m === null) return false;
  try {
    const header: unknown = JSON.parse(Buffer.from(m[1]!, 'base64url').toString('utf8'));
    return typeof header === 'object' && header !== null && typeof (header as { alg?: unknown }).alg === 'string';
  } catch {
    return false;
  }
}

/**
 * The token class of a string (not timestamps or epochs), or undefined. Hex needs a digit and a
 * letter and one case; base64 needs a digit and both cases, so words and numbers are not tokens.
 */
export function tokenClass(s: string, mask: number): ValueClass | undefined {
  const n = s.length;
  if (n < 16) return undefined;
  if (mask & BIT.jwt && s.indexOf('.') > 0 && isJwt(s)) return 'jwt';
  if (n === 36 && mask & BIT.uuid && UUID.test(s)) return 'uuid';
  if (n === 26 && mask & BIT.ulid && ULID.test(s) && hasDigit(s)) return 'ulid';
  if (mask & BIT.hex && HEX.test(s) && hasDigit(s) && hasLetterOf(s.toLowerCase(), 97, 102)) return 'hex';
  if (
    mask & BIT.base64 &&
    n >= 20 &&
    BASE64.test(s) &&
    hasDigit(s) &&
    hasLetterOf(s, 65, 90) &&
    hasLetterOf(s, 97, 122)
  )
    return 'base64';
  return undefined;
}

/** The class of a value as seen by {@link judgeValues}, for reports and tests. */
export function classOf(v: unknown, o: ClassOptions): ValueClass | undefined {
  if (typeof v === 'number') return epochNear(v, o) > 0 ? 'epoch' : undefined;
  if (typeof v !== 'string') return undefined;
  if (o.mask & BIT.timestamp && parseInstant(v) !== undefined) return 'timestamp';
  if (o.mask & BIT.epoch && EPOCH_TEXT.test(v) && epochNear(+v, o) > 0) return 'epoch';
  return tokenClass(v, o.mask);
}

/** 1 for epoch seconds near `now`, 1000 for epoch milliseconds near it, 0 otherwise. */
function epochNear(v: number, o: ClassOptions): number {
  if (o.now === undefined || (o.mask & BIT.epoch) === 0 || !Number.isFinite(v)) return 0;
  if (Math.abs(v * 1000 - o.now) <= o.windowMs) return 1;
  if (Math.abs(v - o.now) <= o.windowMs) return 1000;
  return 0;
}

function noiseFor(o: ClassOptions, bit: number): boolean {
  return o.noise && ((o.noiseMask ?? -1) & bit) !== 0;
}

function near(ms: number, o: ClassOptions): boolean {
  return o.now !== undefined && Math.abs(ms - o.now) <= o.windowMs;
}

/** Two epoch numbers or texts in the same unit near `now`: noise, within the tolerance, or neither. */
function judgeEpochs(a: number, b: number, o: ClassOptions, alike: boolean): ClassVerdict | undefined {
  const unit = epochNear(a, o);
  if (unit === 0 || unit !== epochNear(b, o)) return undefined;
  if (noiseFor(o, BIT.epoch)) return NOISE.epoch;
  const tol = o.toleranceMs ?? 0;
  if (tol === 0 || Math.abs(a - b) * (unit === 1 ? 1000 : 1) > tol) return undefined;
  return alike ? EQUAL_EPOCH : FORMAT.epoch;
}

/**
 * Judges two values of the same JSON type that differ, found at the same place.
 *
 * - Two timestamps at the same instant (same precision; both with an offset, or both without)
 *   are `format`; so are a UUID or hex token that differ only in letter case.
 * - Two timestamps (both with an offset, or both without), or two epochs in one unit near `now`,
 *   no more than `toleranceMs` apart and not noise: `equal` when written alike, else `format`.
 * - With `noise` on: two timestamps both within `windowMs` of `now`; two epochs in the same unit
 *   both near `now`; two different UUIDs, ULIDs, JWTs; two hex or base64 tokens of equal length.
 *   A stored time away from `now` that differs is a real difference, and so is any value whose
 *   class changes (a UUID that becomes a name, a token that changes length).
 * @returns undefined when the difference is a plain value difference.
 */
export function judgeValues(a: unknown, b: unknown, o: ClassOptions): ClassVerdict | undefined {
  if (typeof a === 'number') return typeof b === 'number' ? judgeEpochs(a, b, o, true) : undefined;
  if (typeof a !== 'string' || typeof b !== 'string') return undefined;
  if (o.mask & BIT.timestamp) {
    const ia = parseInstant(a);
    if (ia !== undefined) {
      const ib = parseInstant(b);
      if (ib === undefined) return undefined;
      if (ia.ms === ib.ms && ia.subMsNs === ib.subMsNs && ia.zoned === ib.zoned) return FORMAT.timestamp;
      if (noiseFor(o, BIT.timestamp) && near(ia.ms, o) && near(ib.ms, o)) return NOISE.timestamp;
      const tol = o.toleranceMs ?? 0;
      const gap = Math.abs(ia.ms - ib.ms + (ia.subMsNs - ib.subMsNs) / 1e6);
      if (tol === 0 || ia.zoned !== ib.zoned || gap > tol) return undefined;
      return writtenAlike(a, b) ? EQUAL_TIMESTAMP : FORMAT.timestamp;
    }
  }
  if ((noiseFor(o, BIT.epoch) || (o.toleranceMs ?? 0) > 0) && o.mask & BIT.epoch && EPOCH_TEXT.test(a))
    return EPOCH_TEXT.test(b) ? judgeEpochs(+a, +b, o, writtenAlike(a, b)) : undefined;
  const ca = tokenClass(a, o.mask);
  if (ca === undefined || tokenClass(b, o.mask) !== ca) return undefined;
  if ((ca === 'uuid' || ca === 'hex' || ca === 'ulid') && sameIgnoringCase(a, b)) return FORMAT[ca];
  if (!noiseFor(o, BIT[ca])) return undefined;
  if ((ca === 'hex' || ca === 'base64') && a.length !== b.length) return undefined;
  return NOISE[ca];
}
