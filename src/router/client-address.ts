/**
 * The client's address as the canary's sticky key sees it. Behind a load balancer every request
 * comes from the balancer's address, so a canary keyed on the socket would be all or nothing.
 * When the socket's peer is one of the plan's trusted proxies (`router.trustedProxies`), the
 * address comes from `X-Forwarded-For` (the rightmost entry that is not itself a trusted proxy)
 * or, without it, from `Forwarded: for=`. From any other peer those headers are ignored: a
 * client could write anything there.
 */
import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';
import { BlockList, isIP, type Socket } from 'node:net';
import { parseCidr } from '../plan/cidr.js';

/** Compiled trusted-proxy ranges. */
export interface Trust {
  /** True when `address` (IPv4, IPv6 or IPv4-mapped IPv6) lies in a trusted range. */
  has(address: string): boolean;
}

/** Compiles the plan's CIDRs (already validated by the plan schema); undefined when there are none. */
export function compileTrust(cidrs: readonly string[]): Trust | undefined {
  if (cidrs.length === 0) return undefined;
  const list = new BlockList();
  for (const c of cidrs) {
    const p = parseCidr(c);
    if (typeof p === 'string') throw new Error(`bad trusted proxy "${c}": ${p}`);
    list.addSubnet(p.address, p.prefix, p.family);
  }
  return {
    has(address) {
      const v = isIP(address);
      return v !== 0 && list.check(address, v === 4 ? 'ipv4' : 'ipv6');
    },
  };
}

const kTrusted = Symbol('phoenix.trustedPeer');
type MarkedSocket = Socket & { [kTrusted]?: boolean };

/** Whether the socket's peer is a trusted proxy, decided once per connection. */
export function peerTrusted(socket: Socket, trust: Trust): boolean {
  const s = socket as MarkedSocket;
  let t = s[kTrusted];
  if (t === undefined) s[kTrusted] = t = trust.has(socket.remoteAddress ?? '');
  return t;
}

/** `[v6]:port`, `"[v6]"`, `v4:port` → the bare address. */
function bareAddress(raw: string): string {
  let s = raw.trim();
  if (s.charCodeAt(0) === 0x22 && s.charCodeAt(s.length - 1) === 0x22) s = s.slice(1, -1);
  if (s.charCodeAt(0) === 0x5b) {
    const end = s.indexOf(']');
    return end < 0 ? s.slice(1) : s.slice(1, end);
  }
  const colon = s.indexOf(':');
  // One colon: IPv4 with a port. More: a bare IPv6 address.
  return colon >= 0 && s.indexOf(':', colon + 1) < 0 ? s.slice(0, colon) : s;
}

/** The `for=` addresses of a `Forwarded` header, in order. */
function forwardedFor(header: string): string[] {
  const out: string[] = [];
  for (const element of header.split(',')) {
    for (const pair of element.split(';')) {
      const eq = pair.indexOf('=');
      if (eq < 0 || pair.slice(0, eq).trim().toLowerCase() !== 'for') continue;
      out.push(bareAddress(pair.slice(eq + 1)));
    }
  }
  return out;
}

/** The rightmost entry that is not a trusted proxy; the leftmost when all are. */
function rightmostUntrusted(hops: string[], trust: Trust): string | undefined {
  for (let i = hops.length - 1; i >= 0; i--) {
    const h = hops[i]!;
    if (h.length > 0 && !trust.has(h)) return h;
  }
  return hops.find((h) => h.length > 0);
}

/**
 * The client address that forwarding headers give, read as a trusted proxy wrote them: the
 * rightmost `X-Forwarded-For` entry that is not a trusted proxy, else `Forwarded: for=`'s;
 * undefined when neither header names one. Only for requests from a trusted peer.
 */
export function forwardedClient(headers: IncomingHttpHeaders, trust: Trust): string | undefined {
  const xff = headers['x-forwarded-for'];
  if (xff !== undefined) {
    const hops = (Array.isArray(xff) ? xff.join(',') : xff).split(',').map(bareAddress);
    return rightmostUntrusted(hops, trust);
  }
  const fwd = headers.forwarded;
  return fwd === undefined ? undefined : rightmostUntrusted(forwardedFor(fwd), trust);
}

/**
 * The client's address for `req`: the socket's peer, or, when that peer is a trusted proxy, the
 * address the forwarding headers give. Costs one property read per request without trusted proxies.
 */
export function clientAddress(req: IncomingMessage, trust: Trust | undefined): string {
  const peer = req.socket.remoteAddress ?? '';
  if (trust === undefined || !peerTrusted(req.socket, trust)) return peer;
  return forwardedClient(req.headers, trust) ?? peer;
}
