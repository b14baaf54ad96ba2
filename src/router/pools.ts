/** Keep-alive undici pools, one per upstream origin, shared by every family that names it. */
import { Pool } from 'undici';

export interface UpstreamPools {
  /** The pool for `origin`, created on first use. */
  pool(this: void, origin: string): Pool;
  /** Closes every pool, destroying those that do not close cleanly. */
  close(): Promise<void>;
}

/** @param connections sockets per origin at most */
export function upstreamPools(connections: number): UpstreamPools {
  const pools = new Map<string, Pool>();
  return {
    pool(origin) {
      let p = pools.get(origin);
      if (!p) pools.set(origin, (p = new Pool(origin, { connections, pipelining: 1, keepAliveTimeout: 30_000 })));
      return p;
    },
    async close() {
      await Promise.all([...pools.values()].map((p) => p.close().catch(() => p.destroy())));
    },
  };
}
