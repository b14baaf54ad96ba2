/**
 * The rewrite fixture (examples/rewrite) for tests: its Flask and FastAPI apps started fresh on
 * free ports with their own JWT secrets, its plan pointed at them, and a client that logs in to
 * legacy through the router as a user of the library would.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { request } from 'undici';
import { ensurePythonEnv, startPythonApp, type RunningPythonApp } from '../../scripts/python-env.js';
import { parsePlan, type Plan } from '../../src/plan/index.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const FIXTURE = path.join(ROOT, 'examples', 'rewrite');
const PLAN_FILE = path.join(FIXTURE, 'plan.yaml');

export interface RewriteApps {
  legacy: RunningPythonApp;
  fresh: RunningPythonApp;
  python: string;
  /** Each side's JWT secret (different), also what the exchange command needs in its environment. */
  secrets: { LIBRARY_LEGACY_SECRET: string; LIBRARY_NEW_SECRET: string };
  stop(): Promise<void>;
}

/**
 * Starts both apps with freshly seeded data and a new secret each. The secrets are also put in
 * this process's environment until `stop()`: a router started in the test process runs the
 * token exchange command, which inherits them.
 */
export async function startRewriteApps(): Promise<RewriteApps> {
  const { python } = await ensurePythonEnv({ root: ROOT });
  const logs = await mkdtemp(path.join(os.tmpdir(), 'phx-rewrite-'));
  const secrets = {
    LIBRARY_LEGACY_SECRET: randomBytes(16).toString('hex'),
    LIBRARY_NEW_SECRET: randomBytes(16).toString('hex'),
  };
  const started = await Promise.allSettled([
    startPythonApp(python, path.join(FIXTURE, 'legacy_app.py'), [], {
      logFile: path.join(logs, 'legacy.log'),
      env: secrets,
    }),
    startPythonApp(python, path.join(FIXTURE, 'new_app.py'), [], { logFile: path.join(logs, 'new.log'), env: secrets }),
  ]);
  const [legacy, fresh] = started;
  if (legacy.status === 'rejected' || fresh.status === 'rejected') {
    for (const s of started) if (s.status === 'fulfilled') await s.value.stop();
    throw (legacy.status === 'rejected' ? legacy.reason : (fresh as PromiseRejectedResult).reason) as Error;
  }
  const saved = Object.fromEntries(Object.keys(secrets).map((k) => [k, process.env[k]]));
  Object.assign(process.env, secrets);
  return {
    legacy: legacy.value,
    fresh: fresh.value,
    python,
    secrets,
    async stop() {
      for (const [k, v] of Object.entries(saved)) {
        if (v === undefined) delete process.env[k];
        else process.env[k] = v;
      }
      await Promise.all([legacy.value.stop(), fresh.value.stop()]);
      await rm(logs, { recursive: true, force: true });
    },
  };
}

/** The plan as written, pointed at the running apps, its exchange command run by the apps' Python. */
export async function loadRewritePlan(apps: RewriteApps, stateDir: string): Promise<Plan> {
  const plan = await parsePlan(await rewritePlanText(apps), PLAN_FILE);
  plan.router.stateFile = path.join(stateDir, 'state.json');
  return plan;
}

/** The plan's text, pointed at the running apps (to write next to a baseline of a test's own). */
export async function rewritePlanText(apps: RewriteApps): Promise<string> {
  return (await readFile(PLAN_FILE, 'utf8'))
    .replaceAll('http://127.0.0.1:5200', apps.legacy.url)
    .replaceAll('http://127.0.0.1:8200', apps.fresh.url)
    .replace(
      'command: [python3, examples/rewrite/exchange_token.py]',
      `command: [${JSON.stringify(apps.python)}, ${JSON.stringify(path.join(FIXTURE, 'exchange_token.py'))}]`,
    );
}

/** A library user talking to `base` (the router) with the token legacy gave it at login. */
export interface Client {
  user: string;
  call(
    method: string,
    p: string,
    body?: unknown,
    headers?: Record<string, string>,
  ): Promise<{ status: number; body: string }>;
}

export async function login(base: string, user: string): Promise<Client> {
  const res = await request(`${base}/api/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username: user, password: `${user}-pass` }),
  });
  const { token } = (await res.body.json()) as { token: string };
  if (res.statusCode !== 200 || typeof token !== 'string')
    throw new Error(`login of ${user} failed: ${res.statusCode}`);
  return {
    user,
    async call(method, p, body, headers = {}) {
      const r = await request(`${base}${p}`, {
        method: method as 'GET',
        headers: {
          ...headers,
          authorization: `Bearer ${token}`,
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      return { status: r.statusCode, body: await r.body.text() };
    },
  };
}

/**
 * Signatures of the changes new makes on purpose to the fields of GET answers (its own ids, and
 * availability kept right where legacy's bug left it wrong), sorted. Both the mismatch records
 * and the triage list show them in this text; the status change is written differently by each.
 */
export const INTENDED_GET_FIELD_CHANGES = [
  'GET /api/books $.books[*].available value',
  'GET /api/books $.books[*].id extra',
  'GET /api/books/:isbn $.available value',
  'GET /api/books/:isbn $.id extra',
  'GET /api/loans $.loans[*].id extra',
  'GET /api/reports/overdue $.loans[*].id extra',
];

export const ISBNS = [
  '9780261103573',
  '9780141439518',
  '9780451524935',
  '9780553386790',
  '9780316769488',
  '9780060935467',
];

/**
 * Switches new's regression on or off: `no-author` drops `author` from books, `late-due` makes new
 * loans due a day late, `clock-ahead` stamps loans and returns 2 s late (as a lagging mirror does).
 */
export async function setRegression(
  apps: RewriteApps,
  mode: 'off' | 'no-author' | 'late-due' | 'clock-ahead',
): Promise<void> {
  const r = await request(`${apps.fresh.url}/__admin/regression`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ mode }),
  });
  if (r.statusCode !== 200) throw new Error(`new refused regression ${mode}: ${r.statusCode} ${await r.body.text()}`);
  await r.body.dump();
}

/** Reads every user may make: nothing here changes either side's data. */
export async function reads(c: Client): Promise<void> {
  await c.call('GET', '/api/books');
  for (const isbn of ISBNS) await c.call('GET', `/api/books/${isbn}`);
  await c.call('GET', '/api/books/0000000000000');
  await c.call('GET', '/api/loans');
  await c.call('GET', '/api/reports/overdue');
}
