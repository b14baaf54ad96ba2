/** Small helpers for the servers the data plane starts (the router's two, the comparator's two). */
import type http from 'node:http';
import type { AddressInfo } from 'node:net';

/** The port of `url`, or its scheme's default. */
export function portOf(url: string): number {
  const u = new URL(url);
  return u.port ? Number(u.port) : u.protocol === 'https:' ? 443 : 80;
}

/** Listens on `host:port` (0 picks a free port); resolves with the port taken. */
export function listen(server: http.Server, port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

/** `host` as it goes in a URL (IPv6 in brackets). */
export function hostForUrl(host: string): string {
  return host.includes(':') ? `[${host}]` : host;
}

/**
 * Stops `servers` taking connections and resolves once every connection has ended: idle
 * keep-alive connections are closed at once, and any still open after `forceAfterMs` are cut.
 * @param forceAfterMs grace for answers under way (ms). @default 2000
 */
export async function closeServers(servers: readonly http.Server[], forceAfterMs = 2000): Promise<void> {
  const closed = Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
  for (const s of servers) s.closeIdleConnections();
  const force = setTimeout(() => {
    for (const s of servers) s.closeAllConnections();
  }, forceAfterMs);
  await closed;
  clearTimeout(force);
}
