/**
 * The canary decision: a stable hash of the family's sticky key (a header, a cookie, or the
 * client address, see `client-address.ts`) puts each user in one of 10,000 buckets, and buckets
 * below `percent × 100` go to the new service. The same user therefore sees the same backend on every request, and
 * raising the percent only moves users from legacy to new, never back.
 */
import type { IncomingMessage } from 'node:http';
import type { StickyKey } from '../plan/schema.js';
import { clientAddress, type Trust } from './client-address.js';

/** Buckets users are spread over; also how many distinct users a canary can tell apart. */
export const BUCKETS = 10_000;

/** FNV-1a over the key's UTF-16 units, finished with a murmur3 mix so short keys spread well. */
export function bucketOf(key: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) {
    h ^= key.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return (h >>> 0) % BUCKETS;
}

/** True when the user with `key` is on the new service at `percent` (0–100). */
export function inCanary(key: string, percent: number): boolean {
  return bucketInCanary(bucketOf(key), percent);
}

/** True when users in `bucket` are on the new service at `percent` (0–100). */
export function bucketInCanary(bucket: number, percent: number): boolean {
  if (percent <= 0) return false;
  if (percent >= 100) return true;
  return bucket < percent * (BUCKETS / 100);
}

function cookieValue(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined;
  let i = 0;
  while (i < header.length) {
    while (header.charCodeAt(i) === 32) i++;
    const eq = header.indexOf('=', i);
    if (eq < 0) return undefined;
    let end = header.indexOf(';', eq);
    if (end < 0) end = header.length;
    if (header.slice(i, eq) === name) return header.slice(eq + 1, end);
    i = end + 1;
  }
  return undefined;
}

/** A function that extracts a family's sticky key from a request. */
export type StickyExtractor = (req: IncomingMessage) => string;

/**
 * Compiles the family's sticky setting. A request without the header or cookie falls back to
 * its client address (see `client-address.ts`), so it still gets a stable answer.
 */
export function stickyExtractor(sticky: StickyKey, trust: Trust | undefined): StickyExtractor {
  if (sticky === 'ip') return (req) => clientAddress(req, trust);
  if ('header' in sticky) {
    const name = sticky.header.toLowerCase();
    return (req) => {
      const v = req.headers[name];
      return (Array.isArray(v) ? v[0] : v) ?? clientAddress(req, trust);
    };
  }
  const name = sticky.cookie;
  return (req) => cookieValue(req.headers.cookie, name) ?? clientAddress(req, trust);
}
