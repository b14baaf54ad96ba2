/**
 * The router is transparent to a client's own test suite: every safe contract case of the
 * example apps is sent straight to an app and through the real router (legacy, shadow and new
 * mode), and what a client suite asserts on (status code, reason phrase, content type, the
 * case's expectations, the JSON keys of the answer) must not change. A family with adapters is
 * served in new mode with new's answers adapted to legacy's contract, so there the suite must see
 * what it sees on legacy, with new's status line. Real Flask and FastAPI apps.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { loadFamilyCases, requestTarget, type LoadedCase } from '../../src/contracts/cases.js';
import { expectations } from '../../src/contracts/exchange.js';
import { parsePlan, SAFE_METHODS, type Plan } from '../../src/plan/index.js';
import { createRouterAdminClient, type RouterAdminClient } from '../../src/router/client.js';
import { startRouter, type RunningRouter } from '../../src/router/server.js';
import { ensurePythonEnv, startPythonApp, type RunningPythonApp } from '../../scripts/python-env.js';

const ROOT = path.resolve(import.meta.dirname, '..', '..');
let legacy: RunningPythonApp;
let fresh: RunningPythonApp;
let plan: Plan;
let router: RunningRouter;
let admin: RouterAdminClient;
let dir: string;
let version = 0;
/** Safe cases, with whether their family adapts new's answers. */
const cases: { c: LoadedCase; adapted: boolean }[] = [];

/** What a client test suite asserts on, for one answer. */
interface Observed {
  status: number;
  reason: string;
  contentType: string;
  failedExpectations: string[];
  jsonKeys: string | null;
}

function observe(base: string, c: LoadedCase): Promise<Observed> {
  return new Promise((resolve, reject) => {
    const req = http.request(new URL(requestTarget(c), base), {
      method: c.request.method,
      headers: c.request.headers ?? {},
    });
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (b: Buffer) => chunks.push(b));
      res.on('end', () => {
        const body = Buffer.concat(chunks);
        let jsonKeys: string | null = null;
        try {
          const parsed: unknown = JSON.parse(body.toString('utf8'));
          if (parsed && typeof parsed === 'object') jsonKeys = Object.keys(parsed).sort().join(',');
        } catch {
          // not JSON: the keys are not asserted
        }
        resolve({
          status: res.statusCode ?? 0,
          reason: res.statusMessage ?? '',
          contentType: String(res.headers['content-type'] ?? ''),
          failedExpectations: expectations(c, 'legacy', {
            status: res.statusCode ?? 0,
            headers: res.headers,
            body,
          }).map((f) => f.kind),
          jsonKeys,
        });
      });
    });
    req.on('error', reject);
    req.end();
  });
}

before(async () => {
  const { python } = await ensurePythonEnv({ root: ROOT });
  dir = await mkdtemp(path.join(os.tmpdir(), 'phx-client-suite-'));
  legacy = await startPythonApp(python, path.join(ROOT, 'examples/legacy-flask/app.py'), [], {
    logFile: path.join(dir, 'legacy.log'),
  });
  fresh = await startPythonApp(python, path.join(ROOT, 'examples/fastapi-services/main.py'), ['--service', 'all'], {
    logFile: path.join(dir, 'new.log'),
  });
  const text = (await readFile(path.join(ROOT, 'examples/plan.yaml'), 'utf8'))
    .replaceAll('http://127.0.0.1:5000', legacy.url)
    .replaceAll('http://127.0.0.1:8001', fresh.url);
  plan = await parsePlan(text, path.join(ROOT, 'examples/plan.yaml'));
  for (const f of plan.families)
    for (const c of await loadFamilyCases(f.contractFiles, f.name))
      if (SAFE_METHODS.has(c.request.method)) cases.push({ c, adapted: f.adapters.length > 0 });
  router = await startRouter({
    plan: { ...plan, router: { ...plan.router, shadowMaxBusy: 1 } },
    port: 0,
    adminPort: 0,
    adminToken: 'suite-token',
    stateFile: path.join(dir, 'state.json'),
  });
  admin = createRouterAdminClient({ baseUrl: router.adminUrl, token: 'suite-token' });
});
after(async () => {
  await admin?.close();
  await router?.close();
  await legacy?.stop();
  await fresh?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

async function everyFamily(mode: 'legacy' | 'shadow' | 'new'): Promise<void> {
  version++;
  for (const f of plan.families)
    await admin.setRoute(f.name, { mode, percent: mode === 'new' ? 100 : 0, version, sampleRate: 1 });
}

describe("a client's suite through the router", () => {
  test('the example apps have safe contract cases to run', () => {
    assert.ok(cases.length >= 15, `${cases.length} safe cases`);
  });

  for (const [mode, side] of [
    ['legacy', 'legacy'],
    ['shadow', 'legacy'],
    ['new', 'new'],
  ] as const) {
    test(`in ${mode} mode every assertion holds as it does straight against ${side}`, async () => {
      await everyFamily(mode);
      for (const { c, adapted } of cases) {
        let want = await observe(side === 'legacy' ? legacy.url : fresh.url, c);
        // Adapted: legacy's contract, carried by new's answer (whose status line it keeps).
        if (side === 'new' && adapted) want = { ...(await observe(legacy.url, c)), reason: want.reason };
        const got = await observe(router.url, c);
        assert.deepEqual(got, want, `${c.name} (${c.request.method} ${requestTarget(c)})`);
      }
    });
  }
});
