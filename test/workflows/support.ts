/**
 * Real pieces for workflow integration tests: two HTTP upstreams whose behaviour a test can
 * change at runtime, the real router in front of them, a traffic driver, a plan written to a temp
 * dir (with contract case files), and a worker on the suite's Temporal server.
 */
import { mkdtemp, mkdir, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { request } from 'undici';
import type { WorkflowBundle } from '@temporalio/worker';
import type { FamilyPlanInput, Plan, PlanInput } from '../../src/plan/index.js';
import { startRouter } from '../../src/router/server.js';
import { fakeUpstream, sendJson } from '../helpers/fake-upstream.js';
import { mergeFamily, TEST_FAMILY, writePlanFile, type FamilyOverrides } from '../helpers/plan-builder.js';

/** How the new upstream behaves; tests flip it mid-migration. */
export type Behaviour = 'same' | 'different' | 'errors' | 'slow' | 'slow-list';

export interface Upstream {
  url: string;
  behaviour: Behaviour;
  requests: number;
  close(): Promise<void>;
}

let counter = 0;

/** An upstream serving /api/users and /api/users/:id; `same` answers equal legacy up to noise. */
export async function startUpstream(name: 'legacy' | 'new'): Promise<Upstream> {
  const state = { behaviour: 'same' as Behaviour, requests: 0 };
  const upstream = await fakeUpstream((req, res) => {
    state.requests += 1;
    const send = (status: number, body: unknown): void => sendJson(res, status, body);
    const b = name === 'new' ? state.behaviour : 'same';
    if (b === 'errors') return send(500, { error: 'boom' });
    const m = /^\/api\/users\/(\d+)$/.exec(req.url ?? '');
    const answer = (): void => {
      if (m) {
        const id = Number(m[1]);
        const zip = b === 'different' ? id * 1000 : String(id * 1000);
        return send(200, {
          id,
          name: `user ${id}`,
          address: { city: 'Lyon', zip },
          meta: { request_id: `${name}-${++counter}` },
        });
      }
      if (req.url?.startsWith('/api/users'))
        return send(200, { items: [1, 2, 3].map((id) => ({ id, name: `user ${id}` })), total: 3 });
      if (req.url === '/' || req.url === '/healthz') return send(200, { ok: true });
      return send(404, { error: 'not found' });
    };
    const list = req.url === '/api/users' || req.url?.startsWith('/api/users?');
    if (b === 'slow' || (b === 'slow-list' && list)) setTimeout(answer, 150);
    else answer();
  });
  // Node's default keep-alive (5 s) on purpose: undici clients, the router's pools among them, keep
  // a connection open for the server's hint less 2 s, so a 1 s hint made every request through the
  // router open a new connection to the upstream, which cost the test files CPU for nothing.
  return {
    url: upstream.url,
    get behaviour() {
      return state.behaviour;
    },
    set behaviour(v: Behaviour) {
      state.behaviour = v;
    },
    get requests() {
      return state.requests;
    },
    close: upstream.close,
  };
}

/** How {@link driveTraffic} sends. */
export interface TrafficOptions {
  /** Request loops. @default 2 */
  concurrency?: number;
  /** Every other request lists users (`GET /api/users`) instead of reading one. @default false */
  withList?: boolean;
  /** Requests per second, all loops together. @default 50 */
  rate?: number;
}

/** Traffic running through the router: stop it, and count what was sent and what failed. */
export interface Traffic {
  stop(): Promise<void>;
  sent: () => number;
  failed: () => number;
}

/**
 * Sends GETs for the family through the router until stopped, at a steady `rate` (requests per
 * second, all loops together). A bounded rate gives the gates their evidence without spending the
 * machine's CPU on traffic the worker and the Temporal server need: each request through the
 * shadowing router costs about 2 ms of CPU, and test files run side by side. Tests that judge
 * counts (hundreds of samples, requests per bake) ask for more. @default rate 50
 */
export function driveTraffic(
  routerUrl: string,
  { concurrency = 2, withList = false, rate = 50 }: TrafficOptions = {},
): Traffic {
  let running = true;
  let sent = 0;
  let failed = 0;
  const gapMs = (1000 * concurrency) / rate;
  const loop = async (worker: number): Promise<void> => {
    let i = worker;
    let due = performance.now();
    while (running) {
      i = (i + 1) % 50;
      try {
        const url = withList && i % 2 === 0 ? `${routerUrl}/api/users` : `${routerUrl}/api/users/${i + 1}`;
        const res = await request(url, { headers: { 'x-user': `u${i}` } });
        await res.body.dump();
        if (res.statusCode >= 500) failed += 1;
      } catch {
        failed += 1;
      }
      sent += 1;
      due += gapMs;
      const wait = due - performance.now();
      if (wait > 0) await sleep(wait);
      else due = performance.now();
    }
  };
  const loops = Array.from({ length: concurrency }, (_, k) => loop(k));
  return {
    async stop() {
      running = false;
      await Promise.all(loops);
    },
    sent: () => sent,
    failed: () => failed,
  };
}

export interface PlanOverrides {
  /** Changes to the family, applied over `base` (see {@link FamilyOverrides}). */
  family?: FamilyOverrides;
  /** The family's gates and durations before `family` applies. @default TEST_FAMILY (short durations) */
  base?: FamilyOverrides;
  /** More families after the first, whole. @default [] */
  moreFamilies?: FamilyPlanInput[];
  /** Contract case files: name → YAML. */
  cases?: Record<string, string>;
  approvers?: string[];
  /** The family's sticky key. @default { header: 'x-user' } (50 users in driveTraffic) */
  sticky?: FamilyPlanInput['sticky'];
  /** The family's name. @default "users" */
  name?: string;
  /** The plan's data plane (nginx, or a fleet's `members`). @default the built-in router */
  dataPlane?: PlanInput['dataPlane'];
}

/**
 * A family name no other test file uses, for migrations started with the id the CLI and Slack
 * address (`phoenix-<family>`): test files run at the same time on one Temporal server.
 */
export const addressableFamily = `users-p${process.pid}`;

/** Writes a plan for family `users` (or `o.name`) and its case files into a temp dir and loads it. */
export async function writePlan(
  legacy: string,
  candidate: string,
  o: PlanOverrides = {},
): Promise<{ plan: Plan; dir: string }> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'phx-wf-'));
  await mkdir(path.join(dir, 'contracts'), { recursive: true });
  const cases = o.cases ?? {
    'users.yaml': `cases:
  - name: get one user
    request: { method: GET, path: /api/users/7 }
    expect: { status: 200 }
  - name: list users
    request: { method: GET, path: /api/users }
`,
  };
  for (const [name, text] of Object.entries(cases)) await writeFile(path.join(dir, 'contracts', name), text);
  const family = mergeFamily(
    usersFamily(o.name ?? 'users', candidate, o.sticky),
    o.base ?? TEST_FAMILY,
    o.family ?? {},
  );
  const plan = await writePlanFile(path.join(dir, 'plan.yaml'), {
    version: 1,
    name: 'wf-test',
    legacy,
    approvers: o.approvers ?? ['alice'],
    ...(o.dataPlane ? { dataPlane: o.dataPlane } : {}),
    families: [family, ...(o.moreFamilies ?? [])],
  });
  return { plan, dir };
}

/**
 * The family {@link startUpstream} serves, named `name`, with its contract cases from
 * `contracts/*.yaml` and the upstreams' request ids ignored; no gates (see {@link TEST_FAMILY}).
 */
export function usersFamily(
  name: string,
  candidate: string,
  sticky: FamilyPlanInput['sticky'] = { header: 'x-user' },
): FamilyPlanInput {
  return {
    name,
    routes: ['GET /api/users', 'GET /api/users/:id'],
    new: candidate,
    contracts: ['contracts/*.yaml'],
    sticky,
    diff: { ignore: ['$..request_id'], learnNoise: false },
  };
}

export interface Stack {
  legacy: Upstream;
  candidate: Upstream;
  router: Awaited<ReturnType<typeof startRouter>>;
  plan: Plan;
  dir: string;
  close(): Promise<void>;
}

/** Legacy + new upstreams and the real router with the plan. */
export async function startStack(o: PlanOverrides = {}): Promise<Stack> {
  const legacy = await startUpstream('legacy');
  const candidate = await startUpstream('new');
  const { plan, dir } = await writePlan(legacy.url, candidate.url, o);
  // The router shares this process with the test's traffic and workers; that busy time is not its own.
  plan.router.shadowMaxBusy = 1;
  const router = await startRouter({
    plan,
    port: 0,
    adminPort: 0,
    insecureAdmin: true,
    stateFile: path.join(dir, 'router-state.json'),
  });
  return {
    legacy,
    candidate,
    router,
    plan,
    dir,
    async close() {
      await router.close();
      await legacy.close();
      await candidate.close();
    },
  };
}

let bundle: Promise<WorkflowBundle> | undefined;
/** The workflow bundle: the test run's prebuilt one (`npm test`), else built once per test file. */
export async function workflowBundle(): Promise<WorkflowBundle> {
  const { bundleWorkflows } = await import('../../src/worker/worker.js');
  bundle ??= bundleWorkflows();
  return bundle;
}

/** A unique task queue per test. */
export function taskQueue(name: string): string {
  return `wf-${name}-${process.pid}-${Date.now()}`;
}
