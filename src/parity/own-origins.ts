/**
 * Absolute URLs a service builds from the `Host` it was sent (FastAPI's `request.url_for`, Flask's
 * `url_for(_external=True)`, a page's `next` link): legacy names its own address and new its own,
 * which says nothing of what the two services do. Each side's own origin is set aside before two
 * differing strings are judged. Pure.
 */

/** The host (`host[:port]`, as in `Host`) each side was sent its request with. */
export interface OwnHosts {
  legacy: string;
  candidate: string;
}

/** What a side's own origin is replaced with; no JSON string or header holds it. */
const MARK = '\u0000origin';

/**
 * `http://host`, `https://host` or `//host`, not followed by more of a host name or a port:
 * anywhere in a string, or only at its start.
 */
function originPattern(host: string, atStart = false): RegExp {
  const escaped = host.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return new RegExp(`${atStart ? '^' : ''}(?:https?:)?//${escaped}(?![\\w.:-])`, atStart ? 'i' : 'gi');
}

/** Compares strings with each side's own origin set aside; patterns are built on first use. */
export class OwnOrigins {
  private patterns: [RegExp, RegExp] | undefined;
  private starts: [RegExp, RegExp] | undefined;
  private readonly hosts: OwnHosts;

  constructor(hosts: OwnHosts) {
    this.hosts = hosts;
  }

  /**
   * Whether `a` (legacy's) and `b` (new's) are equal once each names its own origin the same way:
   * `http://127.0.0.1:5400/api/pets/2` and `http://127.0.0.1:8400/api/pets/2`. A URL new builds
   * with any other host (a hard-coded one, legacy's) still differs.
   */
  same(a: string, b: string): boolean {
    if (!a.includes('//') || !b.includes('//') || this.hosts.legacy === this.hosts.candidate) return false;
    this.patterns ??= [originPattern(this.hosts.legacy), originPattern(this.hosts.candidate)];
    const x = a.replace(this.patterns[0], MARK);
    return x !== a && x === b.replace(this.patterns[1], MARK);
  }

  /**
   * `value` with `side`'s own origin taken off its start, as a client resolves a `location` it was
   * sent against the address it asked: `http://127.0.0.1:8400/api/pets/2` → `/api/pets/2`. A URL
   * with any other host, or a path, as it stands.
   */
  relative(value: string, side: keyof OwnHosts): string {
    if (!value.includes('//')) return value;
    this.starts ??= [originPattern(this.hosts.legacy, true), originPattern(this.hosts.candidate, true)];
    const path = value.replace(this.starts[side === 'legacy' ? 0 : 1], '');
    return path === '' ? '/' : path;
  }

  /**
   * Whether two `location` headers send the client to the same place: Flask's `/api/pets/2`
   * against Starlette's `http://127.0.0.1:8400/api/pets/2` (each side's own origin) is the same.
   */
  sameLocation(a: string, b: string): boolean {
    return this.relative(a, 'legacy') === this.relative(b, 'candidate');
  }
}

/** The comparison's {@link OwnOrigins}, when it names each side's host. */
export const originsOf = (o: { ownHosts?: OwnHosts } | undefined): OwnOrigins | undefined =>
  o?.ownHosts === undefined ? undefined : new OwnOrigins(o.ownHosts);

/** The hosts of a family's legacy and new URLs: what each gets as `Host` when Phoenix asks it directly. */
export const ownHostsOf = (urls: { legacy: string; new: string }): OwnHosts => ({
  legacy: new URL(urls.legacy).host,
  candidate: new URL(urls.new).host,
});
