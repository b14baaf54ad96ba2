/**
 * Redirects in the shadow comparison, judged as a client sees them. A client follows a redirect,
 * so two services that reach the same final answer by different hops (legacy `/x` 308 → `/x/`,
 * new answering `/x` directly) behave the same for it. For a safe request, the shadow thread
 * follows same-origin redirects on both sides (at most {@link MAX_HOPS}), compares the final
 * answers, and reports a chain that differs as a `redirect` difference. Runs on the shadow
 * thread only; the client's own answer is never changed.
 */
import type { Dispatcher } from 'undici';
import type { HttpSnapshot } from '../parity/index.js';

/** Redirects followed per side at most. */
export const MAX_HOPS = 5;

const REDIRECTS = new Set([301, 302, 303, 307, 308]);

/** One upstream as the follower sees it. */
export interface FollowSide {
  pool: Dispatcher;
  /** The upstream's origin (`http://127.0.0.1:5101`). */
  origin: string;
  /** The headers sent to it (hop-by-hop removed; `host` when it preserves the client's). */
  headers: Record<string, string | string[]>;
}

/** What following one side gave: the final answer, the URL it came from, and the hops taken. */
export interface Followed {
  final: HttpSnapshot;
  /** Path and query of the final answer. */
  url: string;
  /** `"<status> <path?query>"` per hop. */
  chain: string[];
}

function header(h: HttpSnapshot['headers'], name: string): string | undefined {
  const v = h[name];
  return Array.isArray(v) ? v[0] : v;
}

/** True when `answer` is a redirect with a `Location` (worth following). */
export function isRedirect(answer: HttpSnapshot): boolean {
  return REDIRECTS.has(answer.status) && header(answer.headers, 'location') !== undefined;
}

/**
 * The path a redirect leads to on the same upstream, or undefined when it leads elsewhere. Same
 * origin: relative, the upstream's own origin, or the client's host (an upstream that got the
 * client's `Host` writes that).
 */
function sameOriginTarget(
  location: string,
  side: FollowSide,
  from: string,
  clientHost: string | undefined,
): string | undefined {
  let target: URL;
  try {
    target = new URL(location, side.origin + from);
  } catch {
    return undefined;
  }
  if (target.origin !== side.origin && (clientHost === undefined || target.host !== clientHost)) return undefined;
  return target.pathname + target.search;
}

/**
 * Sends one request from the shadow thread and keeps the whole answer; undefined (the body
 * destroyed) when it is larger than `maxBytes`. Also used for noise learning's second legacy request.
 */
export async function fetchWhole(
  pool: Dispatcher,
  req: Pick<Dispatcher.RequestOptions, 'path' | 'method' | 'headers' | 'body'>,
  timeoutMs: number,
  maxBytes: number,
): Promise<HttpSnapshot | undefined> {
  const r = await pool.request({ ...req, headersTimeout: timeoutMs, bodyTimeout: timeoutMs });
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of r.body as AsyncIterable<Buffer>) {
    size += c.length;
    if (size > maxBytes) {
      r.body.destroy();
      return undefined;
    }
    chunks.push(c);
  }
  return { status: r.statusCode, headers: r.headers, body: Buffer.concat(chunks) };
}

/**
 * Follows `first` (the answer to a safe `method` on `url`) through same-origin redirects. Gives
 * up (undefined) when a hop fails or is too large to compare, so the first answers are compared.
 */
export async function follow(
  side: FollowSide,
  method: string,
  url: string,
  first: HttpSnapshot,
  clientHost: string | undefined,
  timeoutMs: number,
  maxBytes: number,
): Promise<Followed | undefined> {
  let answer = first;
  let at = url;
  const chain: string[] = [];
  while (chain.length < MAX_HOPS && isRedirect(answer)) {
    const next = sameOriginTarget(header(answer.headers, 'location')!, side, at, clientHost);
    if (next === undefined) break;
    chain.push(`${answer.status} ${next}`);
    const m = answer.status === 303 && method !== 'HEAD' ? 'GET' : method;
    try {
      const got = await fetchWhole(side.pool, { path: next, method: m, headers: side.headers }, timeoutMs, maxBytes);
      if (!got) return undefined;
      answer = got;
    } catch {
      return undefined;
    }
    at = next;
  }
  return { final: answer, url: at, chain };
}
