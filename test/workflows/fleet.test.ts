/**
 * `migrateFamily` driving a fleet of real built-in routers on the suite's Temporal: every member
 * serves each step's version, a trip on one member sends the family to legacy on all, and a
 * member that is down blocks the ramp and holds the rollback until it is back; a member restarted
 * with another copy of the plan stops the next step; `phoenix status` shows each member the run
 * drives, a member that is down included.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { MemberStatus } from '../../src/cli/member-status.js';
import { startProgram } from '../../src/cli/start-migration.js';
import { migrationResult } from '../../src/lib/migration-outcome.js';
import type { MigrateProgramInput } from '../../src/workflows/migrate-program.js';
import { approveUpdate } from '../../src/workflows/messages.js';
import { bake25 } from '../helpers/plan-builder.js';
import { testTemporal, type TestTemporal } from '../helpers/temporal.js';
import { waitFor } from '../helpers/wait.js';
import { startFileWorker, type FileWorker } from './family-scenario.js';
import { startFleet, startFleetMigration, type FleetStack } from './fleet-support.js';
import {
  recordHistory,
  scheduledActivities,
  waitForPending,
  waitForProgress,
  type MigrationHandle,
} from './harness.js';
import { driveTraffic, type PlanOverrides, type Traffic } from './support.js';

let t: TestTemporal;
let worker: FileWorker;

before(async () => {
  t = await testTemporal();
  const reportDir = await mkdtemp(path.join(os.tmpdir(), 'phx-fleet-reports-'));
  // A member that is down holds a fleet-wide change 300 ms per attempt here (3 s by default).
  worker = await startFileWorker(t, 'fleet', { reportDir, fleetWaitMs: 300 });
});
after(async () => {
  await worker?.close();
  await t?.close();
});

interface FleetRun {
  stack: FleetStack;
  start(): Promise<MigrationHandle>;
}

/**
 * A fleet of `size` routers, traffic through the members `through` (20 requests/s each), and a
 * migration on the file's worker; all of it closed when `body` ends.
 */
async function withFleet(
  name: string,
  size: number,
  o: PlanOverrides & { through: number[] },
  body: (run: FleetRun) => Promise<void>,
): Promise<void> {
  // The starter names the workflow `phoenix-<family>`: a family name of this file's own.
  const stack = await startFleet(size, { ...o, name: `fleet-${name}-p${process.pid}` });
  const traffic: Traffic[] = o.through.map((i) => driveTraffic(stack.members[i]!.publicUrl, { rate: 20 }));
  let handle: MigrationHandle | undefined;
  try {
    await worker.run(() =>
      body({
        stack,
        start: async () => (handle = await startFleetMigration(t.client, stack, worker.tq)),
      }),
    );
  } finally {
    if (handle) await handle.terminate('the test ended').catch(() => undefined);
    await Promise.all(traffic.map((x) => x.stop()));
    await stack.close();
  }
}

/** Every member's [mode, percent, version]. */
async function routes(stack: FleetStack): Promise<[string, number, number][]> {
  return Promise.all(
    stack.members.map(async (_, i) => {
      const { route } = await stack.state(i);
      return [route.mode, route.percent, route.version] as [string, number, number];
    }),
  );
}

const BIN = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'bin', 'phoenix.mjs');

/** `phoenix status <args>` against the suite's Temporal. */
function status(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [BIN, 'status', ...args],
      {
        env: { ...process.env, TEMPORAL_ADDRESS: t.address, TEMPORAL_NAMESPACE: 'default', PHOENIX_ADMIN_TOKEN: '' },
        timeout: 60_000,
      },
      (err, stdout, stderr) => resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

async function approve(handle: MigrationHandle, step: string): Promise<void> {
  await handle.executeUpdate(approveUpdate, { args: [{ step, approver: 'alice' }] });
}

describe('migrateFamily on a fleet', { concurrency: 1 }, () => {
  test('a family ramps across two routers: each step is on every member, with one version', async () => {
    await withFleet('ramp', 2, { through: [0, 1] }, async ({ stack, start }) => {
      const handle = await start();
      await waitForPending(handle, 'ramp-start', 90_000);
      assert.deepEqual(
        (await routes(stack)).map(([mode]) => mode),
        ['shadow', 'shadow'],
      );
      await approve(handle, 'ramp-start');
      await waitForPending(handle, 'ramp:100', 90_000);
      const at25 = await routes(stack);
      assert.deepEqual(at25[0], ['canary', 25, at25[0]![2]]);
      assert.deepEqual(at25[1], at25[0], 'both members serve the same version of the step');
      await approve(handle, 'ramp:100');
      const result = await migrationResult(handle);
      assert.equal(result.outcome, 'completed', result.reason);
      // A run driving a fleet (routerAdminUrls, adminTimeoutMs in its input), replayed by test/replay.
      await recordHistory(handle, 'fleet-ramp');
      const done = await routes(stack);
      assert.equal(done[0]![0], 'new');
      assert.deepEqual(done[1], done[0]);
    });
  });

  test('a guard trip on one router mid-ramp sends the family to legacy on every router', async () => {
    // SLOs that never fail on their own (failing answers also differ from legacy's when compared),
    // so the trip is the guard's (3 failures in a row) and not a bake analysis that saw 2 of 5 first.
    const family = { ...bake25('5m'), slo: { maxErrorRate: 0.99, maxMismatchRate: 1 } };
    await withFleet('trip', 2, { family, through: [0] }, async ({ stack, start }) => {
      const handle = await start();
      await waitForPending(handle, 'ramp-start', 90_000);
      await approve(handle, 'ramp-start');
      await waitForProgress(handle, 'the 25% bake', (p) => p.percent === 25 && p.stage === 'ramp', 60_000);
      stack.candidate.behaviour = 'errors';
      const result = await migrationResult(handle);
      assert.equal(result.type, 'GuardTripped', result.reason);
      assert.ok(result.reason?.includes(`member ${stack.members[0]!.adminUrl}`), result.reason);
      const [a, b] = await Promise.all([stack.state(0), stack.state(1)]);
      assert.equal(a.route.mode, 'legacy');
      assert.equal(b.route.mode, 'legacy', 'the member that never tripped is on legacy too');
      assert.equal(b.guard.trips, 0);
      assert.equal(a.guard.tripped, false, 'the rollback cleared the trip');
    });
  });

  test('a router killed mid-ramp holds the rollback until it is back, then every router is on legacy', async () => {
    await withFleet('killed', 3, { family: bake25('5m'), through: [0, 1, 2] }, async ({ stack, start }) => {
      const handle = await start();
      await waitForPending(handle, 'ramp-start', 90_000);
      await approve(handle, 'ramp-start');
      await waitForProgress(handle, 'the 25% bake', (p) => p.percent === 25 && p.stage === 'ramp', 60_000);
      const at25 = await routes(stack);
      assert.ok(
        at25.every((r) => r[0] === 'canary' && r[1] === 25 && r[2] === at25[0]![2]),
        JSON.stringify(at25),
      );
      await stack.stop(2);
      await waitForProgress(handle, 'the rollback', (p) => p.stage === 'rolling-back', 30_000);
      // The rollback's activity keeps failing on the killed member, and says so where people look.
      const pending = await waitFor(
        'the rollback to retry on the killed member',
        async () => {
          const d = await handle.describe();
          const a = d.raw.pendingActivities?.find((x) => x.activityType?.name === 'routeToLegacy');
          return (a?.attempt ?? 0) >= 2 && a?.lastFailure?.message ? a : undefined;
        },
        { timeoutMs: 30_000, intervalMs: 200 },
      );
      assert.match(pending.lastFailure!.message!, /PHX_ERR_FLEET_MEMBER_DOWN/);
      assert.ok(pending.lastFailure!.message!.includes(stack.members[2]!.adminUrl));
      const live = await Promise.all([stack.state(0), stack.state(1)]);
      assert.deepEqual(
        live.map((s) => s.route.mode),
        ['legacy', 'legacy'],
        'the members that answer went to legacy at once',
      );
      // `phoenix status` shows each member the run drives, the one that is down too.
      const family = stack.plan.families[0]!.name;
      const json = await status(family, '--json');
      assert.equal(json.code, 0, json.stderr);
      const members = (JSON.parse(json.stdout) as { dataPlane: { members: MemberStatus[] } }).dataPlane.members;
      assert.deepEqual(
        members.map((m) => [m.adminUrl, m.reachable, m.route?.mode, m.error?.code]),
        [
          [stack.members[0]!.adminUrl, true, 'legacy', undefined],
          [stack.members[1]!.adminUrl, true, 'legacy', undefined],
          [stack.members[2]!.adminUrl, false, undefined, 'PHX_ERR_ROUTER_UNREACHABLE'],
        ],
      );
      const text = await status(family);
      assert.equal(text.code, 0, text.stderr);
      assert.match(text.stdout, /\ndata plane: 3 members \(1 down\)\n/);
      assert.match(text.stdout, new RegExp(`\\n  ${stack.members[0]!.adminUrl}  legacy \\(version \\d+\\)\\n`));
      assert.ok(
        text.stdout.includes(`  ${stack.members[2]!.adminUrl}  down: PHX_ERR_ROUTER_UNREACHABLE `),
        text.stdout,
      );
      await stack.start(2);
      const result = await migrationResult(handle);
      assert.equal(result.outcome, 'rolled-back');
      assert.match(result.reason ?? '', /PHX_ERR_FLEET_MEMBER_DOWN/);
      const end = await routes(stack);
      assert.deepEqual(
        end.map(([mode, percent]) => [mode, percent]),
        [
          ['legacy', 0],
          ['legacy', 0],
          ['legacy', 0],
        ],
        'no member is left at another percent',
      );
    });
  });

  test('a router down when a step is due blocks it: no member moves, and the rollback waits for it', async () => {
    await withFleet('blocked', 2, { through: [0] }, async ({ stack, start }) => {
      const handle = await start();
      await waitForPending(handle, 'ramp-start', 90_000);
      await stack.stop(1);
      await approve(handle, 'ramp-start');
      await waitForProgress(handle, 'the rollback', (p) => p.stage === 'rolling-back', 60_000);
      await waitFor(
        'member 0 on legacy',
        async () => ((await stack.state(0)).route.mode === 'legacy' ? true : undefined),
        {
          timeoutMs: 10_000,
          intervalMs: 100,
        },
      );
      assert.equal((await handle.describe()).status.name, 'RUNNING', 'the rollback waits for member 1');
      const canary = (await scheduledActivities(handle)).filter(
        (a) => a.type === 'setRoute' && /canary/.test(a.summary),
      );
      assert.deepEqual(canary, [], 'the step never reached the route change');
      await stack.start(1);
      const result = await migrationResult(handle);
      assert.equal(result.outcome, 'rolled-back');
      assert.match(result.reason ?? '', /PHX_ERR_FLEET_MEMBER_DOWN: fleet member http:\/\/127\.0\.0\.1:\d+ /);
      assert.ok(result.reason?.includes(stack.members[1]!.adminUrl), result.reason);
      assert.deepEqual(
        (await routes(stack)).map(([mode]) => mode),
        ['legacy', 'legacy'],
      );
    });
  });

  test('a router restarted with another copy of the plan stops the next step, and the rollback still reaches every member', async () => {
    await withFleet('copies', 2, { through: [0] }, async ({ stack, start }) => {
      const handle = await start();
      await waitForPending(handle, 'ramp-start', 90_000);
      // Member 1 comes back with a copy whose guard trips at another error rate.
      const copy = {
        ...stack.plan,
        families: stack.plan.families.map((f) => ({ ...f, guard: { ...f.guard, maxErrorRate: 0.2 } })),
      };
      await stack.stop(1);
      await stack.start(1, copy);
      await approve(handle, 'ramp-start');
      const result = await migrationResult(handle);
      assert.equal(result.outcome, 'rolled-back');
      assert.equal(result.type, 'FleetPlanMismatch', result.reason);
      const [m0, m1] = stack.members.map((m) => m.adminUrl) as [string, string];
      const family = stack.plan.families[0]!.name;
      assert.ok(
        result.reason?.startsWith(
          `PHX_ERR_FLEET_PLAN_MISMATCH: the fleet's members hold 2 different copies of the plan: ${m1} differs from ${m0} in families[${family}].guard (sections: families); route canary 25% of "${family}" was refused before any member moved`,
        ),
        result.reason,
      );
      assert.deepEqual(
        (await routes(stack)).map(([mode, percent]) => [mode, percent]),
        [
          ['legacy', 0],
          ['legacy', 0],
        ],
        'no member was ever at 25%, and the rollback set legacy on both',
      );
    });
  });

  test("phoenix start --all gives the program each family's members", async () => {
    const stack = await startFleet(2);
    try {
      // Nobody polls this queue: the program only has to be started to show its input.
      const plan = { ...stack.plan, name: `fleet-program-p${process.pid}` };
      const { handle } = await startProgram({ client: t.client, plan, taskQueue: `nobody-${plan.name}` });
      try {
        const history = await handle.fetchHistory();
        const payload = history.events?.[0]?.workflowExecutionStartedEventAttributes?.input?.payloads?.[0]?.data;
        const input = JSON.parse(Buffer.from(payload!).toString('utf8')) as MigrateProgramInput;
        assert.deepEqual(input.routerAdminUrls, {
          [plan.families[0]!.name]: stack.members.map((m) => m.adminUrl),
        });
        assert.deepEqual(input.adminTimeoutsMs, { [plan.families[0]!.name]: 3000 }, 'dataPlane.adminTimeout');
      } finally {
        await handle.terminate('the test ended');
      }
    } finally {
      await stack.close();
    }
  });
});
