/**
 * Timestamps as instants: RFC 3339 / ISO 8601 date-times and HTTP dates parsed to epoch
 * milliseconds, keeping what the text says about precision and offset, so that the value classes
 * can tell the same instant written another way from a different one. Pure.
 */

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
