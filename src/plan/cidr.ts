/** CIDR ranges as the plan writes them (`router.trustedProxies`). */
import { isIP } from 'node:net';

/** Parses `a.b.c.d/n`, `x::y/n` or a bare address; an error message when it is not one. */
export function parseCidr(text: string): { address: string; prefix: number; family: 'ipv4' | 'ipv6' } | string {
  const slash = text.indexOf('/');
  const address = slash < 0 ? text : text.slice(0, slash);
  const v = isIP(address);
  if (v === 0) return `"${address}" is not an IPv4 or IPv6 address`;
  const max = v === 4 ? 32 : 128;
  const prefix = slash < 0 ? max : Number(text.slice(slash + 1));
  if (!Number.isInteger(prefix) || prefix < 0 || prefix > max || slash === text.length - 1)
    return `prefix length must be a whole number from 0 to ${max}, got "${text.slice(slash + 1)}"`;
  return { address, prefix, family: v === 4 ? 'ipv4' : 'ipv6' };
}
