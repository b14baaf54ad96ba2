/**
 * The router activities on a fleet of real built-in routers whose copies of the plan differ: a
 * copy that changes only the host's own fields is accepted, one that changes a threshold stops
 * preflight and every route change with `FleetPlanMismatch` before any member moves, and the
 * rollback to legacy still reaches every member.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ApplicationFailure } from '@temporalio/common';
import { createRouterActivities } from '../../src/activities/router.js';
import type { Plan } from '../../src/plan/index.js';
import { startFleet, type FleetStack } from '../workflows/fleet-support.js';

const activities = createRouterActivities({ fleetWaitMs: 300, adminTimeoutMs: 1000 });

let fleet: FleetStack;
let family: string;
let urls: string[];
let version = 1;

before(async () => {
  fleet = await startFleet(3);
  family = fleet.plan.families[0]!.name;
  urls = fleet.members.map((m) => m.adminUrl);
});
after(() => fleet.close());

/** The fleet's plan as another host would hold it: its own addresses, state file and files. */
function hostCopy(plan: Plan): Plan {
  return {
    ...plan,
    file: '/srv/other-host/plan.yaml',
    baseline: 'elsewhere.baseline.yaml',
    baselineFile: '/srv/other-host/elsewhere.baseline.yaml',
    router: {
      ...plan.router,
      adminUrl: 'http://10.0.0.2:9090',
      publicUrl: 'http://10.0.0.2:8080',
      stateFile: '/var/lib/phoenix/state.json',
    },
    families: plan.families.map((f) => ({ ...f, contractFiles: [], triage: [] })),
  };
}

/** The fleet's plan with the family's guard tripping at a lower error rate. */
function thresholdCopy(plan: Plan): Plan {
  return {
    ...plan,
    families: plan.families.map((f, i) => (i === 0 ? { ...f, guard: { ...f.guard, maxErrorRate: 0.2 } } : f)),
  };
}

/** Every member's [mode, percent, version]. */
async function routes(): Promise<[string, number, number][]> {
  return Promise.all(
    fleet.members.map(async (_, i) => {
      const { route } = await fleet.state(i);
      return [route.mode, route.percent, route.version] as [string, number, number];
    }),
  );
}

function set(mode: 'legacy' | 'shadow' | 'canary', percent: number) {
  return activities.setRoute({ adminUrls: urls, family, mode, percent, version: ++version, updatedBy: 'test' });
}

function isPlanMismatch(err: unknown, odd: string): boolean {
  assert.ok(err instanceof ApplicationFailure, String(err));
  assert.equal(err.type, 'FleetPlanMismatch');
  assert.equal(err.nonRetryable, true);
  assert.ok(
    err.message.startsWith(
      `PHX_ERR_FLEET_PLAN_MISMATCH: the fleet's members hold 2 different copies of the plan: ${odd} differs from ${urls.filter((u) => u !== odd).join(' and ')} in families[${family}].guard (sections: families); `,
    ),
    err.message,
  );
  return true;
}

describe("a fleet's copies of the plan", { concurrency: 1 }, () => {
  test("a copy that differs only in the host's own fields is accepted by preflight and by a route change", async () => {
    await fleet.stop(1);
    await fleet.start(1, hostCopy(fleet.plan));
    const r = await activities.checkPreflight({ adminUrls: urls, family: fleet.plan.families[0]! });
    assert.equal(r.router.ok, true, r.router.error);
    await set('shadow', 0);
    assert.deepEqual(
      await routes(),
      urls.map(() => ['shadow', 0, version]),
    );
  });

  test('a copy with another threshold stops preflight and a route change before any member moves', async () => {
    await fleet.stop(2);
    await fleet.start(2, thresholdCopy(fleet.plan));
    await assert.rejects(activities.checkPreflight({ adminUrls: urls, family: fleet.plan.families[0]! }), (err) =>
      isPlanMismatch(err, urls[2]!),
    );
    const before = await routes();
    await assert.rejects(set('canary', 25), (err) => isPlanMismatch(err, urls[2]!));
    assert.deepEqual(await routes(), before, 'no member moved');
  });

  test('the rollback to legacy still reaches every member while their copies differ', async () => {
    const minVersion = ++version;
    const state = await activities.routeToLegacy({ adminUrls: urls, family, minVersion, reason: 'test' });
    assert.equal(state.version, minVersion);
    assert.deepEqual(
      await routes(),
      urls.map(() => ['legacy', 0, minVersion]),
    );
    // The same copy everywhere again: the fleet steps once more.
    await fleet.stop(2);
    await fleet.start(2);
    await set('shadow', 0);
    assert.deepEqual(
      await routes(),
      urls.map(() => ['shadow', 0, version]),
    );
  });
});
