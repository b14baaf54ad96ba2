/**
 * Whole migrations driven through a real nginx: the real worker on the suite's Temporal drives
 * the nginx data plane process (`phoenix router` for a plan on nginx) by its admin URL, exactly
 * as it drives the built-in router. Shadow is mirrored by nginx to the comparator in that
 * process, the parity gate passes on those comparisons, the ramp's split is nginx's and its
 * observed share comes from nginx's access log; and a new backend failing mid-ramp trips the
 * agent's guard, the workflow rolls back and nginx serves legacy.
 */
import assert from 'node:assert/strict';
import { mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { migrationResult } from '../../src/lib/migration-outcome.js';
import { readServedState } from '../../src/nginx/apply.js';
import { startNginxDataPlane, type RunningNginxDataPlane } from '../../src/nginx/data-plane-server.js';
import type { TripServed } from '../../src/nginx/provider.js';
import type { Plan } from '../../src/plan/index.js';
import { createRouterAdminClient } from '../../src/router/client.js';
import { approveUpdate } from '../../src/workflows/messages.js';
import { migrateFamily } from '../../src/workflows/migrate-family.js';
import { bake25, type FamilyOverrides } from '../helpers/plan-builder.js';
import { freePort } from '../helpers/ports.js';
import { testTemporal, type TestTemporal } from '../helpers/temporal.js';
import { startFileWorker, type FileWorker } from '../workflows/family-scenario.js';
import { waitForPending, waitForProgress, type MigrationHandle } from '../workflows/harness.js';
import { driveTraffic, startUpstream, writePlan, type Upstream } from '../workflows/support.js';
import { answeredBy, prepareNginx, type TestNginx } from './support.js';

let t: TestTemporal;
let worker: FileWorker;

before(async () => {
  t = await testTemporal();
  worker = await startFileWorker(t, 'nginx-migration', {
    reportDir: await mkdtemp(path.join(os.tmpdir(), 'phx-nginx-reports-')),
  });
});

after(async () => {
  await worker?.close();
  await t?.close();
});

interface World {
  plan: Plan;
  nginx: TestNginx;
  dp: RunningNginxDataPlane;
  legacy: Upstream;
  candidate: Upstream;
  trips: TripServed[];
  start(): Promise<MigrationHandle>;
}

/** Upstreams, nginx, the nginx data plane and traffic through nginx, for the length of `body`. */
async function throughNginx(name: string, family: FamilyOverrides, body: (w: World) => Promise<void>): Promise<void> {
  const legacy = await startUpstream('legacy');
  const candidate = await startUpstream('new');
  const nginx = await prepareNginx();
  const comparatorUrl = `http://127.0.0.1:${await freePort()}`;
  const { plan } = await writePlan(legacy.url, candidate.url, {
    family,
    dataPlane: nginx.dataPlane({ comparatorUrl }),
  });
  const trips: TripServed[] = [];
  // nginx cannot start before Phoenix's include file exists: the data plane installs it first.
  const dp = await startNginxDataPlane({ plan, adminPort: 0, insecureAdmin: true, onTripServed: (x) => trips.push(x) });
  assert.equal(dp.nginxRunning, false);
  assert.equal(dp.mirrorUrl, comparatorUrl);
  await nginx.start();
  const traffic = driveTraffic(nginx.listenUrl, { rate: 60 });
  let handle: MigrationHandle | undefined;
  const start = async (): Promise<MigrationHandle> =>
    (handle = await t.client.workflow.start(migrateFamily, {
      taskQueue: worker.tq,
      workflowId: worker.idFor(name),
      args: [
        {
          plan: plan.name,
          routerAdminUrl: dp.adminUrl,
          temporalUiUrl: 'http://localhost:8233',
          family: plan.families[0]!,
        },
      ],
    }));
  try {
    await worker.run(() => body({ plan, nginx, dp, legacy, candidate, trips, start }));
  } finally {
    if (handle) await handle.terminate('the test ended').catch(() => undefined);
    await traffic.stop();
    await dp.close();
    await nginx.stop();
    await legacy.close();
    await candidate.close();
  }
}

/** The route nginx serves for the family, read from nginx's own control server. */
async function servedRoute(nginx: TestNginx, family = 'users'): Promise<{ mode: string; percent: number }> {
  const state = await readServedState(nginx.controlListen);
  const r = state?.routes.find((x) => x.family === family);
  assert.ok(r, `nginx serves no route for ${family}`);
  return { mode: r.mode, percent: r.percent };
}

describe('migrations through nginx', { concurrency: 1 }, () => {
  test('shadow through the comparator, parity on evidence, ramp on nginx’s split, done on new', async () => {
    await throughNginx('nginx-happy', {}, async ({ nginx, dp, candidate, start }) => {
      const handle = await start();
      const atRamp = await waitForPending(handle, 'ramp-start', 90_000, 300);
      assert.equal(atRamp.parity?.status, 'met');
      assert.ok((atRamp.parity?.samples ?? 0) >= 20, `parity samples ${atRamp.parity?.samples}`);
      // The comparisons came from nginx's mirrors, taken by the data plane process itself.
      const metrics = await (await fetch(`${dp.adminUrl}/metrics`)).text();
      const mirrored = Number(/^phoenix_comparator_mirrors_received_total (\d+)$/m.exec(metrics)?.[1]);
      assert.ok(mirrored >= 20, `nginx mirrored ${mirrored} requests`);
      assert.deepEqual(await servedRoute(nginx), { mode: 'shadow', percent: 0 });
      assert.deepEqual([...(await answeredBy(nginx.listenUrl, 5))], ['legacy'], 'in shadow the clients get legacy');

      await handle.executeUpdate(approveUpdate, { args: [{ step: 'ramp-start', approver: 'alice' }] });
      await waitForPending(handle, 'ramp:100', 90_000, 300);
      assert.deepEqual(await servedRoute(nginx), { mode: 'canary', percent: 25 });
      assert.deepEqual(
        [...(await answeredBy(nginx.listenUrl, 50))].sort(),
        ['legacy', 'new'],
        "nginx's split sends some users to new and keeps the others on legacy",
      );
      await handle.executeUpdate(approveUpdate, { args: [{ step: 'ramp:100', approver: 'alice' }] });
      const result = await migrationResult(handle);
      assert.equal(result.outcome, 'completed', result.reason);

      // The 25% step passed on figures from nginx's access log: requests, users and the share on new.
      const steps = (result.progress.history?.steps ?? []).filter((s) => s.percent === 25);
      const passed = steps.find((s) => s.outcome === 'pass');
      assert.ok(passed, `a 25% analysis passed: ${JSON.stringify(steps.at(-1))}`);
      const share = passed.newRequests / passed.totalRequests;
      assert.ok(share > 0.05 && share < 0.6, `observed share on new at 25%: ${share} of ${passed.totalRequests}`);
      assert.deepEqual(await servedRoute(nginx), { mode: 'new', percent: 100 });
      const before = candidate.requests;
      assert.deepEqual([...(await answeredBy(nginx.listenUrl, 5))], ['new']);
      assert.ok(candidate.requests >= before + 5);
      assert.deepEqual(
        result.progress.checklist.map((c) => [c.id, c.status]),
        [
          ['no-legacy-traffic', 'passed'],
          ['contracts-green-on-new', 'passed'],
          ['route-pinned-new', 'passed'],
        ],
      );
    });
  });

  test('new failing mid-ramp trips the agent’s guard, the workflow rolls back and nginx serves legacy', async () => {
    // An error-rate SLO that never fails on its own, so the trip is the guard's (3 failures in a row).
    const family: FamilyOverrides = { ...bake25('5m'), slo: { maxErrorRate: 0.99 } };
    await throughNginx('nginx-trip', family, async ({ nginx, dp, candidate, trips, start }) => {
      const handle = await start();
      await waitForPending(handle, 'ramp-start', 90_000, 300);
      await handle.executeUpdate(approveUpdate, { args: [{ step: 'ramp-start', approver: 'alice' }] });
      await waitForProgress(handle, 'the 25% bake', (p) => p.percent === 25 && p.stage === 'ramp', 60_000, 200);
      assert.deepEqual(await servedRoute(nginx), { mode: 'canary', percent: 25 });
      candidate.behaviour = 'errors';
      const result = await migrationResult(handle);
      assert.equal(result.outcome, 'rolled-back');
      assert.equal(result.type, 'GuardTripped', result.reason);
      assert.match(result.reason ?? '', /consecutive|failures/);

      assert.equal(trips.length, 1, 'nginx served the tripped family from legacy once');
      assert.equal(trips[0]!.family, 'users');
      assert.ok(
        trips[0]!.servedAt - trips[0]!.firstFailureAt < 5000,
        `trip took ${trips[0]!.servedAt - trips[0]!.firstFailureAt} ms`,
      );
      // The rollback set legacy with a newer version and re-armed the guard: nginx serves legacy by route.
      assert.deepEqual(await servedRoute(nginx), { mode: 'legacy', percent: 0 });
      const admin = createRouterAdminClient({ baseUrl: dp.adminUrl });
      try {
        assert.equal((await admin.getGuard('users')).tripped, false);
        assert.equal((await admin.getRoute('users')).mode, 'legacy');
      } finally {
        await admin.close();
      }
      // `/metrics` shows the agent's trip, now cleared.
      const metrics = await (await fetch(`${dp.adminUrl}/metrics`)).text();
      assert.match(metrics, /^phoenix_guard_trips_total\{family="users"\} 1$/m);
      assert.match(metrics, /^phoenix_guard_tripped\{family="users"\} 0$/m);
      // Every user, including those the canary had sent to new (which still fails), gets legacy.
      assert.deepEqual([...(await answeredBy(nginx.listenUrl, 50))], ['legacy']);
    });
  });
});
