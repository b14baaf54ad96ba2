/**
 * Secrets never leave the router in mismatch samples or recorded requests: headers that carry
 * credentials are masked (mismatches) or dropped (recorded requests, which become case files).
 */
import type { IncomingHttpHeaders } from 'node:http';
import { SECRET_HEADERS } from '../lib/secret-headers.js';

const SECRET_NAMES = new Set(SECRET_HEADERS);
const SECRET_WORDS = /token|secret|key|password|session|auth/i;

/** True when a header (lower-case name) may carry a credential. */
export function isSecretHeader(name: string): boolean {
  return SECRET_NAMES.has(name) || SECRET_WORDS.test(name);
}

type Headers = IncomingHttpHeaders | Record<string, string | string[] | undefined>;

function flat(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v.join(', ') : v;
}

/** Header copy with secret values replaced by `[redacted]`. */
export function redactHeaders(headers: Headers): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(headers)) {
    const value = flat(v);
    if (value === undefined) continue;
    const name = k.toLowerCase();
    out[name] = isSecretHeader(name) ? '[redacted]' : value;
  }
  return out;
}

/** Header copy without secret headers and without hop-by-hop or per-connection ones. */
export function dropSecretHeaders(headers: Headers): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(headers)) {
    const value = flat(v);
    const name = k.toLowerCase();
    if (
      value === undefined ||
      isSecretHeader(name) ||
      name === 'host' ||
      name === 'content-length' ||
      name.startsWith('x-forwarded-')
    )
      continue;
    out[name] = value;
  }
  return out;
}

/** A query string (without `?`) with the values of secret-looking parameters (`token`, `api_key`…) masked. */
export function redactQuery(query: string): string {
  if (!SECRET_WORDS.test(query)) return query;
  return query
    .split('&')
    .map((pair) => {
      const eq = pair.indexOf('=');
      let name = eq < 0 ? pair : pair.slice(0, eq);
      try {
        name = decodeURIComponent(name.replace(/\+/g, ' '));
      } catch {
        // A malformed name is judged as written.
      }
      return eq >= 0 && SECRET_WORDS.test(name) ? `${pair.slice(0, eq)}=[redacted]` : pair;
    })
    .join('&');
}
