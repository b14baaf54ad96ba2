/**
 * The faithful-port fixture (examples/faithful-port) for the judgement tests: its two apps
 * started fresh on free ports, its plan pointed at them, the routes it declares equivalent or
 * regressed, a fixed traffic mix, and the routes a verdict flags.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Agent, request, type Dispatcher } from 'undici';
import { ensurePythonEnv, startPythonApp, type RunningPythonApp } from '../../scripts/python-env.js';
import type { ContractSuiteResult } from '../../src/contracts/runner.js';
import type { MismatchRecord } from '../../src/router/client.js';
import type { ParityFigures } from '../../src/parity/snapshot.js';
import { INFORMATIONAL_KINDS, type DiffKind } from '../../src/parity/types.js';
import { parsePlan, type Plan } from '../../src/plan/index.js';
import { createMatcher } from '../../src/plan/route-match.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const FIXTURE = path.join(ROOT, 'examples', 'faithful-port');
const PLAN_FILE = path.join(FIXTURE, 'plan.yaml');

export interface RouteExpectation {
  verdict: 'equivalent' | 'regressed';
  /** The difference kind a regressed route must be flagged with. */
  kind?: DiffKind;
  shows: string;
  /** An informational kind an equivalent route may report without being flagged. */
  informational?: DiffKind;
}

export interface Expectations {
  family: string;
  routes: Record<string, RouteExpectation>;
}

/** examples/faithful-port/expectations.json. */
export async function loadExpectations(): Promise<Expectations> {
  return JSON.parse(await readFile(path.join(FIXTURE, 'expectations.json'), 'utf8')) as Expectations;
}

/** The routes the fixture regresses on purpose, sorted. */
export function regressedRoutes(e: Expectations): string[] {
  return Object.entries(e.routes)
    .filter(([, r]) => r.verdict === 'regressed')
    .map(([route]) => route)
    .sort();
}

export interface FixtureApps {
  legacy: RunningPythonApp;
  fresh: RunningPythonApp;
  /** Where the apps' output goes. */
  logs: string;
  stop(): Promise<void>;
}

/** Starts the legacy Flask app and its FastAPI port, each with freshly seeded data, on free ports. */
export async function startFixtureApps(tag: string): Promise<FixtureApps> {
  const { python } = await ensurePythonEnv({ root: ROOT });
  const logs = await mkdtemp(path.join(os.tmpdir(), `phx-judgement-${tag}-`));
  const started = await Promise.allSettled([
    startPythonApp(python, path.join(FIXTURE, 'legacy_app.py'), [], { logFile: path.join(logs, 'legacy.log') }),
    startPythonApp(python, path.join(FIXTURE, 'new_app.py'), [], { logFile: path.join(logs, 'new.log') }),
  ]);
  const [legacy, fresh] = started;
  if (legacy.status === 'rejected' || fresh.status === 'rejected') {
    for (const s of started) if (s.status === 'fulfilled') await s.value.stop();
    throw (legacy.status === 'rejected' ? legacy.reason : (fresh as PromiseRejectedResult).reason) as Error;
  }
  return {
    legacy: legacy.value,
    fresh: fresh.value,
    logs,
    async stop() {
      await Promise.all([legacy.value.stop(), fresh.value.stop()]);
      await rm(logs, { recursive: true, force: true });
    },
  };
}

/** The fixture's plan as written, with its upstreams pointed at the running apps. */
export async function loadFixturePlan(apps: FixtureApps): Promise<Plan> {
  const text = (await readFile(PLAN_FILE, 'utf8'))
    .replaceAll('http://127.0.0.1:5100', apps.legacy.url)
    .replaceAll('http://127.0.0.1:8100', apps.fresh.url);
  return parsePlan(text, PLAN_FILE);
}

/** One request of the traffic mix. */
export interface TrafficRequest {
  method: 'GET' | 'POST';
  path: string;
  body?: unknown;
  /** The sticky header the plan names. */
  grower: string;
}

/**
 * `perRoute` requests to each of the fixture's routes, interleaved route by route, always the
 * same: ids, pages and bodies are derived from the request's index.
 */
export function trafficMix(perRoute: number): TrafficRequest[] {
  const out: TrafficRequest[] = [];
  for (let i = 0; i < perRoute; i++) {
    const gh = (i % 6) + 1;
    const get = (p: string): TrafficRequest => ({ method: 'GET', path: p, grower: `g${i % 12}` });
    const post = (p: string, body: unknown): TrafficRequest => ({
      method: 'POST',
      path: p,
      body,
      grower: `g${i % 12}`,
    });
    const alert = i % 5 === 0 ? `x${i}` : i % 5 === 1 ? String(90 + i) : String((i % 30) + 1);
    out.push(
      get('/api/greenhouses'),
      get(`/api/greenhouses/${gh}`),
      get(`/api/greenhouses/${gh}/zones${i % 2 === 0 ? '' : '/'}`),
      get(`/api/greenhouses/${gh}/plants`),
      get(`/api/greenhouses/${gh}/climate`),
      get(`/api/greenhouses/${gh}/energy`),
      get(`/api/greenhouses/${gh}/forecast?days=${[1, 3, 7, 14][i % 4]}`),
      get(`/api/greenhouses/${gh}/export`),
      get(`/api/plants/${((i * 7) % 48) + 1}`),
      get(`/api/sensors?page=${(i % 3) + 1}&per_page=10`),
      get(`/api/sensors/${((i * 3) % 40) + 1}`),
      get(`/api/sensors/${((i * 5) % 40) + 1}/latest`),
      get(`/api/sensors/${(i % 40) + 1}/firmware`),
      post('/api/readings', { sensor_id: (i % 40) + 1, value: 10 + i / 2 }),
      get(`/api/growers/${(i % 12) + 1}`),
      get(`/api/alerts/${alert}`),
      post(`/api/alerts/${(i % 30) + 1}/ack`, { by: `grower-${i % 12}` }),
    );
  }
  return out;
}

/** What the client got: statuses in order, and the `Location` of every redirect. */
export interface Answers {
  statuses: number[];
  redirects: { path: string; status: number; location: string | undefined }[];
}

/** Sends `mix` to `base`, `concurrency` at a time, without following redirects. */
export async function send(base: string, mix: readonly TrafficRequest[], concurrency = 4): Promise<Answers> {
  const dispatcher = new Agent({ connections: concurrency, keepAliveTimeout: 5000 });
  const statuses = new Array<number>(mix.length);
  const redirects: Answers['redirects'] = [];
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < mix.length) {
      const i = next++;
      const r = mix[i]!;
      const res = await request(`${base}${r.path}`, {
        method: r.method as Dispatcher.HttpMethod,
        dispatcher,
        headers: {
          'x-grower': r.grower,
          ...(r.body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        body: r.body === undefined ? undefined : JSON.stringify(r.body),
      });
      await res.body.dump();
      statuses[i] = res.statusCode;
      if (res.statusCode >= 300 && res.statusCode < 400) {
        const location = res.headers.location;
        redirects.push({
          path: r.path,
          status: res.statusCode,
          location: Array.isArray(location) ? location[0] : location,
        });
      }
    }
  };
  try {
    await Promise.all(Array.from({ length: concurrency }, worker));
  } finally {
    await dispatcher.close();
  }
  return { statuses, redirects };
}

/** Flagged routes with the difference kinds seen on each (informational kinds left out). */
export type Verdict = Record<string, string[]>;

function add(v: Map<string, Set<string>>, route: string, kind?: string): void {
  let kinds = v.get(route);
  if (!kinds) v.set(route, (kinds = new Set()));
  if (kind !== undefined) kinds.add(kind);
}

function sorted(v: Map<string, Set<string>>): Verdict {
  return Object.fromEntries([...v.keys()].sort().map((route) => [route, [...v.get(route)!].sort()]));
}

const informational = (kind: string): boolean => (INFORMATIONAL_KINDS as readonly string[]).includes(kind);

/**
 * Maps a route key the router reports to the fixture route it belongs to. Keys are plan patterns
 * (`GET /api/sensors/:id`) or templates under one (`GET /api/greenhouses/:id/zones/`); a key
 * that belongs to no fixture route is kept as it is, so it shows as flagged in its own right.
 */
export function fixtureRoute(e: Expectations): (key: string) => string {
  const patterns = Object.keys(e.routes);
  const matcher = createMatcher([{ routes: patterns }]);
  return (key) => {
    if (key in e.routes) return key;
    const space = key.indexOf(' ');
    const m = space > 0 ? matcher.match(key.slice(0, space), key.slice(space + 1)) : undefined;
    return m ? m.route : key;
  };
}

/**
 * What the router's shadow comparison flagged: every route with mismatches or flagged as slower
 * than the plan's latency tolerance, and every route a blocking difference (`latency` included)
 * was counted on in the statistics' top paths or in the recent mismatch records. The top paths
 * are capped, so some kinds may only show in the records.
 */
export function shadowVerdict(e: Expectations, p: ParityFigures, records: readonly MismatchRecord[]): Verdict {
  const route = fixtureRoute(e);
  const v = new Map<string, Set<string>>();
  for (const r of p.routes) {
    if (r.mismatches > 0) add(v, route(r.route));
    // Per-route latency verdicts, where the statistics carry them.
    if ((r as { latency?: { flagged?: boolean } }).latency?.flagged === true) add(v, route(r.route), 'latency');
  }
  for (const t of p.topPaths) if (!informational(t.kind)) add(v, route(t.route), t.kind);
  for (const m of records) for (const d of m.differences) if (!informational(d.kind)) add(v, route(m.route), d.kind);
  return sorted(v);
}

/** What a contract run flagged: the endpoint of every failing case, with its failure and difference kinds. */
export function contractVerdict(e: Expectations, s: ContractSuiteResult): Verdict {
  const route = fixtureRoute(e);
  const v = new Map<string, Set<string>>();
  for (const c of s.cases) {
    if (c.passed) continue;
    const r = route(c.endpoint);
    add(v, r);
    for (const f of c.failures) {
      if (f.kind !== 'parity') add(v, r, f.kind);
      for (const d of f.differences ?? []) if (!informational(d.kind)) add(v, r, d.kind);
    }
  }
  return sorted(v);
}

/**
 * Compares a verdict with the expectations: routes flagged that are equivalent (false alarms),
 * regressed routes not flagged (missed), and flagged regressed routes whose expected kind is absent.
 */
export function judgeVerdict(
  e: Expectations,
  v: Verdict,
): { falseAlarms: string[]; missed: string[]; wrongKind: string[] } {
  const flagged = new Set(Object.keys(v));
  const regressed = regressedRoutes(e);
  return {
    falseAlarms: [...flagged].filter((r) => e.routes[r]?.verdict !== 'regressed').sort(),
    missed: regressed.filter((r) => !flagged.has(r)),
    wrongKind: regressed.filter((r) => flagged.has(r) && !v[r]!.includes(e.routes[r]!.kind!)),
  };
}
