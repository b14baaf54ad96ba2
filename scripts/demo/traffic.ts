/**
 * The demo's load generator: a steady mix of realistic requests from many users through the
 * router, so shadow parity, canary splits and the guard all see real traffic.
 */
import { Agent, request } from 'undici';

/** One request template; `{id}` and `{page}` are replaced by user-dependent numbers. */
export interface TrafficRoute {
  method: 'GET' | 'POST';
  path: string;
  weight: number;
  body?: unknown;
}

export interface TrafficStats {
  sent: number;
  byStatus: Record<string, number>;
  errors: number;
  /** GETs answered 5xx or not at all: what users would have seen. */
  failedGets: number;
}

export interface TrafficDriver {
  stats: TrafficStats;
  stop(): Promise<void>;
}

/**
 * Sends requests from `users` simulated users, `concurrency` at a time, until stopped.
 * @param ratePerSec target request rate, spread over the workers. @default 80
 */
export function startTraffic(
  baseUrl: string,
  routes: readonly TrafficRoute[],
  options: { concurrency?: number; ratePerSec?: number; users?: number } = {},
): TrafficDriver {
  const concurrency = options.concurrency ?? 4;
  const users = options.users ?? 200;
  const gapMs = (1000 * concurrency) / (options.ratePerSec ?? 80);
  const dispatcher = new Agent({ connections: concurrency, keepAliveTimeout: 10_000 });
  const total = routes.reduce((s, r) => s + r.weight, 0);
  const stats: TrafficStats = { sent: 0, byStatus: {}, errors: 0, failedGets: 0 };
  let running = true;
  let seq = 0;

  const pick = (): TrafficRoute => {
    let x = Math.random() * total;
    for (const r of routes) {
      x -= r.weight;
      if (x <= 0) return r;
    }
    return routes[routes.length - 1]!;
  };

  const loop = async (): Promise<void> => {
    while (running) {
      const started = Date.now();
      const user = (seq++ * 7919) % users;
      const r = pick();
      const path = r.path.replace('{id}', String((user % 40) + 1)).replace('{page}', String((user % 4) + 1));
      try {
        const res = await request(`${baseUrl}${path}`, {
          method: r.method,
          dispatcher,
          headers: { 'x-user-id': `user-${user}`, ...(r.body ? { 'content-type': 'application/json' } : {}) },
          body: r.body ? JSON.stringify(r.body) : undefined,
          headersTimeout: 10_000,
        });
        await res.body.dump();
        const key = `${Math.floor(res.statusCode / 100)}xx`;
        stats.byStatus[key] = (stats.byStatus[key] ?? 0) + 1;
        if (r.method === 'GET' && res.statusCode >= 500) stats.failedGets += 1;
      } catch {
        stats.errors += 1;
        if (r.method === 'GET') stats.failedGets += 1;
      }
      stats.sent += 1;
      const wait = gapMs - (Date.now() - started);
      if (wait > 0 && running) await new Promise((resolve) => setTimeout(resolve, wait));
    }
  };
  const loops = Array.from({ length: concurrency }, loop);
  return {
    stats,
    async stop() {
      running = false;
      await Promise.all(loops);
      await dispatcher.close();
    },
  };
}
