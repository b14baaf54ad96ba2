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
function chainDifference(legacy: readonly string[], candidate: readonly string[]): Difference | undefined {
  if (legacy.length === candidate.length && legacy.every((hop, i) => hop === candidate[i])) return undefined;
  return { path: '$redirect', kind: 'redirect', legacy: [...legacy], candidate: [...candidate] };
}

/**
 * The `redirect` difference between two chains and whether it counts as a mismatch: when `listed`
 * (`diff.blocking` lists `redirect` for the route), or when a redirect's permanence changed
 * ({@link permanenceChanged}); otherwise it is informational. Undefined when the chains are the same.
 * @param from the request's path and query
 */
export function judgeChains(
  legacy: readonly string[],
  candidate: readonly string[],
  from: string,
  listed: boolean,
): { difference: Difference; counts: boolean } | undefined {
  const difference = chainDifference(legacy, candidate);
  if (difference === undefined) return undefined;
  return { difference, counts: listed || permanenceChanged(legacy, candidate, from) };
}

const PERMANENT = new Set([301, 308]);

/** `target`'s path without its query. */
const pathOf = (target: string): string => {
  const q = target.indexOf('?');
  return q < 0 ? target : target.slice(0, q);
};

/**
 * Whether two chains lead through the same targets but one side's redirect is permanent (301,
 * 308: clients and caches remember it) where the other's is temporary (302, 303, 307): a change a
 * client sees, which counts even when `diff.blocking` does not list `redirect`. A redirect that
 * adds or takes off the path's trailing slash is left out: Flask answers it 308 and Starlette 307,
 * each framework its own way. Which temporary or permanent status is not compared (302 against
 * 307 is how the two frameworks write a redirect by default).
 * @param from the request's path and query, where the first redirect was answered
 */
export function permanenceChanged(legacy: readonly string[], candidate: readonly string[], from: string): boolean {
  if (legacy.length !== candidate.length) return false;
  let at = pathOf(from);
  for (let i = 0; i < legacy.length; i++) {
    const [ls, lt] = splitHop(legacy[i] as string);
    const [cs, ct] = splitHop(candidate[i] as string);
    if (lt !== ct) return false;
    const to = pathOf(lt);
    const slash = to === `${at}/` || at === `${to}/`;
    if (!slash && PERMANENT.has(ls) !== PERMANENT.has(cs)) return true;
    at = to;
  }
  return false;
}

/** A chain's hop (`"301 /tools/1"`) as its status and target. */
function splitHop(hop: string): [number, string] {
  const space = hop.indexOf(' ');
  return [Number(hop.slice(0, space)), hop.slice(space + 1)];
}
