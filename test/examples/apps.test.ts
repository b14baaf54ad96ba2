/**
 * The example apps as users meet them: the real Flask monolith and FastAPI services in the
 * project's virtualenv, their contract cases, coverage and matrix, the noise and the regression.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { promisify } from 'node:util';
import { generateCases } from '../../src/contracts/generate.js';
import { loadFamilyCases, parseCaseFile } from '../../src/contracts/cases.js';
import { caseFileText } from '../../src/contracts/record.js';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { request } from 'undici';
import { computeCoverage, matrixMarkdown } from '../../src/contracts/coverage.js';
import { runContractSuite } from '../../src/contracts/runner.js';
import { parsePlan, type Plan } from '../../src/plan/index.js';
import { ensurePythonEnv, startPythonApp, type RunningPythonApp } from '../../scripts/python-env.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
let legacy: RunningPythonApp;
let fresh: RunningPythonApp;
let plan: Plan;

async function json(
  url: string,
  init: { method?: string; body?: string } = {},
): Promise<{ status: number; body: any; type: string }> {
  const res = await request(url, {
    method: (init.method ?? 'GET') as 'GET',
    body: init.body,
    headers: init.body ? { 'content-type': 'application/json' } : {},
  });
  const text = await res.body.text();
  return {
    status: res.statusCode,
    type: String(res.headers['content-type']),
    body: text.startsWith('{') ? JSON.parse(text) : text,
  };
}

before(async () => {
  const { python } = await ensurePythonEnv({ root: ROOT });
  const logs = path.join(os.tmpdir(), `phx-examples-${process.pid}`);
  legacy = await startPythonApp(python, path.join(ROOT, 'examples/legacy-flask/app.py'), [], {
    logFile: path.join(logs, 'legacy.log'),
  });
  fresh = await startPythonApp(python, path.join(ROOT, 'examples/fastapi-services/main.py'), ['--service', 'all'], {
    logFile: path.join(logs, 'new.log'),
  });
  const text = (await readFile(path.join(ROOT, 'examples/plan.yaml'), 'utf8'))
    .replaceAll('http://127.0.0.1:5000', legacy.url)
    .replaceAll('http://127.0.0.1:8001', fresh.url);
  plan = await parsePlan(text, path.join(ROOT, 'examples/plan.yaml'));
});
after(async () => {
  await legacy?.stop();
  await fresh?.stop();
});

describe('example apps', () => {
  test('every contract case passes, hand-written cases alone cover part of the endpoints, all of them cover every endpoint', async () => {
    const suites = [];
    for (const f of plan.families) suites.push(await runContractSuite({ family: f, mode: 'parity' }));
    for (const s of suites)
      assert.equal(
        s.failed,
        0,
        `${s.family}: ${JSON.stringify(s.cases.filter((c) => !c.passed).map((c) => [c.name, c.failures]))}`,
      );
    const all = computeCoverage(plan.families, suites);
    const hand = computeCoverage(plan.families, suites, { sources: ['hand'] });
    assert.equal(all.coverage, 1, matrixMarkdown(all));
    assert.equal(all.endpoints, 14);
    assert.ok(hand.coverage < 1 && hand.coverage > 0.5, `hand-written coverage ${hand.coverage}`);
    assert.deepEqual(
      all.rows.filter((r) => r.status === 'adapted').map((r) => r.pattern),
      ['GET /api/catalog/products/:id'],
    );
  });

  test('the catalog product differs without the adapter, as designed', async () => {
    const [l, n] = await Promise.all([
      json(`${legacy.url}/api/catalog/products/4`),
      json(`${fresh.url}/api/catalog/products/4`),
    ]);
    assert.equal(l.body.name, n.body.data.title);
    assert.equal(n.body.name, undefined);
  });

  test('legacy answers carry noise: request ids, timestamps and a random recommendations list', async () => {
    const a = await json(`${legacy.url}/api/users/3/recommendations`);
    const b = await json(`${legacy.url}/api/users/3/recommendations`);
    assert.notEqual(a.body.meta.request_id, b.body.meta.request_id);
    assert.ok(
      [a, b, await json(`${legacy.url}/api/users/3/recommendations`)].some(
        (x, _i, all) => JSON.stringify(x.body.recommendations) !== JSON.stringify(all[0]!.body.recommendations),
      ),
      'three random picks of 3 products out of 40 are not all equal',
    );
    const created = await json(`${legacy.url}/api/users`, {
      method: 'POST',
      body: JSON.stringify({ name: 'Zoe', email: 'zoe@example.com' }),
    });
    assert.equal(created.status, 201);
    // The same write on the new side keeps both data sets equal for the later comparisons.
    assert.equal(
      (
        await json(`${fresh.url}/api/users`, {
          method: 'POST',
          body: JSON.stringify({ name: 'Zoe', email: 'zoe@example.com' }),
        })
      ).body.id,
      created.body.id,
    );
    assert.equal((await json(`${legacy.url}/api/users/${created.body.id}`)).body.name, 'Zoe');
    assert.equal(
      (await json(`${legacy.url}/api/users`, { method: 'POST', body: '{"name":""}' })).body.error.fields.email,
      'a valid email is required',
    );
  });

  test('the reports regression switches on and off at run time', async () => {
    const set = (mode: string) =>
      json(`${fresh.url}/__admin/regression`, { method: 'POST', body: JSON.stringify({ mode }) });
    assert.equal((await set('errors')).status, 200);
    assert.equal((await json(`${fresh.url}/api/reports/sales`)).status, 500);
    assert.equal((await set('type')).status, 200);
    assert.equal(typeof (await json(`${fresh.url}/api/reports/sales`)).body.totals.revenue, 'string');
    assert.equal((await set('sideways')).status, 400);
    await set('off');
    const ok = await json(`${fresh.url}/api/reports/sales`);
    assert.equal(ok.status, 200);
    assert.equal(typeof ok.body.totals.revenue, 'number');
    assert.match((await json(`${fresh.url}/api/reports/sales.csv`)).type, /^text\/csv/);
  });

  test("cases generated from the new service's OpenAPI cover its GET operations and pass", async () => {
    const users = plan.families.find((f) => f.name === 'users')!;
    const doc = (await request(`${fresh.url}/openapi.json`)).body.json();
    const r = generateCases(await doc, users, await loadFamilyCases(users.contractFiles, 'users'));
    assert.deepEqual(
      r.skipped.map((x) => x.operation),
      ['POST /api/users'],
    );
    assert.deepEqual(r.cases.map((c) => c.request.path).sort(), [
      '/api/users',
      '/api/users/12/recommendations',
      '/api/users/3',
    ]);
    const file = path.join(os.tmpdir(), `phx-generated-${process.pid}.yaml`);
    await writeFile(file, caseFileText('users', r.cases));
    assert.equal(
      parseCaseFile(await readFile(file, 'utf8'), file, 'users').every((c) => c.source === 'generated'),
      true,
    );
    const suite = await runContractSuite({ family: { ...users, contractFiles: [file] }, mode: 'parity' });
    assert.equal(suite.failed, 0, JSON.stringify(suite.cases.map((c) => c.failures)));
    await rm(file);
  });

  test('`phoenix contracts coverage --min` fails below the threshold', async () => {
    // A copy of the example plan outside the checkout, its case globs pointing back at examples/.
    const file = path.join(await mkdtemp(path.join(os.tmpdir(), 'phx-coverage-')), 'plan.yaml');
    await writeFile(
      file,
      (await readFile(path.join(ROOT, 'examples/plan.yaml'), 'utf8'))
        .replaceAll('http://127.0.0.1:5000', legacy.url)
        .replaceAll('http://127.0.0.1:8001', fresh.url)
        .replaceAll('["contracts/', `["${path.join(ROOT, 'examples', 'contracts')}/`),
    );
    const cli = (...args: string[]) =>
      promisify(execFile)(process.execPath, [
        path.join(ROOT, 'bin/phoenix.mjs'),
        'contracts',
        'coverage',
        '--plan',
        file,
        ...args,
      ]).then(
        (r) => ({ code: 0, ...r }),
        (e: { code: number; stdout: string; stderr: string }) => e,
      );
    try {
      const low = await cli('--source', 'hand', '--min', '80');
      assert.equal(low.code, 1);
      assert.match(low.stderr, /PHX_ERR_COVERAGE_BELOW_MIN: coverage 71\.4% is below --min 80%/);
      const ok = await cli('--min', '100', '--json');
      assert.equal(ok.code, 0, ok.stderr);
      assert.equal((JSON.parse(ok.stdout) as { coverage: number }).coverage, 1);
    } finally {
      await rm(path.dirname(file), { recursive: true, force: true });
    }
  });
});
