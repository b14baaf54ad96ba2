/**
 * How a timestamp is written, for the timestamp tolerance (`diff.timestampTolerance`): two stamps
 * a little apart are equal when written alike, and a `format` difference when not. Pure, and
 * allocates nothing: only differing leaves that already parsed as timestamps reach it.
 */

function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

function isLetter(c: number): boolean {
  const l = c | 32;
  return l >= 97 && l <= 122;
}

/** Where the offset or zone name starts (the length when there is none). */
function zoneStart(s: string, http: boolean): number {
  if (http) return s.lastIndexOf(' ') + 1;
  // Past `YYYY-MM-DDTHH:MM`, the first `Z`, `+` or `-` starts the offset.
  for (let i = 16; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 90 || c === 122 || c === 43 || c === 45) return i;
  }
  return s.length;
}

/**
 * Whether two timestamps (RFC 3339 / ISO 8601, HTTP dates, or epoch texts) are written alike:
 * the same length, and wherever their characters differ both are digits of the date and time (or,
 * in an HTTP date, letters of the day and month names). Another offset, precision, separator or
 * zone name is another layout, even where the instant is the same.
 */
export function writtenAlike(a: string, b: string): boolean {
  const n = a.length;
  if (n !== b.length) return false;
  const http = a.charCodeAt(3) === 44;
  const zone = zoneStart(a, http);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x === y) continue;
    if (i >= zone) return false;
    if (isDigit(x) ? isDigit(y) : http && isLetter(x) && isLetter(y)) continue;
    return false;
  }
  return true;
}
