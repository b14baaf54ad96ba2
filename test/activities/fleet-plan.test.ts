/**
 * The router activities on a fleet of real built-in routers whose copies of the plan differ: a
 * copy that changes only the host's own fields is accepted, one that changes a threshold stops
 * preflight and every route change with `FleetPlanMismatch` before any member moves, and the
 * rollback to legacy still reaches every member. A replay round goes through the next member when
 * the first is down, with a pool of every answering member's samples.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ApplicationFailure } from '@temporalio/common';
import { request } from 'undici';
import { createRouterActivities } from '../../src/activities/router.js';
import type { Plan } from '../../src/plan/index.js';
import { createRouterAdminClient } from '../../src/router/client.js';
import { fleetFile } from '../workflows/fleet-support.js';

const activities = createRouterActivities({ fleetWaitMs: 300, adminTimeoutMs: 1000 });

const fleet = fleetFile(3);
/** The last route version set; each change takes the next. */
let version = 1;

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

function set(mode: 'legacy' | 'shadow' | 'canary', percent: number) {
  const { adminUrls: urls, family } = fleet;
  return activities.setRoute({ adminUrls: urls, family, mode, percent, version: ++version, updatedBy: 'test' });
}

function isPlanMismatch(err: unknown, odd: string): boolean {
  const { adminUrls: urls, family } = fleet;
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
    const { adminUrls: urls } = fleet;
    await fleet.stop(1);
    await fleet.start(1, hostCopy(fleet.plan));
    const r = await activities.checkPreflight({ adminUrls: urls, family: fleet.plan.families[0]! });
    assert.equal(r.router.ok, true, r.router.error);
    await set('shadow', 0);
    assert.deepEqual(
      await fleet.routes(),
      urls.map(() => ['shadow', 0, version]),
    );
  });

  test('a copy with another threshold stops preflight and a route change before any member moves', async () => {
    const { adminUrls: urls } = fleet;
    await fleet.stop(2);
    await fleet.start(2, thresholdCopy(fleet.plan));
    await assert.rejects(activities.checkPreflight({ adminUrls: urls, family: fleet.plan.families[0]! }), (err) =>
      isPlanMismatch(err, urls[2]!),
    );
    const before = await fleet.routes();
    await assert.rejects(set('canary', 25), (err) => isPlanMismatch(err, urls[2]!));
    assert.deepEqual(await fleet.routes(), before, 'no member moved');
  });

  test('the rollback to legacy still reaches every member while their copies differ', async () => {
    const { adminUrls: urls, family } = fleet;
    const minVersion = ++version;
    const state = await activities.routeToLegacy({ adminUrls: urls, family, minVersion, reason: 'test' });
    assert.equal(state.version, minVersion);
    assert.deepEqual(
      await fleet.routes(),
      urls.map(() => ['legacy', 0, minVersion]),
    );
    // The same copy everywhere again: the fleet steps once more.
    await fleet.stop(2);
    await fleet.start(2);
    await set('shadow', 0);
    assert.deepEqual(
      await fleet.routes(),
      urls.map(() => ['shadow', 0, version]),
    );
  });

  test('with the first member down, a replay round goes through the next one, replaying samples that member 2 captured', async () => {
    const { adminUrls: urls, family } = fleet;
    await activities.resetFamilyStats({ adminUrls: urls, family });
    // Only member 2 serves traffic, so only it holds captured samples.
    for (const id of [31, 32]) {
      const res = await request(`${fleet.members[2]!.publicUrl}/api/users/${id}`);
      await res.body.dump();
    }
    const admin2 = createRouterAdminClient({ baseUrl: urls[2]! });
    await admin2.waitForComparisons(family);
    await admin2.close();
    const fam = fleet.plan.families[0]!;
    const replayFamily = {
      ...fam,
      parity: { ...fam.parity, replay: { from: ['samples' as const], after: 0, maxPerSecond: 100, maxShare: 1 } },
    };
    await fleet.stop(0);
    try {
      const r = await activities.replayForParity({ adminUrls: urls, family: replayFamily, count: 4, offset: 0 });
      assert.deepEqual(r.pool, { contracts: 0, samples: 2 }, "member 2's samples are in the pool");
      assert.deepEqual([r.submitted, r.dropped, r.failed], [4, 0, 0]);
      const admin1 = createRouterAdminClient({ baseUrl: urls[1]! });
      try {
        assert.deepEqual((await admin1.getStats(family)).stats.parity.replayed, { samples: 4, mismatches: 0 });
      } finally {
        await admin1.close();
      }
    } finally {
      await fleet.start(0);
    }
  });

  test('a replay round with no member answering fails naming them all, retryably', async () => {
    const { adminUrls: urls } = fleet;
    const fam = fleet.plan.families[0]!;
    for (const i of [0, 1, 2]) await fleet.stop(i);
    try {
      await assert.rejects(activities.replayForParity({ adminUrls: urls, family: fam, count: 1, offset: 0 }), (err) => {
        assert.ok(err instanceof ApplicationFailure, String(err));
        assert.equal(err.type, 'FleetMemberDown');
        assert.equal(err.nonRetryable, false);
        for (const u of urls) assert.ok(err.message.includes(u), err.message);
        return true;
      });
    } finally {
      for (const i of [0, 1, 2]) await fleet.start(i);
    }
  });
});
