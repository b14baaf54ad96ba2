/**
 * A fleet of two nginx hosts driven by a real workflow on the suite's Temporal. Each host is a
 * real nginx with its own prefix, ports, include file and access log, and its own nginx data plane
 * process (`phoenix router --plan`, started from the CLI with that host's copy of the plan); both
 * admin URLs are the plan's `dataPlane.members`. A step counts only once both nginx serve it (read
 * back from each nginx's control server), the figures the workflow judges are both hosts' summed,
 * and a guard trip on one host rolls the family back to legacy on both. The hosts' copies always
 * differ in their nginx blocks, which the worker accepts; a copy that changes a threshold stops
 * the migration at its start.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, test } from 'node:test';
import { createRouterActivities } from '../../src/activities/router.js';
import { startMigration } from '../../src/cli/start-migration.js';
import { migrationResult } from '../../src/lib/migration-outcome.js';
import { readServedState } from '../../src/nginx/apply.js';
import type { Plan } from '../../src/plan/index.js';
import { createRouterAdminClient } from '../../src/router/client.js';
import { approveUpdate } from '../../src/workflows/messages.js';
import { bake25, type FamilyOverrides } from '../helpers/plan-builder.js';
import { freePort } from '../helpers/ports.js';
import { testTemporal, type TestTemporal } from '../helpers/temporal.js';
import { waitFor } from '../helpers/wait.js';
import { startFileWorker, type FileWorker } from '../workflows/family-scenario.js';
import { waitForPending, waitForProgress, type MigrationHandle } from '../workflows/harness.js';
import { driveTraffic, startUpstream, writePlan, type Traffic, type Upstream } from '../workflows/support.js';
import { answeredBy, prepareNginx, type TestNginx } from './support.js';

const TOKEN = 'nginx-fleet-token';
const BIN = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'bin', 'phoenix.mjs');

let t: TestTemporal;
let worker: FileWorker;

before(async () => {
  t = await testTemporal();
  worker = await startFileWorker(t, 'nginx-fleet', {
    reportDir: await mkdtemp(path.join(os.tmpdir(), 'phx-nginx-fleet-reports-')),
    adminToken: TOKEN,
    fleetWaitMs: 300,
  });
});

after(async () => {
  await worker?.close();
  await t?.close();
});

/** One nginx host: its nginx, its copy of the plan and its data plane process. */
interface Host {
  nginx: TestNginx;
  plan: Plan;
  adminUrl: string;
  stop(): Promise<void>;
}

interface Fleet {
  family: string;
  hosts: Host[];
  adminUrls: string[];
  candidate: Upstream;
  stopTraffic(): Promise<void>;
  start(): Promise<MigrationHandle>;
}

/** `phoenix router --plan <file>` as an operator runs it on the nginx host; resolves once it listens. */
async function dataPlaneProcess(planFile: string): Promise<() => Promise<void>> {
  const env = { ...process.env, PHOENIX_ADMIN_TOKEN: TOKEN, PHOENIX_LOG_LEVEL: 'warn' };
  const proc = spawn(process.execPath, [BIN, 'router', '--plan', planFile], {
    stdio: ['ignore', 'pipe', 'inherit'],
    env,
  });
  const exited = new Promise<void>((r) => proc.once('exit', () => r()));
  let out = '';
  proc.stdout.on('data', (b: Buffer) => (out += b.toString()));
  const stop = async (): Promise<void> => {
    if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGTERM');
    await exited;
  };
  try {
    await waitFor(
      'the nginx data plane process to listen',
      () => {
        if (proc.exitCode !== null) throw new Error(`it exited with ${proc.exitCode}: ${out}`);
        return /^nginx data plane: admin /m.test(out);
      },
      { timeoutMs: 60_000, intervalMs: 100 },
    );
  } catch (err) {
    await stop();
    throw err;
  }
  return stop;
}

/**
 * Two nginx hosts carrying one family, traffic through the hosts `through` (40 requests/s each),
 * and a migration started by `phoenix start`'s own starter; all of it closed when `body` ends.
 * `family` may give each host's copy its own family settings.
 */
async function withNginxFleet(
  name: string,
  family: FamilyOverrides | ((host: number) => FamilyOverrides),
  through: number[],
  body: (f: Fleet) => Promise<void>,
): Promise<void> {
  // The starter names the workflow `phoenix-<family>`: a family name of this file's own.
  const familyName = `nginx-fleet-${name}-p${process.pid}`;
  const legacy = await startUpstream('legacy');
  const candidate = await startUpstream('new');
  const hosts: Host[] = [];
  let traffic: Traffic[] = [];
  let handle: MigrationHandle | undefined;
  try {
    const adminUrls = [`http://127.0.0.1:${await freePort()}`, `http://127.0.0.1:${await freePort()}`];
    for (const [i, adminUrl] of adminUrls.entries()) {
      const nginx = await prepareNginx();
      // Each host's copy of the plan: the same families and members, its own nginx block.
      const { plan, dir } = await writePlan(legacy.url, candidate.url, {
        name: familyName,
        family: typeof family === 'function' ? family(i) : family,
        dataPlane: nginx.dataPlane({
          comparatorUrl: `http://127.0.0.1:${await freePort()}`,
          adminUrl,
          members: adminUrls,
        }),
      });
      // nginx cannot start before Phoenix's include file exists: the data plane installs it first.
      const stopProcess = await dataPlaneProcess(path.join(dir, 'plan.yaml'));
      const host: Host = {
        nginx,
        plan,
        adminUrl,
        async stop() {
          await stopProcess();
          await nginx.stop();
        },
      };
      hosts.push(host);
      await nginx.start();
    }
    traffic = through.map((i) => driveTraffic(hosts[i]!.nginx.listenUrl, { rate: 40 }));
    await worker.run(() =>
      body({
        family: familyName,
        hosts,
        adminUrls,
        candidate,
        async stopTraffic() {
          await Promise.all(traffic.map((x) => x.stop()));
        },
        start: async () => {
          const started = await startMigration({
            client: t.client,
            plan: hosts[0]!.plan,
            family: familyName,
            taskQueue: worker.tq,
          });
          handle = started.handle;
          return handle;
        },
      }),
    );
  } finally {
    if (handle) await handle.terminate('the test ended').catch(() => undefined);
    await Promise.all(traffic.map((x) => x.stop()));
    for (const h of hosts) await h.stop();
    await legacy.close();
    await candidate.close();
  }
}

/** What each host's nginx serves for the family, read from its own control server. */
async function served(f: Fleet): Promise<{ mode: string; percent: number; version: number }[]> {
  return Promise.all(
    f.hosts.map(async (h) => {
      const r = (await readServedState(h.nginx.controlListen))?.routes.find((x) => x.family === f.family);
      assert.ok(r, `the nginx at ${h.nginx.listenUrl} serves no route for ${f.family}`);
      return { mode: r.mode, percent: r.percent, version: r.version };
    }),
  );
}

/** A series of the host's `/metrics` for the family. */
async function metric(f: Fleet, i: number, name: string): Promise<number> {
  const res = await fetch(`${f.hosts[i]!.adminUrl}/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } });
  const text = await res.text();
  const m = new RegExp(`^${name}(?:\\{family="${f.family}"\\})? (\\d+)$`, 'm').exec(text);
  assert.ok(m, `${name} is not in the metrics of ${f.hosts[i]!.adminUrl}`);
  return Number(m[1]);
}

async function approve(handle: MigrationHandle, step: string): Promise<void> {
  await handle.executeUpdate(approveUpdate, { args: [{ step, approver: 'alice' }] });
}

describe('migrateFamily on a fleet of two nginx hosts', { concurrency: 1 }, () => {
  test('each step is served by both nginx with one version, and the figures judged are both hosts’ summed', async () => {
    await withNginxFleet('ramp', {}, [0, 1], async (f) => {
      const handle = await f.start();
      const atRamp = await waitForPending(handle, 'ramp-start', 120_000, 300);
      assert.equal(atRamp.parity?.status, 'met');
      const shadow = await served(f);
      assert.equal(shadow[0]!.mode, 'shadow');
      assert.deepEqual(shadow[1], shadow[0], 'both nginx serve shadow with one version');
      for (const i of [0, 1])
        assert.ok((await metric(f, i, 'phoenix_comparator_mirrors_received_total')) > 0, `host ${i} compared`);

      await approve(handle, 'ramp-start');
      await waitForPending(handle, 'ramp:100', 120_000, 300);
      const at25 = await served(f);
      assert.deepEqual(at25[0], { mode: 'canary', percent: 25, version: at25[0]!.version });
      assert.ok(at25[0].version > shadow[0]!.version);
      assert.deepEqual(at25[1], at25[0], 'both nginx serve the 25% step with one version');
      for (const h of f.hosts) {
        const admin = createRouterAdminClient({ baseUrl: h.adminUrl, token: TOKEN });
        try {
          assert.equal((await admin.getRoute(f.family)).version, at25[0].version, 'the version read back');
        } finally {
          await admin.close();
        }
      }

      await approve(handle, 'ramp:100');
      const result = await migrationResult(handle);
      assert.equal(result.outcome, 'completed', result.reason);
      const done = await served(f);
      assert.equal(done[0]!.mode, 'new');
      assert.deepEqual(done[1], done[0]);

      // With the traffic stopped, the fleet's figures (the activity the workflow reads them with)
      // are each host's nginx figures and comparisons added up.
      await f.stopTraffic();
      const fleet = createRouterActivities({ adminToken: TOKEN });
      const readMember = async (url: string) => {
        const admin = createRouterAdminClient({ baseUrl: url, token: TOKEN });
        try {
          return (await admin.getStats(f.family)).stats;
        } finally {
          await admin.close();
        }
      };
      const counts = (s: Awaited<ReturnType<typeof readMember>>): number[] => [
        s.backends.legacy.requests,
        s.backends.new.requests,
        s.parity.samples,
        s.shadow.sampled ?? 0,
      ];
      const { members, summed } = await waitFor(
        'the hosts’ figures to settle',
        async () => {
          const members = await Promise.all(f.adminUrls.map(readMember));
          const summed = (await fleet.readFamilyFigures({ adminUrls: f.adminUrls, family: f.family })).stats;
          const again = await Promise.all(f.adminUrls.map(readMember));
          const same = JSON.stringify(members.map(counts)) === JSON.stringify(again.map(counts));
          return same ? { members, summed } : undefined;
        },
        { timeoutMs: 10_000, intervalMs: 300 },
      );
      const [a, b] = members.map(counts) as [number[], number[]];
      assert.ok(a[1]! > 0 && b[1]! > 0, `both hosts served new: ${a[1]}, ${b[1]}`);
      assert.deepEqual(
        counts(summed),
        a.map((x, k) => x + b[k]!),
      );
    });
  });

  test('a host whose copy of the plan changes a threshold stops the migration at its start, naming the host and the part', async () => {
    // Host 1's copy trips its guard at another error rate; its nginx block differs on both hosts, as always.
    await withNginxFleet(
      'copies',
      (host) => (host === 1 ? { guard: { maxErrorRate: 0.2 } } : {}),
      [],
      async (f) => {
        const handle = await f.start();
        const result = await migrationResult(handle);
        assert.equal(result.outcome, 'rolled-back');
        assert.equal(result.type, 'FleetPlanMismatch', result.reason);
        assert.ok(
          result.reason?.startsWith(
            `PHX_ERR_FLEET_PLAN_MISMATCH: the fleet's members hold 2 different copies of the plan: ${f.adminUrls[1]} differs from ${f.adminUrls[0]} in families[${f.family}].guard (sections: families); the migration of "${f.family}" was refused before any member moved`,
          ),
          result.reason,
        );
        for (const h of f.hosts) {
          const admin = createRouterAdminClient({ baseUrl: h.adminUrl, token: TOKEN });
          try {
            assert.equal((await admin.getRoute(f.family)).mode, 'legacy');
          } finally {
            await admin.close();
          }
        }
      },
    );
  });

  test('a guard trip on one nginx host rolls the family back to legacy on both', async () => {
    // An error-rate SLO that never fails on its own, so the trip is the guard's (3 failures in a row).
    const family: FamilyOverrides = { ...bake25('5m'), slo: { maxErrorRate: 0.99 } };
    await withNginxFleet('trip', family, [0], async (f) => {
      const handle = await f.start();
      await waitForPending(handle, 'ramp-start', 120_000, 300);
      await approve(handle, 'ramp-start');
      await waitForProgress(handle, 'the 25% bake', (p) => p.percent === 25 && p.stage === 'ramp', 60_000, 200);
      const at25 = await served(f);
      assert.deepEqual(at25[0], { mode: 'canary', percent: 25, version: at25[0]!.version });
      assert.deepEqual(at25[1], at25[0]);

      f.candidate.behaviour = 'errors';
      const result = await migrationResult(handle);
      assert.equal(result.outcome, 'rolled-back');
      assert.equal(result.type, 'GuardTripped', result.reason);
      assert.ok(result.reason?.includes(`member ${f.adminUrls[0]}`), result.reason);

      // Only host 0 saw traffic, so only its agent tripped; the rollback set legacy on both.
      assert.equal(await metric(f, 0, 'phoenix_guard_trips_total'), 1);
      assert.equal(await metric(f, 1, 'phoenix_guard_trips_total'), 0);
      const end = await served(f);
      for (const s of end) {
        assert.deepEqual([s.mode, s.percent], ['legacy', 0]);
        assert.ok(s.version > at25[0].version, 'legacy by a newer route, not only by the trip');
      }
      for (const h of f.hosts) {
        const admin = createRouterAdminClient({ baseUrl: h.adminUrl, token: TOKEN });
        try {
          assert.equal((await admin.getGuard(f.family)).tripped, false, 'the rollback cleared the trip');
        } finally {
          await admin.close();
        }
      }
      // Every user gets legacy through either nginx, including the host that never tripped.
      assert.deepEqual([...(await answeredBy(f.hosts[0]!.nginx.listenUrl, 50))], ['legacy']);
      assert.deepEqual([...(await answeredBy(f.hosts[1]!.nginx.listenUrl, 50))], ['legacy']);
    });
  });
});
