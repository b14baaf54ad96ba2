/**
 * `Location` and `Content-Location` as a client sees them. An upstream that builds absolute URLs
 * from its own address (`http://127.0.0.1:5101/x/`) would send a client following them around
 * the router. Values that start with the upstream's origin get the client's origin (the scheme it
 * used and its `Host`) instead, as nginx's `proxy_redirect default` does; relative values and
 * other origins are left alone.
 */
import type { IncomingMessage } from 'node:http';
import { peerTrusted, type Trust } from './client-address.js';

/** The origin the client used: its scheme (`X-Forwarded-Proto` from a trusted proxy) and `Host`. */
function clientOrigin(req: IncomingMessage, trust: Trust | undefined): string | undefined {
  const host = req.headers.host;
  if (host === undefined || host === '') return undefined;
  let scheme = 'encrypted' in req.socket ? 'https' : 'http';
  if (trust !== undefined && peerTrusted(req.socket, trust)) {
    const proto = req.headers['x-forwarded-proto'];
    if (proto === 'https' || proto === 'http') scheme = proto;
  }
  return `${scheme}://${host}`;
}

function rewrite(value: string, from: string, to: string): string {
  if (!value.startsWith(from)) return value;
  const next = value.charCodeAt(from.length);
  // Only the whole origin: `http://a:5101` must not match `http://a:51010/`.
  if (!Number.isNaN(next) && next !== 0x2f && next !== 0x3f && next !== 0x23) return value;
  return to + value.slice(from.length);
}

/**
 * Rewrites the answer's `Location`/`Content-Location` values that point at `upstream` (an origin,
 * `http://host:port`) to the client's origin, in place. Call only when one of them is present.
 */
export function rewriteLocations(
  headers: Record<string, string | string[]>,
  upstream: string,
  req: IncomingMessage,
  trust: Trust | undefined,
): void {
  const to = clientOrigin(req, trust);
  if (to === undefined) return;
  for (const name of ['location', 'content-location']) {
    const v = headers[name];
    if (typeof v === 'string') headers[name] = rewrite(v, upstream, to);
    else if (v !== undefined) headers[name] = v.map((one) => rewrite(one, upstream, to));
  }
}
