/**
 * Which header fields cross the router, each way: hop-by-hop fields (RFC 9110 §7.6.1) and the
 * fields a `Connection` header names never do; forwarding fields are added on the way up and
 * `X-Request-Id` is kept or set on both ways. Credentials are passed on unchanged here (per-side
 * identity is `identity.ts`; masking in records is `redact.ts`).
 */
import type { IncomingMessage } from 'node:http';
import { util } from 'undici';
import { peerTrusted, type Trust } from './client-address.js';

/** RFC 9110 §7.6.1: connection-specific fields are never forwarded. */
export const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'proxy-authenticate',
  'proxy-authorization',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
]);

/** Header fields as Node parses them (lower-case names). */
export type HeaderMap = Record<string, string | string[] | undefined>;

/** The fields a `Connection` header names, which are hop-by-hop too; undefined for the common values. */
export function connectionTokens(value: string | string[] | undefined): Set<string> | undefined {
  if (typeof value !== 'string' || value === 'keep-alive' || value === 'close') return undefined;
  return new Set(value.split(',').map((t) => t.trim().toLowerCase()));
}

/** An upstream answer's raw header list as the client gets it: hop-by-hop fields dropped, `x-request-id` set. */
export function responseHeaders(raw: Buffer[], requestId: string): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = Object.create(null) as Record<string, string | string[]>;
  let connection: string | undefined;
  for (let i = 0; i < raw.length; i += 2) {
    const key = util.headerNameToString(raw[i]!);
    const value = raw[i + 1]!.toString('latin1');
    if (HOP_BY_HOP.has(key)) {
      if (key === 'connection') connection = value;
      continue;
    }
    const seen = out[key];
    if (seen === undefined) out[key] = value;
    else if (typeof seen === 'string') out[key] = [seen, value];
    else seen.push(value);
  }
  const drop = connectionTokens(connection);
  if (drop) for (const k of drop) delete out[k];
  if (out['x-request-id'] === undefined) out['x-request-id'] = requestId;
  return out;
}

/**
 * What goes upstream: the client's fields without hop-by-hop ones and `host`, plus forwarding
 * fields. `X-Forwarded-Proto` and `-Host` from the client are kept only when its peer is a trusted
 * proxy; anyone else could claim `https` or another host to an upstream that builds URLs from them.
 */
export function upstreamHeaders(
  req: IncomingMessage,
  requestId: string,
  trust: Trust | undefined,
): Record<string, string | string[]> {
  const h = req.headers as HeaderMap;
  const drop = connectionTokens(h.connection);
  const out: Record<string, string | string[]> = {};
  for (const k in h) {
    const v = h[k];
    if (v === undefined || HOP_BY_HOP.has(k) || k === 'host' || drop?.has(k)) continue;
    out[k] = v;
  }
  const addr = req.socket.remoteAddress ?? '';
  const xff = h['x-forwarded-for'];
  out['x-forwarded-for'] = xff ? `${Array.isArray(xff) ? xff.join(', ') : xff}, ${addr}` : addr;
  const relayed = trust !== undefined && peerTrusted(req.socket, trust);
  if (!relayed || out['x-forwarded-proto'] === undefined)
    out['x-forwarded-proto'] = 'encrypted' in req.socket ? 'https' : 'http';
  if (!relayed || out['x-forwarded-host'] === undefined) {
    if (h.host !== undefined) out['x-forwarded-host'] = h.host;
    else delete out['x-forwarded-host'];
  }
  out['x-request-id'] = requestId;
  return out;
}

/** Parsed answer fields (an adapted answer's) as the client gets them: hop-by-hop fields dropped, `x-request-id` set. */
export function clientHeaders(h: HeaderMap, requestId: string): Record<string, string | string[]> {
  const drop = connectionTokens(h.connection);
  const out: Record<string, string | string[]> = {};
  for (const k in h) {
    const v = h[k];
    if (v === undefined || HOP_BY_HOP.has(k) || drop?.has(k)) continue;
    out[k] = v;
  }
  if (out['x-request-id'] === undefined) out['x-request-id'] = requestId;
  return out;
}

/** The request announces a body (a length other than 0, or chunked). */
export function hasBody(req: IncomingMessage): boolean {
  const len = req.headers['content-length'];
  return (len !== undefined && len !== '0') || req.headers['transfer-encoding'] !== undefined;
}
