/**
 * Redirect chains as a client sees them, shared by the router's shadow comparison and the
 * contract runner: which answers are redirects worth following, where a same-origin redirect
 * leads, and the `redirect` difference between two chains. Pure: no I/O.
 */
import type { Difference, HttpSnapshot } from './types.js';

/** Redirects followed per side at most. */
export const MAX_HOPS = 5;

const REDIRECTS = new Set([301, 302, 303, 307, 308]);

function header(h: HttpSnapshot['headers'], name: string): string | undefined {
  const v = h[name];
  return Array.isArray(v) ? v[0] : v;
}

/** True for the statuses a client follows (301, 302, 303, 307, 308). */
export function isRedirectStatus(status: number): boolean {
  return REDIRECTS.has(status);
}

/** True when `answer` is a redirect with a `Location` (worth following). */
export function isRedirect(answer: HttpSnapshot): boolean {
  return isRedirectStatus(answer.status) && header(answer.headers, 'location') !== undefined;
}

/** The `Location` of a redirect answer. */
export function redirectLocation(answer: HttpSnapshot): string | undefined {
  return header(answer.headers, 'location');
}

/**
 * The path and query a redirect from `from` on `origin` leads to, or undefined when it leads to
 * another origin (a client-facing `host` counts as the same origin when given).
 */
export function sameOriginPath(
  location: string,
  origin: string,
  from: string,
  clientHost?: string,
): string | undefined {
  let target: URL;
  try {
    target = new URL(location, origin + from);
  } catch {
    return undefined;
  }
  if (target.origin !== origin && (clientHost === undefined || target.host !== clientHost)) return undefined;
  return target.pathname + target.search;
}

/** The method a client uses for the next hop: 303 turns anything but HEAD into GET. */
export function nextHopMethod(status: number, method: string): string {
  return status === 303 && method !== 'HEAD' ? 'GET' : method;
}

/** The `redirect` difference between two chains, or undefined when they are the same. */
export function chainDifference(legacy: string[], candidate: string[]): Difference | undefined {
  if (legacy.length === candidate.length && legacy.every((hop, i) => hop === candidate[i])) return undefined;
  return { path: '$redirect', kind: 'redirect', legacy, candidate };
}
