/**
 * Generic value classes (UUID, ULID, timestamps, epochs, hex/base64 tokens, JWTs) for leaf values
 * that already differ. They let the diff engine say three things without a second legacy answer:
 * the same instant written another way is a `format` difference; where the caller allows it (a
 * request that cannot be resampled on legacy), two different values of the same class are noise:
 * two fresh UUIDs, two "now" timestamps; and two stamps within the timestamp tolerance are equal
 * (a `format` difference when written differently). Pure and cheap: only differing leaves reach it.
 */
import { parseInstant } from './instant.js';
import { writtenAlike } from './time-layout.js';

/** A class of generated values. */
export type ValueClass = 'uuid' | 'ulid' | 'timestamp' | 'epoch' | 'hex' | 'base64' | 'jwt' | 'serial';

/** Every class, in plan order. */
export const VALUE_CLASSES: readonly ValueClass[] = [
  'uuid',
  'ulid',
  'timestamp',
  'epoch',
  'hex',
  'base64',
  'jwt',
  'serial',
];

const BIT: Record<ValueClass, number> = {
  uuid: 1,
  ulid: 2,
  timestamp: 4,
  epoch: 8,
  hex: 16,
  base64: 32,
  jwt: 64,
  serial: 128,
};

/**
 * The `serial` class (a created record's id on a POST): judged over a whole answer by
 * `setAsideCreatedIds`, never leaf by leaf here.
 */
export const SERIAL_BIT = BIT.serial;

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
