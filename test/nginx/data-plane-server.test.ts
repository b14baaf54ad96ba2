/**
 * The nginx data plane process against a real nginx, through the router's own admin API and
 * client: a plan with one family on nginx and one on the built-in router, each process carrying
 * only its own; route changes applied to nginx with the version check; figures merged from
 * nginx's access log and the in-process comparator; triage, replay, the token, and clear errors
 * where a start cannot work. It runs nginx (node:child_process), so it is not a unit test.
 */
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { Pool, request } from 'undici';
import { hasCode } from '../../src/lib/errors.js';
import { readServedState } from '../../src/nginx/apply.js';
import { startNginxDataPlane, type RunningNginxDataPlane } from '../../src/nginx/data-plane-server.js';
import type { Plan } from '../../src/plan/index.js';
import { createRouterAdminClient, type RouterAdminClient } from '../../src/router/client.js';
import { startRouter, type RunningRouter } from '../../src/router/server.js';
import { freePort } from '../helpers/ports.js';
import { waitFor } from '../helpers/wait.js';
import { startUpstream as startApp, usersFamily, writePlan, type Upstream } from '../workflows/support.js';
import { prepareNginx, type TestNginx } from './support.js';

const TOKEN = 'dp-test-token';
const BIN = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'bin', 'phoenix.mjs');
let nginx: TestNginx;
let legacy: Upstream;
let candidate: Upstream;
let plan: Plan;
let dp: RunningNginxDataPlane;
let router: RunningRouter;
let admin: RouterAdminClient;
let routerAdmin: RouterAdminClient;

/** Fails unless `p` rejects with a PhoenixError of `code`. */
async function rejectsWith(p: Promise<unknown>, code: string): Promise<void> {
  await assert.rejects(p, (err: unknown) => {
    assert.ok(hasCode(err, code), `expected ${code}, got ${String(err)}`);
    return true;
  });
}

async function getThroughNginx(n: number): Promise<void> {
  const client = new Pool(nginx.listenUrl, { connections: 2 });
  try {
    for (let i = 0; i < n; i++) {
      const res = await client.request({ path: `/api/users/${i + 1}`, method: 'GET', headers: { 'x-user': `u${i}` } });
      await res.body.dump();
      assert.equal(res.statusCode, 200);
    }
  } finally {
    await client.close();
  }
}

/** The nginx data plane's `/metrics` for family `users`: answers by backend, and fallbacks. */
async function requestCounts(): Promise<{ legacy2xx: number; new: number; fallbacks: number }> {
  const res = await request(`${dp.adminUrl}/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } });
  const text = await res.body.text();
  assert.equal(res.statusCode, 200, text);
  const value = (line: string): number => {
    const found = text.split('\n').find((l) => l.startsWith(`${line} `));
    assert.ok(found, `no ${line} in /metrics`);
    return Number(found.slice(line.length + 1));
  };
  const classes = ['error', '2xx', '3xx', '4xx', '5xx'];
  return {
    legacy2xx: value('phoenix_requests_total{family="users",backend="legacy",class="2xx"}'),
    new: classes.reduce((n, c) => n + value(`phoenix_requests_total{family="users",backend="new",class="${c}"}`), 0),
    fallbacks: value('phoenix_fallbacks_total{family="users"}'),
  };
}

before(async () => {
  legacy = await startApp('legacy');
  candidate = await startApp('new');
  nginx = await prepareNginx();
  const comparatorUrl = `http://127.0.0.1:${await freePort()}`;
  ({ plan } = await writePlan(legacy.url, candidate.url, {
    family: { parity: { sampleRate: 1 }, diff: { ignore: ['$..request_id'], learnNoise: false } },
    dataPlane: nginx.dataPlane({ comparatorUrl, adminUrl: `http://127.0.0.1:${await freePort()}` }),
    // A family that stays on the built-in router.
    moreFamilies: [
      { ...usersFamily('orders', candidate.url), routes: ['GET /api/orders/:id'], dataPlane: { kind: 'phoenix' } },
    ],
  }));
  dp = await startNginxDataPlane({ plan, adminToken: TOKEN });
  await nginx.start();
  router = await startRouter({
    plan,
    port: 0,
    adminPort: 0,
    adminToken: TOKEN,
    stateFile: path.join(path.dirname(plan.file), 'router-state.json'),
  });
  // A route change waits for nginx -t and the reload, which can pass the client's 3 s default on a loaded machine.
  admin = createRouterAdminClient({ baseUrl: dp.adminUrl, token: TOKEN, timeoutMs: 20_000 });
  routerAdmin = createRouterAdminClient({ baseUrl: router.adminUrl, token: TOKEN });
});

after(async () => {
  await admin?.close();
  await routerAdmin?.close();
  await router?.close();
  await dp?.close();
  await nginx?.stop();
  await legacy?.close();
  await candidate?.close();
});

describe('the nginx data plane process', () => {
  it('serves its families on the data plane’s own admin URL; each process answers "unknown family" for the other’s', async () => {
    assert.equal(dp.adminUrl, (plan.dataPlane.kind === 'nginx' && plan.dataPlane.adminUrl) || 'no adminUrl');
    assert.deepEqual(
      (await admin.listFamilies()).map((f) => f.route.family),
      ['users'],
    );
    assert.deepEqual(
      (await routerAdmin.listFamilies()).map((f) => f.route.family),
      ['orders'],
    );
    await rejectsWith(admin.getRoute('orders'), 'PHX_ERR_ADMIN_UNKNOWN_FAMILY');
    await rejectsWith(routerAdmin.getRoute('users'), 'PHX_ERR_ADMIN_UNKNOWN_FAMILY');
  });

  it('refuses a call without the token', async () => {
    const anonymous = createRouterAdminClient({ baseUrl: dp.adminUrl });
    try {
      await rejectsWith(anonymous.getRoute('users'), 'PHX_ERR_ROUTER_UNAUTHORIZED');
    } finally {
      await anonymous.close();
    }
  });

  it('applies a route to nginx and reads back what nginx serves; an older version is refused', async () => {
    const set = await admin.setRoute('users', { mode: 'canary', percent: 30, version: 5, updatedBy: 'test' });
    assert.deepEqual([set.mode, set.percent, set.version], ['canary', 30, 5]);
    const served = (await readServedState(nginx.controlListen))?.routes.find((r) => r.family === 'users');
    assert.deepEqual([served?.mode, served?.percent, served?.version], ['canary', 30, 5]);
    const read = await admin.getRoute('users');
    assert.deepEqual([read.mode, read.percent, read.version, read.updatedBy], ['canary', 30, 5, 'test']);
    await rejectsWith(
      admin.setRoute('users', { mode: 'new', percent: 100, version: 4 }),
      'PHX_ERR_ROUTE_STALE_VERSION',
    );
    // Replays are compared in shadow or canary only, as on the router.
    await admin.setRoute('users', { mode: 'legacy', percent: 0, version: 6 });
    await rejectsWith(
      admin.replay('users', [{ method: 'GET', path: '/api/users/1' }], 50),
      'PHX_ERR_REPLAY_NOT_SHADOW',
    );
  });

  it('merges nginx’s client figures with the comparator’s comparisons in one stats answer, and resets both', async () => {
    await admin.setRoute('users', { mode: 'shadow', percent: 0, version: 7, sampleRate: 1 });
    await admin.resetStats('users');
    const before = await requestCounts();
    await getThroughNginx(12);
    const s = await waitFor('12 requests and 12 comparisons', async () => {
      await admin.waitForComparisons('users');
      const x = await admin.getStats('users');
      return x.stats.backends.legacy.requests >= 12 && x.stats.parity.samples >= 12 && x;
    });
    assert.equal(s.stats.backends.legacy.requests, 12, 'client figures from nginx’s log');
    assert.equal(s.stats.backends.new.requests, 0, 'clients were all served by legacy in shadow');
    assert.equal(s.stats.parity.samples, 12, 'comparisons of nginx’s mirrors');
    assert.equal(s.stats.parity.mismatches, 0);
    assert.equal(s.route.mode, 'shadow');
    const emptied = await admin.resetStats('users');
    assert.equal(emptied.stats.backends.legacy.requests, 0);
    assert.equal(emptied.stats.parity.samples, 0);
    // /metrics counts nginx's answers under the router's names, and a reset leaves the counters.
    const after = await requestCounts();
    assert.equal(after.legacy2xx - before.legacy2xx, 12);
    assert.equal(after.new - before.new, 0);
    assert.equal(after.fallbacks, before.fallbacks);
  });

  it('takes triage decisions and replays recorded requests through the in-process comparison', async () => {
    const decisions = [
      { id: 'abcdef012345', decision: 'accept' as const, reason: 'known', by: 'alice', at: '2026-01-01T00:00:00Z' },
    ];
    assert.equal((await admin.setTriage('users', decisions)).decisions.length, 1);
    assert.equal((await admin.getSignatures('users')).decisions.length, 1);
    const r = await admin.replay('users', [{ method: 'GET', path: '/api/users/3' }], 50);
    assert.equal(r.submitted, 1);
    await admin.waitForComparisons('users');
    const stats = await admin.getStats('users');
    assert.equal(stats.stats.parity.replayed?.samples, 1);
  });

  it('clear errors: a second process on the same mirror port, no family on nginx, a router with every family on nginx', async () => {
    await rejectsWith(startNginxDataPlane({ plan, adminPort: 0, adminToken: TOKEN }), 'PHX_ERR_NGINX_DP_LISTEN');
    // A comparator address that is not this host's (TEST-NET-1): the comparison runs in this process or not at all.
    await assert.rejects(
      startNginxDataPlane({ plan, adminPort: 0, mirrorPort: 0, mirrorHost: '192.0.2.1', adminToken: TOKEN }),
      (err: unknown) => {
        assert.ok(hasCode(err, 'PHX_ERR_NGINX_DP_LISTEN'), String(err));
        assert.match((err as Error).message, /EADDRNOTAVAIL.*not an address of this host/);
        return true;
      },
    );
    const routerOnly = { ...plan, families: plan.families.filter((f) => f.name === 'orders') };
    await rejectsWith(
      startNginxDataPlane({ plan: routerOnly, adminPort: 0, adminToken: TOKEN }),
      'PHX_ERR_NGINX_NO_FAMILIES',
    );
    const nginxOnly = { ...plan, families: plan.families.filter((f) => f.name === 'users') };
    await rejectsWith(
      startRouter({ plan: nginxOnly, port: 0, adminPort: 0, adminToken: TOKEN }),
      'PHX_ERR_ROUTER_NO_FAMILIES',
    );
  });

  it('`phoenix router --plan` on a plan on nginx starts the nginx data plane, and stops on SIGTERM', async () => {
    const [adminPort, mirrorPort] = [await freePort(), await freePort()];
    const env = { ...process.env, PHOENIX_ADMIN_TOKEN: TOKEN, PHOENIX_LOG_LEVEL: 'warn' };
    const args = [
      'router',
      '--plan',
      plan.file,
      '--admin-port',
      String(adminPort),
      '--mirror-port',
      String(mirrorPort),
    ];
    const proc = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'pipe', 'inherit'], env });
    const exited = new Promise<number | null>((r) => proc.once('exit', (code) => r(code)));
    try {
      let out = '';
      proc.stdout.on('data', (b: Buffer) => (out += b.toString()));
      await waitFor('the data plane to listen', () => /^nginx data plane: admin /m.test(out), { timeoutMs: 30_000 });
      assert.match(
        out,
        new RegExp(
          `admin http://127\\.0\\.0\\.1:${adminPort}, comparing nginx's mirrors on http://127\\.0\\.0\\.1:${mirrorPort}`,
        ),
      );
      const cli = createRouterAdminClient({ baseUrl: `http://127.0.0.1:${adminPort}`, token: TOKEN });
      try {
        assert.deepEqual(
          (await cli.listFamilies()).map((f) => f.route.family),
          ['users'],
        );
        assert.equal((await cli.getRoute('users')).version, (await admin.getRoute('users')).version);
      } finally {
        await cli.close();
      }
    } finally {
      proc.kill('SIGTERM');
    }
    assert.equal(await exited, 0);
  });

  it('`phoenix router --data-plane` takes phoenix or nginx only', async () => {
    const r = await new Promise<{ code: number; stderr: string }>((resolve) =>
      execFile(process.execPath, [BIN, 'router', '--plan', plan.file, '--data-plane', 'envoy'], (err, _o, stderr) =>
        resolve({ code: err ? Number((err as { code?: number }).code) : 0, stderr }),
      ),
    );
    assert.equal(r.code, 2);
    assert.match(r.stderr, /PHX_ERR_CLI_BAD_FLAG: --data-plane: expected "phoenix" or "nginx", got "envoy"/);
  });
});
