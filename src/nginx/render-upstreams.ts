/**
 * The upstream groups of the rendered file: one per distinct legacy or new service (scheme and
 * `host:port`), each with keepalive, and what a location needs to proxy to one, fixed or held in a
 * variable: the `proxy_pass` target, the `Host` sent, and for `https://` services the name nginx
 * verifies the certificate against and sends in SNI. Pure; see docs/nginx.md.
 */
import { PhoenixError } from '../lib/errors.js';

/** One upstream group. */
export interface Upstream {
  /** The group's name (`phx_u<n>`). */
  name: string;
  /** `host:port`, the `server` of its `upstream` block. */
  server: string;
  /** The URL's host, as sent in `Host`: without the scheme's default port, as the router sends it. */
  host: string;
  /** Whether the service speaks HTTPS. */
  tls: boolean;
  /** The host name its certificate must carry (and the SNI sent). */
  sni: string;
}

/** A `proxy_pass` target, with the lines that name its host for TLS (none for plain HTTP). */
export interface PassTarget {
  pass: string;
  tls: string[];
}

/** Variables a location reads when its group is chosen per request (see {@link UpstreamGroups.maps}). */
export interface GroupVariables {
  /** Holds the group's name. */
  group: string;
  /** Set to its `Host`. */
  host: string;
  /** Set to `http` or `https` (only when some group speaks HTTPS). */
  scheme: string;
  /** Set to its certificate's name (only when some group speaks HTTPS). */
  sni: string;
}

/** The upstreams of one rendering, in the order they were first named. */
export class UpstreamGroups {
  private readonly byUrl = new Map<string, Upstream>();

  /** The group of a plan URL (`side` and `family` name it in the error for a URL nginx cannot take). */
  add(family: string, side: string, raw: string): Upstream {
    const target = upstreamOf(family, side, raw);
    const key = `${target.tls ? 'https' : 'http'}://${target.server}`;
    let g = this.byUrl.get(key);
    if (g === undefined) this.byUrl.set(key, (g = { name: `phx_u${this.byUrl.size}`, ...target }));
    return g;
  }

  /** Whether any group speaks HTTPS: the server then verifies upstream certificates. */
  get anyTls(): boolean {
    for (const g of this.byUrl.values()) if (g.tls) return true;
    return false;
  }

  /** The `upstream` blocks. */
  blocks(): string[] {
    // Enough idle connections for a burst of clients, each kept for many requests: a request past
    // the pool's size or a connection's request limit pays a new upstream connection.
    return [...this.byUrl.values()].map(
      (g) => `upstream ${g.name} { server ${g.server}; keepalive 64; keepalive_requests 100000; }`,
    );
  }

  /** The maps from a variable holding a group's name to its `Host` (and scheme and SNI name when some group speaks HTTPS). */
  maps(v: GroupVariables): string[] {
    const groups = [...this.byUrl.values()];
    const map = (to: string, value: (g: Upstream) => string): string[] => [
      `map ${v.group} ${to} {`,
      ...groups.map((g) => `  ${g.name} ${value(g)};`),
      '}',
    ];
    return [
      ...map(v.host, (g) => `"${g.host}"`),
      ...(this.anyTls ? [...map(v.scheme, (g) => (g.tls ? 'https' : 'http')), ...map(v.sni, (g) => `"${g.sni}"`)] : []),
    ];
  }

  /**
   * The `proxy_pass` target and TLS name of a group held in a variable, `uri` appended: the
   * scheme is fixed as `http` while no group speaks HTTPS, so such plans render as before.
   */
  varTarget(v: GroupVariables, uri = ''): PassTarget {
    return this.anyTls
      ? { pass: `${v.scheme}://${v.group}${uri}`, tls: [`    proxy_ssl_name ${v.sni};`] }
      : { pass: `http://${v.group}${uri}`, tls: [] };
  }

  /**
   * The server-level settings for HTTPS upstreams, when there are any: certificates are verified
   * against `ca` (a CA bundle), through intermediates, and SNI is sent. Each location names the
   * host (`proxy_ssl_name`), since nginx's default would be the group's name.
   */
  serverTls(ca: string): string[] {
    if (!this.anyTls) return [];
    return [
      '  proxy_ssl_verify on;',
      `  proxy_ssl_trusted_certificate ${ca};`,
      '  proxy_ssl_verify_depth 4;',
      '  proxy_ssl_server_name on;',
      '  proxy_ssl_session_reuse on;',
    ];
  }
}

/**
 * Where a plan URL points, as nginx is told: `server`, `Host`, scheme and certificate name.
 * @throws PhoenixError `PHX_ERR_NGINX_UPSTREAM` for a URL with a path or query, or neither http:// nor https://
 */
export function upstreamOf(family: string, side: string, raw: string): Omit<Upstream, 'name'> {
  const u = new URL(raw);
  const tls = u.protocol === 'https:';
  if ((!tls && u.protocol !== 'http:') || (u.pathname !== '/' && u.pathname !== '') || u.search !== '') {
    throw new PhoenixError(
      'PHX_ERR_NGINX_UPSTREAM',
      `family "${family}": ${side} upstream "${raw}" cannot be rendered for nginx: only http:// and https:// URLs without a path are supported`,
      { family, side, url: raw },
    );
  }
  return {
    server: u.port === '' ? `${u.hostname}:${tls ? 443 : 80}` : u.host,
    host: u.host,
    tls,
    // An IPv6 literal's brackets are not part of the name its certificate carries.
    sni: u.hostname.replace(/^\[(.*)\]$/, '$1'),
  };
}

/** The `proxy_pass` target and TLS name of a fixed group. */
export function fixedTarget(g: Upstream): PassTarget {
  return g.tls
    ? { pass: `https://${g.name}`, tls: [`    proxy_ssl_name "${g.sni}";`] }
    : { pass: `http://${g.name}`, tls: [] };
}
