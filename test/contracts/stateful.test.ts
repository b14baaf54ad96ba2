/**
 * Contract runs against a stateful API (login → token, create → id, get, delete): file order is
 * run order, credentials come from the environment by reference, captured values go to the side
 * that produced them, setup resets both sides, and repeated runs give the same verdicts.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, mkdir, readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { FamilyPlan } from '../../src/plan/index.js';
import { runContractSuite, type ContractSuiteResult } from '../../src/contracts/runner.js';
import { hasCode } from '../../src/lib/errors.js';
import { testPlan, writePlanFile } from '../helpers/plan-builder.js';
import { startStore, type StoreApp } from './stateful-app.js';

let legacy: StoreApp;
let candidate: StoreApp;
let dir: string;

const CASES = `family: store
auth:
  admin:
    legacy: { env: STORE_LEGACY_KEY, header: x-api-key }
    new: { env: STORE_NEW_KEY, header: x-api-key }
setup:
  - request: { method: POST, path: /reset }
teardown:
  - request: { method: POST, path: /reset }
cases:
  - name: login
    request: { method: POST, path: /login, body: { user: ada, password: pw } }
    expect: { status: 200 }
    capture: { token: $.token }
  - name: wrong password
    request: { method: POST, path: /login, body: { user: ada, password: nope } }
    expect: { status: 401 }
  - name: missing user
    request: { method: POST, path: /login, body: { password: pw } }
    expect: { status: 422 }
  - name: create
    request:
      method: POST
      path: /items
      headers: { authorization: "Bearer \${token}" }
      body: { name: lamp }
    expect: { status: 201 }
    capture: { item_id: $.id }
  - name: get created
    request: { path: "/items/\${item_id}", headers: { authorization: "Bearer \${token}" } }
    expect: { status: 200 }
  - name: count
    request: { path: /items, headers: { authorization: "Bearer \${token}" } }
    expect: { status: 200 }
  - name: stats
    request: { path: /admin/stats }
    auth: admin
    expect: { status: 200 }
  - name: delete
    request: { method: DELETE, path: "/items/\${item_id}", headers: { authorization: "Bearer \${token}" } }
    expect: { status: 204 }
  - name: gone
    request: { path: "/items/\${item_id}", headers: { authorization: "Bearer \${token}" } }
    expect: { status: 404 }
`;

async function planWith(files: Record<string, string>): Promise<FamilyPlan> {
  const d = await mkdtemp(path.join(dir, 'p-'));
  await mkdir(path.join(d, 'cases'));
  for (const [name, text] of Object.entries(files)) await writeFile(path.join(d, 'cases', name), text);
  const plan = await writePlanFile(
    path.join(d, 'plan.yaml'),
    testPlan({
      name: 'stateful',
      legacy: legacy.url,
      families: [
        {
          name: 'store',
          routes: ['/login', '/items', '/items/:id', 'GET /admin/stats'],
          new: candidate.url,
          contracts: ['cases/*.yaml'],
          diff: { ignore: ['$.token'] },
        },
      ],
    }),
  );
  return plan.families[0]!;
}

function verdicts(r: ContractSuiteResult): Record<string, string> {
  return Object.fromEntries(
    r.cases.map((c) => [c.name, c.passed ? 'pass' : c.failures.map((f) => `${f.kind}: ${f.message}`).join(' | ')]),
  );
}

before(async () => {
  legacy = await startStore({ apiKey: 'legacy-key' });
  // New adds a field to the admin stats: one real difference the runs must flag every time.
  candidate = await startStore({ apiKey: 'new-key', extraStatsField: true });
  dir = await mkdtemp(path.join(os.tmpdir(), 'phx-stateful-'));
  process.env.STORE_LEGACY_KEY = 'legacy-key';
  process.env.STORE_NEW_KEY = 'new-key';
});
after(async () => {
  delete process.env.STORE_LEGACY_KEY;
  delete process.env.STORE_NEW_KEY;
  await legacy?.close();
  await candidate?.close();
});

describe('contract runs on a stateful API', () => {
  test('runs in file order with per-side tokens and ids, and 5 runs give the same verdicts', async () => {
    const family = await planWith({ 'store.yaml': CASES });
    const runs: Record<string, string>[] = [];
    for (let i = 0; i < 5; i++) {
      legacy.seen.length = 0;
      candidate.seen.length = 0;
      const r = await runContractSuite({ family, mode: 'parity', concurrency: 8, noiseGapMs: 20 });
      runs.push(verdicts(r));
      assert.deepEqual(
        r.steps.map((s) => `${s.phase} ${s.side} ${s.ok}`),
        ['setup legacy true', 'setup new true', 'teardown legacy true', 'teardown new true'],
      );
      for (const app of [legacy, candidate]) {
        const writes = app.seen.filter((x) => !x.startsWith('GET'));
        assert.deepEqual(
          writes.map((w) => w.replace(/[0-9a-f-]{36}/, ':id')),
          [
            'POST /reset',
            'POST /login',
            'POST /login',
            'POST /login',
            'POST /items',
            'DELETE /items/:id',
            'POST /reset',
          ],
        );
      }
    }
    const expected = Object.fromEntries(
      ['login', 'wrong password', 'missing user', 'create', 'get created', 'count', 'delete', 'gone'].map((n) => [
        n,
        'pass',
      ]),
    );
    assert.deepEqual({ ...runs[0], stats: 'pass' }, { ...expected, stats: 'pass' }, JSON.stringify(runs[0], null, 1));
    assert.match(runs[0]!.stats!, /^parity: new differs from legacy: \$\.version: extra in new/);
    for (const r of runs.slice(1)) assert.deepEqual(r, runs[0]);
  });

  test('a credential whose environment variable is missing stops the run before any request, naming it', async () => {
    const family = await planWith({ 'store.yaml': CASES });
    delete process.env.STORE_NEW_KEY;
    legacy.seen.length = 0;
    try {
      await assert.rejects(
        runContractSuite({ family, mode: 'parity' }),
        (e: Error) => hasCode(e, 'PHX_ERR_CASE_AUTH_ENV') && /STORE_NEW_KEY/.test(e.message),
      );
      assert.deepEqual(legacy.seen, []);
    } finally {
      process.env.STORE_NEW_KEY = 'new-key';
    }
  });

  test('a failed setup skips its file with a clear reason, and a value never captured fails the case using it', async () => {
    const family = await planWith({
      'a.yaml': `setup:
  - request: { method: POST, path: /no-such-reset }
cases:
  - name: never sent
    request: { path: /admin/stats }
`,
      'b.yaml': `cases:
  - name: uses an uncaptured id
    request: { path: "/items/\${nothing}" }
`,
    });
    const r = await runContractSuite({ family, mode: 'parity', noiseGapMs: 20, latencyRepetitions: 0 });
    const [never, uncaptured] = r.cases;
    assert.equal(never!.passed, false);
    assert.equal(never!.failures[0]!.kind, 'setup');
    assert.match(never!.failures[0]!.message, /setup of .*a\.yaml on legacy: POST \/no-such-reset answered 404/);
    assert.deepEqual(
      r.steps.map((s) => [s.phase, s.side, s.ok]),
      [['setup', 'legacy', false]],
    );
    assert.equal(uncaptured!.failures[0]!.kind, 'capture');
    assert.match(uncaptured!.failures[0]!.message, /\$\{nothing\} has no value/);
  });

  test('a setup command runs once per side with the side and its URL, and its failure names the side and exit code', async () => {
    const log = path.join(dir, 'setup.log');
    const script = `require('fs').appendFileSync(${JSON.stringify(log)}, process.env.PHOENIX_SIDE + ' ' + process.env.PHOENIX_TARGET_URL + '\\n'); process.exit(process.env.PHOENIX_SIDE === 'new' ? 3 : 0)`;
    const family = await planWith({
      'c.yaml': `setup:
  - command: ${JSON.stringify(`"${process.execPath}" -e "${script.replace(/"/g, '\\"')}"`)}
cases:
  - name: after the command
    request: { path: /admin/stats }
`,
    });
    const r = await runContractSuite({ family, mode: 'parity', noiseGapMs: 10, latencyRepetitions: 0 });
    assert.deepEqual(
      r.steps.map((x) => [x.side, x.ok]),
      [
        ['legacy', true],
        ['new', false],
      ],
    );
    assert.match(r.steps[1]!.message!, /exited with 3/);
    assert.equal(r.cases[0]!.failures[0]!.kind, 'setup');
    const lines = (await readFile(log, 'utf8')).trim().split('\n');
    assert.deepEqual(lines, [`legacy ${legacy.url}`, `new ${candidate.url}`]);
  });
});
