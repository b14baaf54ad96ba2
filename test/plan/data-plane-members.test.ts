/** `dataPlane.members` and `dataPlane.adminTimeout`: the fleet's admin URLs, their defaults, and the plan's refusals. */
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { adminTimeoutOf, dataPlaneMembers, PlanError, type PlanInput } from '../../src/plan/index.js';
import { writePlanFile } from '../helpers/plan-builder.js';

let dir: string;
let n = 0;
before(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'phx-plan-members-'));
});

function load(extra: Partial<PlanInput>) {
  return writePlanFile(path.join(dir, `plan-${++n}.yaml`), {
    version: 1,
    name: 'shop',
    legacy: 'http://127.0.0.1:5000',
    router: { adminUrl: 'http://127.0.0.1:9190' },
    approvers: ['alice'],
    families: [{ name: 'users', routes: ['GET /api/users/:id'], new: 'http://127.0.0.1:8001' }],
    ...extra,
  });
}

async function problems(extra: Partial<PlanInput>): Promise<{ path: string; message: string }[]> {
  const err = await load(extra).then(
    () => assert.fail('the plan was accepted'),
    (e: unknown) => e,
  );
  assert.ok(err instanceof PlanError, String(err));
  assert.equal(err.code, 'PHX_ERR_PLAN_INVALID');
  return err.problems;
}

test("without members the family's data plane is the one router at router.adminUrl", async () => {
  const plan = await load({});
  assert.deepEqual(dataPlaneMembers(plan, 'users'), ['http://127.0.0.1:9190']);
});

test('members list every admin URL of the fleet, for the built-in router and for nginx', async () => {
  const urls = ['http://10.0.0.1:9090', 'http://10.0.0.2:9090', 'https://edge-3.internal:9443'];
  const plan = await load({ dataPlane: { kind: 'phoenix', members: urls } });
  assert.deepEqual(dataPlaneMembers(plan, 'users'), urls);
  const nginx = await load({
    dataPlane: {
      kind: 'nginx',
      includeFile: '/etc/nginx/phoenix.conf',
      mainConfig: '/etc/nginx/nginx.conf',
      members: urls.slice(0, 2),
    },
  });
  assert.deepEqual(dataPlaneMembers(nginx, 'users'), urls.slice(0, 2));
  assert.throws(() => dataPlaneMembers(plan, 'orders'), /no family "orders"/);
});

test('a member listed twice is refused, naming both places', async () => {
  const p = await problems({
    dataPlane: { kind: 'phoenix', members: ['http://10.0.0.1:9090', 'http://10.0.0.2:9090', 'http://10.0.0.1:9090/'] },
  });
  assert.equal(p.length, 1);
  assert.equal(p[0]!.path, 'dataPlane.members[2]');
  assert.match(p[0]!.message, /member http:\/\/10\.0\.0\.1:9090\/ is listed twice \(also at members\[0\]\)/);
});

test('an empty fleet or a member that is not an http(s) URL is refused, naming the field', async () => {
  const empty = await problems({ dataPlane: { kind: 'phoenix', members: [] } });
  assert.equal(empty[0]!.path, 'dataPlane.members');
  assert.match(empty[0]!.message, /at least one member/);
  const bad = await problems({ dataPlane: { kind: 'phoenix', members: ['http://10.0.0.1:9090', 'ftp://x'] } });
  assert.equal(bad[0]!.path, 'dataPlane.members[1]');
});

test("dataPlane.adminTimeout is 3 s by default, a duration otherwise, and a family's own data plane has its own", async () => {
  const plan = await load({});
  assert.equal(adminTimeoutOf(plan, 'users'), 3000);
  const slow = await load({
    dataPlane: { kind: 'phoenix', adminTimeout: '15s' },
    families: [
      { name: 'users', routes: ['GET /api/users/:id'], new: 'http://127.0.0.1:8001' },
      {
        name: 'orders',
        routes: ['GET /api/orders/:id'],
        new: 'http://127.0.0.1:8002',
        dataPlane: { kind: 'phoenix', adminTimeout: 800 },
      },
    ],
  });
  assert.equal(adminTimeoutOf(slow, 'users'), 15_000);
  assert.equal(adminTimeoutOf(slow, 'orders'), 800);
});

test('an admin timeout under 100 ms, over 2 min or not a duration is refused, naming the field', async () => {
  const short = await problems({ dataPlane: { kind: 'phoenix', adminTimeout: '50ms' } });
  assert.equal(short[0]!.path, 'dataPlane.adminTimeout');
  assert.match(short[0]!.message, /at least 100 ms/);
  const long = await problems({ dataPlane: { kind: 'phoenix', adminTimeout: '5m' } });
  assert.equal(long[0]!.path, 'dataPlane.adminTimeout');
  assert.match(long[0]!.message, /at most 2 min/);
  const word = await problems({ dataPlane: { kind: 'phoenix', adminTimeout: 'soon' } });
  assert.equal(word[0]!.path, 'dataPlane.adminTimeout');
  assert.match(word[0]!.message, /expected a duration/);
});
