/**
 * `phoenix router` started as its own process (the CLI in bin/, through the launcher), for tests
 * that judge the process itself: its signals, its children, its RSS.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { request } from 'undici';
import { fakeUpstream, type FakeUpstream } from './fake-upstream.js';
import { writePlanFile } from './plan-builder.js';
import { waitFor } from './wait.js';

export { PHOENIX_BIN } from './phoenix-cli.js';

/** A temp dir, a legacy upstream answering `legacy` and a plan naming it. */
export interface RouterPlanFixture {
  dir: string;
  plan: string;
  legacy: FakeUpstream;
  /** Stops the upstream and removes the dir; call it after the processes using them are gone. */
  close(): Promise<void>;
}

/**
 * The least a router process needs to start and answer: one family `users` whose new backend is
 * never reached (port 9), so whatever answers comes from legacy. `name` names the temp dir and plan.
 */
export async function routerPlanFixture(name: string): Promise<RouterPlanFixture> {
  const dir = await mkdtemp(path.join(os.tmpdir(), `phx-${name}-`));
  const legacy = await fakeUpstream((_req, res) => res.end('legacy'));
  const plan = path.join(dir, 'plan.yaml');
  await writePlanFile(plan, {
    version: 1,
    name,
    legacy: legacy.url,
    approvers: ['alice'],
    families: [{ name: 'users', routes: ['GET /api/users/*'], new: 'http://127.0.0.1:9' }],
  });
  return {
    dir,
    plan,
    legacy,
    async close() {
      await legacy.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/**
 * The `phoenix router` arguments for a router on the given ports. The admin API runs without a
 * token so tests can poll it, and each router gets its own state file so routers never share one.
 */
export function routerArgs(plan: string, port: number, adminPort: number, stateFile: string): string[] {
  const ports = ['--port', String(port), '--admin-port', String(adminPort)];
  return ['router', '--plan', plan, ...ports, '--insecure-admin', '--state-file', stateFile];
}

/**
 * Resolves once the router's admin API answers `/healthz`: the router logs at warn in tests, so
 * there is no ready line to read, and the admin port opens only after the proxy port listens.
 */
export async function routerReady(adminPort: number, intervalMs = 100): Promise<void> {
  await waitFor('the router', async () => (await request(`http://127.0.0.1:${adminPort}/healthz`)).statusCode === 200, {
    timeoutMs: 30_000,
    intervalMs,
  });
}
