/**
 * `phoenix inventory import --write` from nothing (CLI child processes): the plan is created,
 * block-style, its `new` URL comes from the OpenAPI (its servers, or the URL it was read from),
 * trailing-slash rules become patterns that validate, and `plan validate` accepts the result.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { fakeUpstream, type FakeUpstream } from '../helpers/fake-upstream.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

function phoenix(args: string[], cwd?: string): Promise<{ code: number; out: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [path.join(ROOT, 'bin/phoenix.mjs'), ...args],
      { timeout: 60_000, cwd },
      (err, stdout, stderr) =>
        resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, out: `${stdout}${stderr}` }),
    );
  });
}

/** Every test runs the same command and differs only in the map, the plan and the URL flags. */
function importWrite(
  flask: string,
  plan: string,
  urls: string[],
  cwd?: string,
): Promise<{ code: number; out: string }> {
  return phoenix(['inventory', 'import', '--flask', flask, '--plan', plan, ...urls, '--write'], cwd);
}

const FLASK = JSON.stringify([
  {
    endpoint: 'catalog.categories',
    methods: ['GET', 'HEAD', 'OPTIONS'],
    rule: '/api/catalog/categories/',
    blueprint: 'catalog',
  },
  { endpoint: 'catalog.item', methods: ['GET'], rule: '/api/catalog/items/<int:item_id>', blueprint: 'catalog' },
  { endpoint: 'orders.create', methods: ['POST'], rule: '/api/orders/', blueprint: 'orders' },
]);

const OPENAPI = {
  openapi: '3.1.0',
  paths: { '/api/catalog/categories': { get: {} }, '/api/catalog/items/{item_id}': { get: {} } },
};

let server: FakeUpstream;
let openapiUrl: string;

before(async () => {
  // The new service serves its OpenAPI without `servers`: its own URL is where it was read from.
  server = await fakeUpstream((_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify(OPENAPI));
  });
  openapiUrl = `${server.url}/openapi.json`;
});
after(() => server?.close());

async function emptyDir(): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'phx-inv-'));
  await writeFile(path.join(dir, 'map.json'), FLASK);
  return dir;
}

describe('inventory import --write from nothing', () => {
  test('creates a block-style plan that validates, with new from the URL the OpenAPI was read from', async () => {
    const dir = await emptyDir();
    const plan = path.join(dir, 'plan.yaml');
    const r = await importWrite(path.join(dir, 'map.json'), plan, [
      '--openapi',
      openapiUrl,
      '--legacy',
      'http://127.0.0.1:5000',
    ]);
    assert.equal(r.code, 0, r.out);
    const text = await readFile(plan, 'utf8');
    const origin = new URL(openapiUrl).origin;
    assert.match(text, new RegExp(`new: ${origin.replace(/\./g, '\\.')}\\n`));
    assert.doesNotMatch(text, /8001/);
    assert.match(text, /approvers:\n {2}- "[^"]+"\n/);
    assert.doesNotMatch(text, /families: \[|\{ ?name:/, 'block style');
    assert.match(text, /- GET \/api\/catalog\/categories\n/);
    assert.match(text, /- POST \/api\/orders\n/);
    const v = await phoenix(['plan', 'validate', plan]);
    assert.equal(v.code, 0, `${v.out}\n${text}`);
  });

  test("new comes from the OpenAPI's servers[0].url", async () => {
    const dir = await emptyDir();
    await writeFile(
      path.join(dir, 'openapi.json'),
      JSON.stringify({ ...OPENAPI, servers: [{ url: 'https://api.example.test/v2' }] }),
    );
    const plan = path.join(dir, 'plan.yaml');
    const r = await importWrite(
      'map.json',
      plan,
      ['--openapi', 'openapi.json', '--legacy', 'http://127.0.0.1:5000'],
      dir,
    );
    assert.equal(r.code, 0, r.out);
    assert.match(await readFile(plan, 'utf8'), /new: https:\/\/api\.example\.test\n/);
    assert.equal((await phoenix(['plan', 'validate', plan])).code, 0);
  });

  test('without a way to know new, or legacy for a new plan, it refuses with a clear error', async () => {
    const dir = await emptyDir();
    const plan = path.join(dir, 'plan.yaml');
    const noNew = await importWrite(path.join(dir, 'map.json'), plan, ['--legacy', 'http://127.0.0.1:5000']);
    assert.equal(noNew.code, 2, noNew.out);
    assert.match(noNew.out, /PHX_ERR_INVENTORY_NEW_REQUIRED.*--new <url>/);
    const noLegacy = await importWrite(path.join(dir, 'map.json'), plan, ['--new', 'http://127.0.0.1:8100']);
    assert.equal(noLegacy.code, 2, noLegacy.out);
    assert.match(noLegacy.out, /PHX_ERR_INVENTORY_LEGACY_REQUIRED.*--legacy <url>/);
  });

  test('a stub plan with `families: []` gets block-style families', async () => {
    const dir = await emptyDir();
    const plan = path.join(dir, 'plan.yaml');
    await writeFile(
      plan,
      '# my migration\nversion: 1\nname: shop\nlegacy: http://127.0.0.1:5000\napprovers: [alice]\nfamilies: []\n',
    );
    const r = await importWrite(path.join(dir, 'map.json'), plan, ['--new', 'http://127.0.0.1:8100']);
    assert.equal(r.code, 0, r.out);
    const text = await readFile(plan, 'utf8');
    assert.match(text, /^# my migration\n/);
    assert.match(text, /families:\n {2}- name: catalog\n/);
    assert.equal((await phoenix(['plan', 'validate', plan])).code, 0, text);
  });
});
