/**
 * `phoenix contracts record --from-requests` on a stateful API (CLI child process): only the
 * family's routes are recorded, each request reaches each side exactly once (so the two sides'
 * data stay equal), distinct bodies make distinct cases, credentials stay references, and the
 * recorded file then runs green with the credential from the environment.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, mkdir, readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseCaseFile } from '../../src/contracts/cases.js';
import { testPlan, writePlanFile } from '../helpers/plan-builder.js';
import { startStore, type StoreApp } from './stateful-app.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

function phoenix(args: string[], env: Record<string, string> = {}): Promise<{ code: number; out: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [path.join(ROOT, 'bin/phoenix.mjs'), ...args],
      { env: { ...process.env, ...env }, timeout: 60_000 },
      (err, stdout, stderr) =>
        resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, out: `${stdout}${stderr}` }),
    );
  });
}

let legacy: StoreApp;
let candidate: StoreApp;
let dir: string;
let token: string;

/** The three record runs differ only in their request list, their output and their flags. */
function record(requests: string, out: string, flags: string[]): Promise<{ code: number; out: string }> {
  return phoenix([
    'contracts',
    'record',
    '--plan',
    path.join(dir, 'plan.yaml'),
    '--family',
    'store',
    '--from-requests',
    requests,
    '--out',
    out,
    ...flags,
  ]);
}

before(async () => {
  legacy = await startStore({ apiKey: 'k', serviceToken: 'service-token-1234' });
  candidate = await startStore({ apiKey: 'k', serviceToken: 'service-token-1234' });
  dir = await mkdtemp(path.join(os.tmpdir(), 'phx-record-'));
  await mkdir(path.join(dir, 'cases'));
  await writePlanFile(
    path.join(dir, 'plan.yaml'),
    testPlan({
      name: 'record',
      legacy: legacy.url,
      families: [
        {
          name: 'store',
          routes: ['/login', '/items', 'GET /items/:id'],
          new: candidate.url,
          contracts: ['cases/*.yaml'],
          diff: { ignore: ['$.token', '$.id'] },
        },
      ],
    }),
  );
  token = 'service-token-1234';
  const lines = [
    JSON.stringify({ method: 'POST', path: '/login', body: '{"user":"ada","password":"pw"}' }),
    JSON.stringify({ method: 'POST', path: '/login', body: '{"user":"ada","password":"nope"}' }),
    JSON.stringify({ method: 'POST', path: '/login', body: '{"password":"pw"}' }),
    JSON.stringify({ method: 'POST', path: '/login', body: '{"user":"ada","password":"pw"}' }),
    JSON.stringify({
      method: 'POST',
      path: '/items',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: '{"name":"lamp"}',
    }),
    JSON.stringify({
      method: 'POST',
      path: '/items',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: '{"name":"desk"}',
    }),
    'POST /reset',
    'GET /admin/stats',
  ];
  await writeFile(path.join(dir, 'requests.jsonl'), `${lines.join('\n')}\n`);
});
after(async () => {
  await legacy?.close();
  await candidate?.close();
});

describe('contracts record --from-requests', () => {
  test('--dry-run lists what it would record and skip, and sends nothing', async () => {
    legacy.seen.length = 0;
    candidate.seen.length = 0;
    const out = path.join(dir, 'cases', 'dry.yaml');
    const r = await record(path.join(dir, 'requests.jsonl'), out, ['--dry-run']);
    assert.equal(r.code, 0, r.out);
    assert.match(r.out, /would replay 6 requests once on legacy and once on new, and write 5 cases/);
    assert.match(r.out, /skipped POST \/reset: not a route of family "store"/);
    assert.match(r.out, /skipped GET \/admin\/stats: not a route of family "store"/);
    assert.deepEqual([legacy.seen, candidate.seen], [[], []]);
    await assert.rejects(readFile(out, 'utf8'));
  });

  test('records the family routes from one replay on both sides, leaving their data equal', async () => {
    legacy.seen.length = 0;
    candidate.seen.length = 0;
    const out = path.join(dir, 'cases', 'recorded.yaml');
    const r = await record(path.join(dir, 'requests.jsonl'), out, ['--auth-env', 'STORE_TOKEN']);
    assert.equal(r.code, 0, r.out);
    // Every listed request of the family reached each side exactly once, in order.
    const expected = ['POST /login', 'POST /login', 'POST /login', 'POST /login', 'POST /items', 'POST /items'];
    assert.deepEqual(legacy.seen, expected);
    assert.deepEqual(candidate.seen, expected);
    assert.doesNotMatch(r.out, /legacy answered/);
    // The writes happened once on each side: the two sides hold the same items.
    const names = (app: StoreApp): string[] => [...app.items.values()].map((x) => x.name).sort();
    assert.deepEqual(names(legacy), ['desk', 'lamp']);
    assert.deepEqual(names(candidate), names(legacy));
    assert.match(r.out, /use the environment variable STORE_TOKEN at run time/);

    const text = await readFile(out, 'utf8');
    assert.doesNotMatch(text, new RegExp(token));
    const cases = parseCaseFile(text, out, 'store');
    assert.deepEqual(
      cases.map((c) => [c.name, c.expect.status, c.credential]),
      [
        ['POST /login', 200, undefined],
        ['POST /login #2', 401, undefined],
        ['POST /login #3', 422, undefined],
        ['POST /items', 201, { env: 'STORE_TOKEN' }],
        ['POST /items #2', 201, { env: 'STORE_TOKEN' }],
      ],
    );
  });

  test('the recorded cases run green with the credential from the environment, and name it when it is missing', async () => {
    const plan = path.join(dir, 'plan.yaml');
    const ok = await phoenix(['contracts', 'run', '--plan', plan, '--family', 'store', '--json'], {
      STORE_TOKEN: `Bearer ${token}`,
    });
    const suites = JSON.parse(ok.out.slice(0, ok.out.lastIndexOf(']') + 1)) as { passed: number; total: number }[];
    assert.equal(ok.code, 0, ok.out);
    assert.equal(suites[0]!.passed, suites[0]!.total);
    const missing = await phoenix(['contracts', 'run', '--plan', plan, '--family', 'store']);
    assert.notEqual(missing.code, 0);
    assert.match(missing.out, /PHX_ERR_CASE_AUTH_ENV.*STORE_TOKEN/);
    // The last run's results serve the matrix without sending anything again.
    legacy.seen.length = 0;
    const matrix = await phoenix(['contracts', 'matrix', '--plan', plan, '--format', 'json', '--from-results']);
    assert.equal(matrix.code, 0, matrix.out);
    assert.deepEqual(legacy.seen, []);
    const rows = (JSON.parse(matrix.out) as { rows: { endpoint?: string; pattern?: string; status: string }[] }).rows;
    assert.ok(
      rows.some((x) => x.status === 'unchanged'),
      matrix.out,
    );
  });

  test('--auth-profile writes the profile into the file, naming the variable, and the file is valid', async () => {
    const out = path.join(dir, 'profiled.yaml');
    const list = path.join(dir, 'chair.jsonl');
    const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
    await writeFile(
      list,
      ['chair', 'stool']
        .map((n) => JSON.stringify({ method: 'POST', path: '/items', headers, body: `{"name":"${n}"}` }))
        .join('\n'),
    );
    const r = await record(list, out, ['--auth-profile', 'service', '--auth-env', 'SERVICE_TOKEN']);
    assert.equal(r.code, 0, r.out);
    const text = await readFile(out, 'utf8');
    assert.doesNotMatch(text, new RegExp(token));
    const items = parseCaseFile(text, out, 'store').filter((c) => c.request.path === '/items');
    assert.deepEqual(
      items.map((c) => [c.auth, c.credential]),
      [
        ['service', { env: 'SERVICE_TOKEN' }],
        ['service', { env: 'SERVICE_TOKEN' }],
      ],
    );
  });
});
