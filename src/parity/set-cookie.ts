/**
 * `Set-Cookie` compared cookie by cookie and attribute by attribute, as a browser reads it. As one
 * string it differed on every answer (a fresh session id, an `Expires` a second later), so it was
 * learned as noise and a cookie that lost `HttpOnly` went unseen, while `SameSite=Lax` against
 * `SameSite=lax` (the same to a browser) was a difference. Here each cookie's value is a
 * difference at `header:set-cookie.<name>` (never shown: it is a credential) and each attribute
 * at `header:set-cookie.<name>.<attribute>`, so noise is learned per cookie and per attribute.
 * Attribute names and `SameSite` compare in any case, a `Domain` without its leading dot, and two
 * expiry times a minute apart or less are the same (an `Expires` written a second later, or
 * `Max-Age` against the `Expires` it stands for). Pure, but for the clock read to place `Max-Age`.
 */
import { headerLines } from './headers.js';
import type { Difference, HttpSnapshot } from './types.js';

/** One cookie as set: its value and attributes (lower-case names; `true` for a flag such as `HttpOnly`). */
interface SetCookie {
  value: string;
  attributes: Map<string, string | true>;
}

/** Two expiry times this close (ms) are the same. */
const EXPIRY_SLACK_MS = 60_000;

/** The header's raw values, however many `Set-Cookie` lines the answer had. */
export function setCookieLines(headers: HttpSnapshot['headers']): string[] {
  // Lines joined by a proxy: a comma followed by `name=` starts a cookie (the one in `Expires` does not).
  return headerLines(headers, 'set-cookie').flatMap((line) => line.split(/,\s*(?=[^;,=\s]+=)/));
}

function parse(lines: readonly string[]): Map<string, SetCookie> {
  const out = new Map<string, SetCookie>();
  for (const line of lines) {
    const [pair = '', ...attrs] = line.split(';');
    const eq = pair.indexOf('=');
    if (eq <= 0) continue;
    const attributes = new Map<string, string | true>();
    for (const a of attrs) {
      const i = a.indexOf('=');
      const name = (i < 0 ? a : a.slice(0, i)).trim().toLowerCase();
      if (name === '') continue;
      let value = i < 0 ? '' : a.slice(i + 1).trim();
      if (name === 'samesite') value = value.toLowerCase();
      if (name === 'domain') value = value.toLowerCase().replace(/^\./, '');
      attributes.set(name, i < 0 ? true : value);
    }
    out.set(pair.slice(0, eq).trim(), { value: pair.slice(eq + 1).trim(), attributes });
  }
  return out;
}

/** When the cookie expires, epoch ms (`Max-Age` from `now` wins over `Expires`, as in browsers); undefined for a session cookie. */
function expiry(c: SetCookie, now: number): number | undefined {
  const maxAge = c.attributes.get('max-age');
  if (typeof maxAge === 'string' && /^-?\d+$/.test(maxAge)) return now + Number(maxAge) * 1000;
  const expires = c.attributes.get('expires');
  if (typeof expires !== 'string') return undefined;
  const t = Date.parse(expires);
  return Number.isNaN(t) ? undefined : t;
}

const shown = (v: string | true | undefined): string | undefined => (v === true ? 'set' : v);

/**
 * The differences between two answers' cookies, each of kind `header` at its own path; in `noise`,
 * values that `o.generated` takes for two fresh tokens.
 */
export function compareSetCookies(
  legacy: readonly string[],
  candidate: readonly string[],
  o: {
    /** The clock `Max-Age` counts from, epoch ms. @default Date.now() */
    now?: number;
    /** Whether two differing cookie values are both generated (set aside as noise). */
    generated?: (a: string, b: string) => boolean;
  } = {},
): { differences: Difference[]; noise: Difference[] } {
  const now = o.now ?? Date.now();
  const a = parse(legacy);
  const b = parse(candidate);
  const out: Difference[] = [];
  const noise: Difference[] = [];
  for (const [name, x] of a) {
    const path = `header:set-cookie.${name}`;
    const y = b.get(name);
    if (y === undefined) {
      out.push({ path, kind: 'header', legacy: 'set' });
      continue;
    }
    if (x.value !== y.value)
      (o.generated?.(x.value, y.value) === true ? noise : out).push({
        path,
        kind: 'header',
        legacy: '[redacted]',
        candidate: '[redacted]',
      });
    const ex = expiry(x, now);
    const ey = expiry(y, now);
    const expiresAlike = ex !== undefined && ey !== undefined && Math.abs(ex - ey) <= EXPIRY_SLACK_MS;
    for (const attr of new Set([...x.attributes.keys(), ...y.attributes.keys()])) {
      if ((attr === 'expires' || attr === 'max-age') && (expiresAlike || (ex === undefined && ey === undefined)))
        continue;
      const va = x.attributes.get(attr);
      const vb = y.attributes.get(attr);
      if (va === vb) continue;
      const d: Difference = { path: `${path}.${attr}`, kind: 'header' };
      if (va !== undefined) d.legacy = shown(va);
      if (vb !== undefined) d.candidate = shown(vb);
      out.push(d);
    }
  }
  for (const name of b.keys())
    if (!a.has(name)) out.push({ path: `header:set-cookie.${name}`, kind: 'header', candidate: 'set' });
  return { differences: out, noise };
}
