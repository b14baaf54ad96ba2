/**
 * The digest of a plan's shared part, which a fleet's members serve and the worker compares:
 * copies that differ only in a host's own fields agree, any other difference is named by part,
 * and the failure built from members' digests names the members and the parts.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { planMismatch } from '../../src/activities/fleet-plan.js';
import type { PlanInput } from '../../src/plan/index.js';
import { planDifferences, sectionsOf, sharedPlanDigest, type PlanDigest } from '../../src/plan/shared-digest.js';
import { buildPlan, testPlan } from '../helpers/plan-builder.js';

const NGINX = {
  kind: 'nginx' as const,
  members: ['http://10.0.0.1:9090', 'http://10.0.0.2:9090'],
  includeFile: '/etc/nginx/conf.d/phoenix.conf',
  mainConfig: '/etc/nginx/nginx.conf',
  accessLog: '/var/log/nginx/phoenix-access.log',
  adminUrl: 'http://127.0.0.1:9090',
};

function input(o: { nginx?: Partial<typeof NGINX> & Record<string, unknown>; router?: Record<string, unknown> } = {}) {
  return testPlan({
    legacy: 'http://legacy:8000',
    router: { adminUrl: 'http://127.0.0.1:9090', ...o.router },
    dataPlane: { ...NGINX, ...o.nginx },
    families: [
      { name: 'users', routes: ['GET /api/users/:id'], new: 'http://new:9000', guard: { maxErrorRate: 0.5 } },
      { name: 'orders', routes: ['GET /api/orders/:id'], new: 'http://new:9000' },
    ],
  });
}

async function digestOf(plan: PlanInput): Promise<PlanDigest> {
  return sharedPlanDigest(await buildPlan(plan));
}

describe('the shared part of a plan', () => {
  test("copies that differ only in a host's own fields have one digest", async () => {
    const a = await digestOf(input());
    const b = await digestOf(
      input({
        router: {
          adminUrl: 'http://127.0.0.1:9190',
          publicUrl: 'http://10.0.0.2:8080',
          stateFile: '/var/lib/x.json',
          clientKeepAlive: '620s',
        },
        nginx: {
          includeFile: '/opt/nginx/conf/phoenix.conf',
          mainConfig: '/opt/nginx/conf/nginx.conf',
          prefix: '/opt/nginx',
          nginxBinary: '/opt/nginx/sbin/nginx',
          listen: '10.0.0.2:80',
          controlListen: '127.0.0.1:9191',
          accessLog: '/opt/nginx/logs/phoenix.log',
          comparatorUrl: 'http://127.0.0.1:9400',
          adminUrl: 'http://127.0.0.1:9195',
        },
      }),
    );
    assert.equal(b.digest, a.digest);
    assert.deepEqual(planDifferences(a, b), []);
  });

  test('a default written out agrees with the default left out', async () => {
    const a = await digestOf(input());
    const spelled = input();
    spelled.families[1] = { ...spelled.families[1]!, guard: { maxErrorRate: 0.5, consecutiveFailures: 3 } };
    assert.equal((await digestOf(spelled)).digest, a.digest);
  });

  test('a changed threshold is named down to the family and its section', async () => {
    const a = await digestOf(input());
    const changed = input();
    changed.families[0] = { ...changed.families[0]!, guard: { maxErrorRate: 0.2 } };
    const b = await digestOf(changed);
    assert.notEqual(b.digest, a.digest);
    assert.deepEqual(planDifferences(a, b), ['families[users].guard']);
    assert.deepEqual(sectionsOf(planDifferences(a, b)), ['families']);
  });

  test('trusted proxies, members and a family only one copy has are each named', async () => {
    const a = await digestOf(input());
    const changed = input({ nginx: { trustedProxies: ['10.0.0.0/8'], members: ['http://10.0.0.1:9090'] } });
    changed.families.push({ name: 'carts', routes: ['GET /api/carts/:id'], new: 'http://new:9000' });
    const diff = planDifferences(a, await digestOf(changed));
    assert.deepEqual(diff, ['dataPlane.members', 'dataPlane.trustedProxies', 'families[carts]']);
    assert.deepEqual(sectionsOf(diff), ['dataPlane', 'families']);
  });

  test('families in another order differ as a whole section', async () => {
    const a = await digestOf(input());
    const swapped = input();
    swapped.families.reverse();
    assert.deepEqual(planDifferences(a, await digestOf(swapped)), ['families']);
  });
});

describe("the fleet's check of its members' digests", () => {
  test('members holding another copy are named with the parts that differ; a member without a digest is not compared', async () => {
    const a = await digestOf(input());
    const changed = input();
    changed.families[0] = { ...changed.families[0]!, guard: { maxErrorRate: 0.2 } };
    const b = await digestOf(changed);
    const f = planMismatch(
      [
        { url: 'http://m0', value: a },
        { url: 'http://m1', value: b },
        { url: 'http://m2', value: undefined },
        { url: 'http://m3', value: a },
      ],
      'canary 25% of "users"',
    );
    assert.ok(f);
    assert.equal(f.type, 'FleetPlanMismatch');
    assert.equal(f.nonRetryable, true);
    assert.match(
      f.message,
      /^PHX_ERR_FLEET_PLAN_MISMATCH: the fleet's members hold 2 different copies of the plan: http:\/\/m1 differs from http:\/\/m0 and http:\/\/m3 in families\[users\]\.guard \(sections: families\); canary 25% of "users" was refused before any member moved/,
    );
    const details = f.details?.[0] as { code: string; differences: { members: string[]; sections: string[] }[] };
    assert.equal(details.code, 'PHX_ERR_FLEET_PLAN_MISMATCH');
    assert.deepEqual(details.differences[0]?.members, ['http://m1']);
    assert.equal(
      planMismatch(
        [
          { url: 'http://m0', value: a },
          { url: 'http://m2', value: undefined },
          { url: 'http://m3', value: a },
        ],
        'x',
      ),
      undefined,
    );
  });
});
