/** Real upstream servers and a real router for the router's tests. */
import type http from 'node:http';
import { mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parsePlan, type Plan } from '../../src/plan/index.js';
import { startRouter, type RunningRouter, type StartRouterOptions } from '../../src/router/server.js';
import { fakeUpstream, sendJson } from '../helpers/fake-upstream.js';

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

/** A plan with one family `users` (GET/POST /api/users…) plus extra YAML for the family. */
export async function planFor(
  legacy: string,
  candidate: string,
  family = '',
  extraFamilies = '',
): Promise<{ plan: Plan; dir: string }> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'phx-router-'));
  const text = `version: 1
name: router-test
legacy: ${legacy}
approvers: [alice]
families:
  - name: users
    routes: ["/api/users/*", "GET /api/users"]
    new: ${candidate}
    sticky: { header: x-user }
    diff: { ignore: ["$..request_id"] }
    guard: { window: 2s, minRequests: 5, maxErrorRate: 0.5, consecutiveFailures: 3, timeout: 500ms }
${family}${extraFamilies}`;
  return { plan: await parsePlan(text, path.join(dir, 'plan.yaml')), dir };
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

/** Closes what a test file started, in order (admin client, router, upstreams); skips what never started. */
export async function closeAll(...parts: ({ close(): Promise<unknown> } | undefined)[]): Promise<void> {
  for (const p of parts) await p?.close();
}
