/** Real upstream servers and a real router for the router's tests. */
import type http from 'node:http';
import { mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { FamilyPlanInput, Plan } from '../../src/plan/index.js';
import { createRouterAdminClient, type RouterAdminClient } from '../../src/router/client.js';
import { startRouter, type RunningRouter, type StartRouterOptions } from '../../src/router/server.js';
import { fakeUpstream, sendJson } from '../helpers/fake-upstream.js';
import { mergeFamily, writePlanFile, type FamilyOverrides } from '../helpers/plan-builder.js';

export type Handler = (req: http.IncomingMessage, res: http.ServerResponse, body: Buffer) => void;

export interface TestUpstream {
  url: string;
  /** Requests seen, in order. */
  seen: { method: string; url: string; headers: http.IncomingHttpHeaders; body: string }[];
  handler: Handler;
  close(): Promise<void>;
}

/** A node:http upstream whose handler a test can swap at any time. */
export async function upstream(handler: Handler): Promise<TestUpstream> {
  const u = { seen: [] as TestUpstream['seen'], handler } as TestUpstream;
  const server = await fakeUpstream((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      u.seen.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: body.toString('utf8') });
      u.handler(req, res, body);
    });
  });
  u.url = server.url;
  u.close = server.close;
  return u;
}

/** Answers JSON with its length (the router tests' name for {@link sendJson}). */
export { sendJson as json };

/**
 * The test family `users` (GET/POST /api/users…): sticky on `x-user`, `request_id` ignored, and a
 * guard that trips fast. `new` is filled in by {@link planFor}.
 */
const USERS = {
  name: 'users',
  routes: ['/api/users/*', 'GET /api/users'],
  sticky: { header: 'x-user' },
  diff: { ignore: ['$..request_id'] },
  guard: { window: '2s', minRequests: 5, maxErrorRate: 0.5, consecutiveFailures: 3, timeout: '500ms' },
} satisfies FamilyOverrides;

/**
 * A plan with the family `users` changed by `users` (see {@link mergeFamily}), then `others` as
 * they are, written to a fresh temp dir and loaded through the real loader: a wrong field fails
 * with `PHX_ERR_PLAN_INVALID`.
 */
export async function planFor(
  legacy: string,
  candidate: string,
  users: FamilyOverrides = {},
  ...others: FamilyPlanInput[]
): Promise<{ plan: Plan; dir: string }> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'phx-router-'));
  const family: FamilyPlanInput = { ...mergeFamily(USERS, users), new: candidate };
  const plan = await writePlanFile(path.join(dir, 'plan.yaml'), {
    version: 1,
    name: 'router-test',
    legacy,
    approvers: ['alice'],
    families: [family, ...others],
  });
  return { plan, dir };
}

export async function router(plan: Plan, dir: string, o: Partial<StartRouterOptions> = {}): Promise<RunningRouter> {
  return startRouter({
    plan,
    port: 0,
    adminPort: 0,
    adminToken: 'test-token',
    stateFile: path.join(dir, 'state.json'),
    ...o,
  });
}

/** The upstreams, router and admin client {@link echoRouter} started. */
export interface EchoRouter {
  legacy: TestUpstream;
  candidate: TestUpstream;
  r: RunningRouter;
  admin: RouterAdminClient;
}

/**
 * Two upstreams answering `{ from, url }`, so a test sees which side served what, the router on
 * {@link planFor}'s plan between them (with `settings` over the plan's `router` section), and its
 * admin client: the start many router tests share. What started is closed again when a later step
 * fails, since the caller's `after` never sees it.
 */
export async function echoRouter(settings: Partial<Plan['router']> = {}): Promise<EchoRouter> {
  const started: { close(): Promise<unknown> }[] = [];
  try {
    const legacy = await upstream((req, res) => sendJson(res, 200, { from: 'legacy', url: req.url }));
    started.push(legacy);
    const candidate = await upstream((req, res) => sendJson(res, 200, { from: 'new', url: req.url }));
    started.push(candidate);
    const { plan, dir } = await planFor(legacy.url, candidate.url);
    const r = await router({ ...plan, router: { ...plan.router, ...settings } }, dir);
    const admin = createRouterAdminClient({ baseUrl: r.adminUrl, token: 'test-token' });
    return { legacy, candidate, r, admin };
  } catch (err) {
    await closeAll(...started.reverse());
    throw err;
  }
}

/** Closes what a test file started, in order (admin client, router, upstreams); skips what never started. */
export async function closeAll(...parts: ({ close(): Promise<unknown> } | undefined)[]): Promise<void> {
  for (const p of parts) await p?.close();
}
