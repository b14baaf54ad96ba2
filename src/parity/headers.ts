/**
 * Reading a header from a recorded answer whose header names may be in any case (undici gives
 * lower case, a saved answer or a test may not). Pure.
 */
import type { HttpSnapshot } from './types.js';

/** A header's values by lower-case name, as many as the answer had (none when absent). */
export function headerLines(headers: HttpSnapshot['headers'], name: string): string[] {
  let v = headers[name];
  if (v === undefined) {
    for (const k in headers) {
      if (k.length === name.length && k.toLowerCase() === name) {
        v = headers[k];
        break;
      }
    }
  }
  return v === undefined ? [] : Array.isArray(v) ? v : [v];
}

/** Reads a header by lower-case name from a record whose names may be in any case. */
export function headerValue(headers: HttpSnapshot['headers'], name: string): string | undefined {
  const lines = headerLines(headers, name);
  return lines.length === 0 ? undefined : lines.join(', ');
}

/** A `Content-Type` value's media type, lower case: `Text/CSV; charset=utf-8` → `text/csv`. */
export function mediaType(v: string): string {
  const semi = v.indexOf(';');
  return (semi < 0 ? v : v.slice(0, semi)).trim().toLowerCase();
}
