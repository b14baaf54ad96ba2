/**
 * The pair of servers the router and the comparator both run: one for traffic (the router's
 * public port, the comparator's mirror port) and one for the admin API. Both must start, report
 * a port they cannot take and shut down alike, so `phoenix` treats either process the same way.
 */
import type http from 'node:http';
import { PhoenixError } from '../lib/errors.js';
import { closeServers, hostForUrl, listen } from './listen.js';

/** The admin-side options the router and the comparator share, so both take the same flags. */
export interface ServerPairOptions {
  /** @default "127.0.0.1" */
  host?: string;
  /** Admin API port; 0 picks a free one. @default the port of `plan.router.adminUrl` */
  adminPort?: number;
  /** @default "127.0.0.1" */
  adminHost?: string;
  /** Admin bearer token. @default process.env.PHOENIX_ADMIN_TOKEN */
  adminToken?: string;
  /** Run the admin API without a token; allowed on a loopback admin host only. @default false */
  insecureAdmin?: boolean;
}

/** Where a started pair listens. */
export interface BoundPair {
  url: string;
  adminUrl: string;
  port: number;
  adminPort: number;
}

/**
 * Listens on both ports, traffic first. On failure the traffic server is closed and `release`
 * frees the rest before the error is thrown: nothing may keep the process alive after a failed
 * start, since the caller exits with the error.
 * @param o.which the traffic port's name in the error (`public` for the router, `mirror` for the comparator)
 * @param o.code the error code thrown when a port cannot be taken
 * @throws PhoenixError `o.code`, with `{ port, which }` naming the port that failed
 */
export async function listenPair<W extends string>(o: {
  server: http.Server;
  adminServer: http.Server;
  which: W;
  port: number;
  adminPort: number;
  host: string;
  adminHost: string;
  code: string;
  release: () => Promise<void>;
}): Promise<BoundPair> {
  let which: W | 'admin' = o.which;
  let port: number;
  let adminPort: number;
  try {
    port = await listen(o.server, o.port, o.host);
    which = 'admin';
    adminPort = await listen(o.adminServer, o.adminPort, o.adminHost);
  } catch (err) {
    o.server.close();
    await o.release();
    const e = err as NodeJS.ErrnoException;
    const at = which === 'admin' ? `${o.adminHost}:${o.adminPort}` : `${o.host}:${o.port}`;
    throw new PhoenixError(
      o.code,
      `cannot listen on the ${which} port ${at} (${e.code ?? e.message}); ${e.code === 'EADDRINUSE' ? 'another process holds it: stop it, or ' : ''}choose other ports with --port / --admin-port`,
      { port: which === 'admin' ? o.adminPort : o.port, which },
      { cause: err },
    );
  }
  return {
    url: `http://${hostForUrl(o.host)}:${port}`,
    adminUrl: `http://${hostForUrl(o.adminHost)}:${adminPort}`,
    port,
    adminPort,
  };
}

/**
 * A `close()` that stops both servers, then runs `release`, and returns the same promise on every
 * call: shutdown paths (signals, tests, the CLI) may each call it, and the pools must close once.
 */
export function closePairOnce(servers: readonly http.Server[], release: () => Promise<void>): () => Promise<void> {
  let closing: Promise<void> | undefined;
  return () => {
    closing ??= (async () => {
      await closeServers(servers);
      await release();
    })();
    return closing;
  };
}
