/** A family's own `dataPlane` over the plan's, and the helpers that say which data plane carries which family. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  adminUrlOf,
  dataPlaneOf,
  familiesOn,
  nginxDataPlaneOf,
  parsePlan,
  dataPlaneMembers,
  PlanError,
} from '../../src/plan/index.js';

const nginx = (extra = ''): string =>
  `{kind: nginx, includeFile: /etc/nginx/phoenix.conf, mainConfig: /etc/nginx/nginx.conf${extra}}`;

const plan = (top: string, users: string, orders: string): string => `version: 1
name: shop
legacy: http://legacy:8000
approvers: [alice]
router: {adminUrl: "http://127.0.0.1:9090"}
${top ? `dataPlane: ${top}\n` : ''}families:
  - name: users
    routes: ["GET /api/users/:id"]
    new: http://new:9000
${users ? `    dataPlane: ${users}\n` : ''}  - name: orders
    routes: ["GET /api/orders/:id"]
    new: http://new:9000
${orders ? `    dataPlane: ${orders}\n` : ''}`;

describe('per-family data plane', () => {
  test('a family without its own dataPlane takes the plan’s; one with it overrides it', async () => {
    const p = await parsePlan(plan('', nginx(', adminUrl: "http://nginx-host:9095"'), ''), '/tmp/p.yaml');
    assert.equal(dataPlaneOf(p, 'users').kind, 'nginx');
    assert.deepEqual(dataPlaneOf(p, 'orders'), { kind: 'phoenix', adminTimeout: 3000 });
    assert.deepEqual(
      familiesOn(p, 'nginx').map((f) => f.name),
      ['users'],
    );
    assert.deepEqual(
      familiesOn(p, 'phoenix').map((f) => f.name),
      ['orders'],
    );
    assert.equal(adminUrlOf(p, 'users'), 'http://nginx-host:9095');
    assert.equal(adminUrlOf(p, 'orders'), 'http://127.0.0.1:9090');
    // What a run drives for each family: the nginx data plane's admin URL, or the router's.
    assert.deepEqual(dataPlaneMembers(p, 'users'), ['http://nginx-host:9095']);
    assert.deepEqual(dataPlaneMembers(p, 'orders'), ['http://127.0.0.1:9090']);
    const dp = nginxDataPlaneOf(p);
    assert.equal(dp?.includeFile, '/etc/nginx/phoenix.conf');
    // The family's block gets the schema's defaults like the plan's.
    assert.equal(dp?.controlListen, '127.0.0.1:9091');
  });

  test('a plan on nginx with one family kept on the built-in router; nginx’s admin URL defaults to the router’s', async () => {
    const p = await parsePlan(plan(nginx(), '', '{kind: phoenix}'), '/tmp/p.yaml');
    assert.deepEqual(
      familiesOn(p, 'nginx').map((f) => f.name),
      ['users'],
    );
    assert.equal(adminUrlOf(p, 'users'), 'http://127.0.0.1:9090');
    assert.deepEqual(dataPlaneMembers(p, 'users'), ['http://127.0.0.1:9090']);
    assert.equal(nginxDataPlaneOf({ ...p, families: [p.families[1]!] }), undefined);
  });

  test('a family’s own dataPlane members are the fleet its run drives; the plan’s apply to the others', async () => {
    const p = await parsePlan(
      plan(
        '{kind: phoenix, members: ["http://r1:9090", "http://r2:9090"]}',
        nginx(', members: ["http://edge-a:9095", "http://edge-b:9095"]'),
        '',
      ),
      '/tmp/p.yaml',
    );
    assert.deepEqual(dataPlaneMembers(p, 'users'), ['http://edge-a:9095', 'http://edge-b:9095']);
    assert.deepEqual(dataPlaneMembers(p, 'orders'), ['http://r1:9090', 'http://r2:9090']);
  });

  test('families on two different nginx blocks are refused, naming the family’s dataPlane', async () => {
    const other = '{kind: nginx, includeFile: /etc/nginx/other.conf, mainConfig: /etc/nginx/nginx.conf}';
    await assert.rejects(parsePlan(plan('', nginx(), other), '/tmp/p.yaml'), (err: unknown) => {
      assert.ok(err instanceof PlanError);
      const p = err.problems.find((x) => x.path === 'families[1].dataPlane');
      assert.ok(p, JSON.stringify(err.problems));
      assert.match(p.message, /same nginx data plane/);
      return true;
    });
  });

  test('a wrong field in a family’s dataPlane is named', async () => {
    await assert.rejects(
      parsePlan(plan('', '{kind: nginx, includeFile: relative.conf, mainConfig: /x}', ''), '/tmp/p.yaml'),
      (err: unknown) => {
        assert.ok(err instanceof PlanError);
        assert.ok(
          err.problems.some((x) => x.path === 'families[0].dataPlane.includeFile'),
          JSON.stringify(err.problems),
        );
        return true;
      },
    );
  });
});
