import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import {
  groupIntoFamilies,
  missingInNew,
  parseFlaskInventory,
  parseOpenApi,
  toRouterPath,
} from '../../src/contracts/inventory.js';
import { mergeIntoPlan } from '../../src/cli/commands/inventory.js';
import { hasCode } from '../../src/lib/errors.js';
import { parsePlan } from '../../src/plan/index.js';
import { testPlan, writePlanFile } from '../helpers/plan-builder.js';
import { ensurePythonEnv } from '../../scripts/python-env.js';

const run = promisify(execFile);
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

describe('inventory', () => {
  test('Flask rule syntax becomes router patterns', () => {
    assert.equal(toRouterPath('/api/users/<int:user_id>/items'), '/api/users/:user_id/items');
    assert.equal(toRouterPath('/files/<path:rest>'), '/files/*');
    assert.equal(toRouterPath('/api/x/<name>'), '/api/x/:name');
    assert.equal(toRouterPath('/api/orders/{order_id}'), '/api/orders/:order_id');
  });

  test('the real example monolith imports into the right families, and its dependencies give the order', async () => {
    const { python } = await ensurePythonEnv({ root: ROOT });
    const { stdout } = await run(python, [
      path.join(ROOT, 'scripts/flask-url-map.py'),
      path.join(ROOT, 'examples/legacy-flask/app.py'),
    ]);
    const endpoints = parseFlaskInventory(stdout, 'url-map.json');
    const families = groupIntoFamilies(endpoints.filter((e) => e.path !== '/healthz'));
    assert.deepEqual(families.map((f) => f.name).sort(), ['catalog', 'orders', 'reports', 'users']);
    assert.deepEqual(families.find((f) => f.name === 'users')!.routes, [
      'GET /api/users',
      'GET /api/users/:user_id',
      'GET /api/users/:user_id/recommendations',
      'POST /api/users',
    ]);
    const byPrefix = groupIntoFamilies(
      endpoints.filter((e) => e.path !== '/healthz'),
      'prefix',
    );
    assert.deepEqual(byPrefix.map((f) => f.name).sort(), ['catalog', 'orders', 'reports', 'users']);
    const plan = await parsePlan(
      await readFile(path.join(ROOT, 'examples/plan.yaml'), 'utf8'),
      path.join(ROOT, 'examples/plan.yaml'),
    );
    const { migrationOrder } = await import('../../src/plan/index.js');
    assert.deepEqual(
      migrationOrder(plan.families).map((f) => f.name),
      ['users', 'orders', 'catalog', 'reports'],
    );
  });

  test("the plan's families are the explicit mapping: what they cover stays theirs, only the rest is grouped (or listed with --group-by plan)", async () => {
    const { python } = await ensurePythonEnv({ root: ROOT });
    const dir = await mkdtemp(path.join(os.tmpdir(), 'phx-inv-map-'));
    const urlMap = path.join(dir, 'url-map.json');
    const { stdout } = await run(python, [
      path.join(ROOT, 'scripts/flask-url-map.py'),
      path.join(ROOT, 'examples/legacy-flask/app.py'),
    ]);
    await writeFile(urlMap, stdout);
    const planFile = path.join(dir, 'plan.yaml');
    // "accounts" owns the users endpoints and one orders route, whatever Flask's blueprints say.
    await writePlanFile(
      planFile,
      testPlan({
        legacy: 'http://127.0.0.1:5000',
        families: [
          {
            name: 'accounts',
            routes: ['/api/users/*', 'GET /api/users', 'POST /api/users', 'GET /api/orders/:id'],
            new: 'http://127.0.0.1:8001',
          },
        ],
      }),
    );
    const cli = (...args: string[]) =>
      run(process.execPath, [
        path.join(ROOT, 'bin/phoenix.mjs'),
        'inventory',
        'import',
        '--flask',
        urlMap,
        '--plan',
        planFile,
        '--json',
        ...args,
      ]);
    const out = JSON.parse((await cli()).stdout) as {
      mappedByPlan: Record<string, string[]>;
      families: { name: string; routes: string[] }[];
      unassigned: unknown[];
    };
    assert.deepEqual(out.mappedByPlan.accounts!.sort(), [
      'GET /api/orders/:order_id',
      'GET /api/users',
      'GET /api/users/:user_id',
      'GET /api/users/:user_id/recommendations',
      'POST /api/users',
    ]);
    assert.ok(!out.families.some((f) => f.name === 'users'), 'no "users" family is proposed next to accounts');
    assert.ok(
      !out.families.flatMap((f) => f.routes).includes('GET /api/orders/:order_id'),
      'a route the plan owns is not proposed again',
    );
    assert.ok(
      out.families.some((f) => f.name === 'orders'),
      'the other orders routes are grouped by blueprint',
    );
    const onlyPlan = JSON.parse((await cli('--group-by', 'plan')).stdout) as {
      families: unknown[];
      unassigned: { method: string; path: string }[];
    };
    assert.deepEqual(onlyPlan.families, []);
    assert.ok(onlyPlan.unassigned.some((e) => e.method === 'GET' && e.path === '/api/orders'));
    assert.ok(!onlyPlan.unassigned.some((e) => e.path.startsWith('/api/users')));
  });

  test('`flask routes` output is read too; a bad inventory names the file and line', () => {
    const text = `Endpoint                 Methods    Rule
-----------------------  ---------  -----------------------
orders.get_order         GET        /api/orders/<int:order_id>
orders.create_order      POST       /api/orders
static                   GET        /static/<path:filename>
`;
    assert.deepEqual(
      parseFlaskInventory(text, 'routes.txt').map((e) => `${e.method} ${e.path} ${e.blueprint}`),
      ['GET /api/orders/:order_id orders', 'POST /api/orders orders'],
    );
    assert.throws(
      () => parseFlaskInventory('Endpoint  Methods  Rule\n---\n???\n', 'routes.txt'),
      (e: unknown) => hasCode(e, 'PHX_ERR_INVENTORY_INVALID') && /routes\.txt:3/.test((e as Error).message),
    );
    assert.throws(
      () => parseFlaskInventory('[{"endpoint": "x"}]', 'map.json'),
      (e: unknown) => hasCode(e, 'PHX_ERR_INVENTORY_INVALID') && /map\.json/.test((e as Error).message),
    );
    assert.throws(() => parseOpenApi({ openapi: '3.1.0' }, 'openapi.json'), /no "paths" object/);
  });

  test('endpoints missing in the new service are found from its OpenAPI', () => {
    const legacy = parseFlaskInventory(
      JSON.stringify([
        { endpoint: 'r.a', methods: ['GET'], rule: '/api/r/<int:id>', blueprint: 'r' },
        { endpoint: 'r.history', methods: ['GET'], rule: '/api/r/<int:id>/history', blueprint: 'r' },
      ]),
      'm.json',
    );
    const fresh = parseOpenApi({ paths: { '/api/r/{id}': { get: {} } } }, 'openapi.json');
    assert.deepEqual(
      missingInNew(legacy, fresh).map((e) => e.path),
      ['/api/r/:id/history'],
    );
  });

  test('writing into a plan adds families and routes and keeps hand edits and comments', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'phx-inv-'));
    const text = `version: 1
name: shop
legacy: http://127.0.0.1:5000
approvers: [alice]
families:
  # hand-written: do not lose me
  - name: users
    routes: ["GET /api/users/*"]
    new: http://127.0.0.1:8001
    description: kept as written
`;
    const merged = mergeIntoPlan(
      text,
      [
        { name: 'users', routes: ['GET /api/users/:id', 'POST /api/users'] },
        { name: 'orders', routes: ['GET /api/orders'] },
      ],
      'http://127.0.0.1:8002',
    );
    assert.deepEqual(merged.addedFamilies, ['orders']);
    assert.equal(merged.addedRoutes, 1, 'GET /api/users/:id is already covered by GET /api/users/*');
    assert.match(merged.text, /# hand-written: do not lose me/);
    assert.match(merged.text, /description: kept as written/);
    await writeFile(path.join(dir, 'plan.yaml'), merged.text);
    const plan = await parsePlan(merged.text, path.join(dir, 'plan.yaml'));
    assert.deepEqual(
      plan.families.map((f) => [f.name, f.routes]),
      [
        ['users', ['GET /api/users/*', 'POST /api/users']],
        ['orders', ['GET /api/orders']],
      ],
    );
  });
});
