/**
 * The nginx agent against a real nginx and real upstreams: figures read from nginx's JSON access
 * log, the guard tripping a family whose new backend fails (nginx then serves it from legacy),
 * clearing the trip, and a clear error for a log Phoenix cannot read. It runs nginx
 * (node:child_process, in ./support.ts), so it is not a unit test.
 */
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Pool } from 'undici';
import { hasCode } from '../../src/lib/errors.js';
import { createNginxProvider, type NginxProvider, type TripServed } from '../../src/nginx/provider.js';
import type { NginxDataPlane, Plan } from '../../src/plan/schema.js';
import { buildPlan, testPlan } from '../helpers/plan-builder.js';
import { silentUpstream, type SilentUpstream } from '../helpers/ports.js';
import { waitFor } from '../helpers/wait.js';
import { prepareNginx, startUpstream, type TestNginx, type Upstream } from './support.js';

let nginx: TestNginx;
let legacy: Upstream;
let fresh: Upstream;
let dead: SilentUpstream;
let plan: Plan;
let dataPlane: NginxDataPlane;
let provider: NginxProvider;
let client: Pool;
let listenUrl: string;
const served: TripServed[] = [];

/** A new backend that answers 200, or `failWith` while it is set. */
let failWith: number | undefined;
let flaky: http.Server;
let flakyUrl: string;

async function get(p: string, headers: Record<string, string> = {}, method = 'GET'): Promise<string> {
  const res = await client.request({ path: p, method, headers });
  const text = await res.body.text();
  if (res.statusCode !== 200) return `status ${res.statusCode}`;
  return (JSON.parse(text) as { side: string }).side;
}

let version = 0;
/** Changes a route, then opens fresh client connections (a reload closes idle keep-alive ones). */
async function freshClient(): Promise<void> {
  const old = client;
  client = new Pool(listenUrl, { connections: 8 });
  await old?.close();
}
async function set(family: string, mode: 'legacy' | 'canary' | 'new', percent = 0): Promise<void> {
  await provider.setRoute(family, { mode, percent, version: ++version, updatedBy: 'test' });
  await freshClient();
}

before(async () => {
  legacy = await startUpstream('legacy');
  fresh = await startUpstream('new');
  dead = await silentUpstream();
  flaky = http.createServer((req, res) => {
    req.resume();
    const status = failWith ?? 200;
    const body = JSON.stringify({ side: 'new' });
    res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
    res.end(body);
  });
  await new Promise<void>((r) => flaky.listen(0, '127.0.0.1', r));
  flakyUrl = `http://127.0.0.1:${(flaky.address() as AddressInfo).port}`;
  nginx = await prepareNginx();
  listenUrl = nginx.listenUrl;
  plan = await buildPlan(
    testPlan({
      legacy: legacy.url,
      dataPlane: nginx.dataPlane(),
      families: [
        { name: 'users', routes: ['/api/users/*'], new: fresh.url, sticky: { header: 'X-User' } },
        { name: 'orders', routes: ['/api/orders/*'], new: flakyUrl, guard: { consecutiveFailures: 3 } },
        { name: 'reports', routes: ['/api/reports/*'], new: dead.url },
      ],
    }),
  );
  assert.equal(plan.dataPlane.kind, 'nginx');
  dataPlane = plan.dataPlane;
  provider = await createNginxProvider({
    legacy: plan.legacy,
    families: plan.families,
    dataPlane,
    onTripServed: (t) => served.push(t),
  });
  await provider.install();
  await nginx.start();
  await freshClient();
});

after(async () => {
  await client?.close();
  await provider?.close();
  await nginx?.stop();
  await Promise.all([legacy?.close(), fresh?.close(), dead?.close()]);
  await new Promise((r) => flaky?.close(r));
});

describe('nginx agent', () => {
  it('reads requests per backend, latency and the share on new from nginx’s access log', async () => {
    await set('users', 'canary', 40);
    await provider.resetFigures('users');
    const answered = { legacy: 0, new: 0 };
    for (let i = 0; i < 300; i++) {
      const side = await get(`/api/users/${i}`, { 'x-user': `u${i}` });
      assert.ok(side === 'legacy' || side === 'new', side);
      answered[side]++;
    }
    await get('/elsewhere'); // no family: not counted
    const f = await waitFor('300 requests in the figures', async () => {
      const x = await provider.figures('users');
      const n = x.stats.backends.legacy.requests + x.stats.backends.new.requests;
      return n >= 300 && x;
    });
    assert.equal(f.stats.backends.legacy.requests, answered.legacy);
    assert.equal(f.stats.backends.new.requests, answered.new);
    assert.equal(f.stats.backends.new.failures + f.stats.backends.legacy.failures, 0);
    assert.equal(f.observedShareOnNew, answered.new / 300);
    // The canary's users, from the sticky key nginx logs while the family is in canary (300 keys
    // in 10,000 buckets: a few share one).
    assert.ok(
      f.stats.canary.distinctUsers > 280 && f.stats.canary.distinctUsers <= 300,
      `${f.stats.canary.distinctUsers} users`,
    );
    assert.ok(answered.new > 80 && answered.new < 160, `${answered.new} of 300 on new at 40%`);
    assert.ok(f.stats.backends.new.p50 !== null && f.stats.backends.new.p99 !== null);
    assert.ok((f.stats.backends.legacy.p95 ?? 0) > 0);
    assert.deepEqual(
      { mode: f.route.mode, percent: f.route.percent, tripped: f.guard.tripped },
      {
        mode: 'canary',
        percent: 40,
        tripped: false,
      },
    );
  });

  it('counts a safe request that fell back to legacy as new’s failure and legacy’s answer', async () => {
    await set('reports', 'new');
    await provider.resetFigures('reports');
    const before = provider.clientCounters('reports');
    assert.equal(await get('/api/reports/1'), 'legacy');
    const f = await waitFor('the fallback in the figures', async () => {
      const x = await provider.figures('reports');
      return x.stats.fallbacks === 1 && x;
    });
    assert.deepEqual(
      [f.stats.backends.new.requests, f.stats.backends.new.failures, f.stats.backends.legacy.requests],
      [1, 1, 1],
    );
    // The counters behind /metrics, as the router's: new's attempt got no answer, legacy's a 2xx.
    const c = provider.clientCounters('reports');
    assert.deepEqual(
      [c.requests.new[0] - before.requests.new[0], c.requests.legacy[1] - before.requests.legacy[1]],
      [1, 1],
    );
    assert.equal(c.fallbacks - before.fallbacks, 1);
    await set('reports', 'legacy');
  });

  it('trips the guard when new fails, and nginx then serves the family from legacy', async () => {
    await set('orders', 'new');
    assert.equal(await get('/api/orders/1'), 'new');
    failWith = 500;
    // POSTs are not replayed on legacy: the client sees new's 500 until the trip is served.
    await waitFor('the guard to trip', async () => {
      await get('/api/orders/2', {}, 'POST');
      return (await provider.figures('orders')).guard.tripped;
    });
    await waitFor('the trip to be served', () => served.some((t) => t.family === 'orders'));
    await freshClient();
    for (let i = 0; i < 20; i++) assert.equal(await get(`/api/orders/${i}`, {}, 'POST'), 'legacy');
    const f = await provider.figures('orders');
    assert.match(f.guard.reason ?? '', /3 consecutive failures of the new backend/);
    assert.equal(f.guard.trips, 1);
    assert.equal(f.route.mode, 'new', 'the route is kept; the trip overrides it');
    assert.equal((await provider.getRoute('orders')).mode, 'new');
    const t = served.find((x) => x.family === 'orders')!;
    console.log(`# trip served ${t.servedAt - t.firstFailureAt} ms after the first failing answer in the log`);
    assert.ok(t.servedAt >= t.firstFailureAt);
    // A restarted control plane reads the trip from the include file and keeps it.
    const again = await createNginxProvider({ legacy: plan.legacy, families: plan.families, dataPlane });
    try {
      assert.equal((await again.figures('orders')).guard.tripped, true);
    } finally {
      await again.close();
    }
  });

  it('keeps a tripped family on legacy through a route change, until the trip is cleared', async () => {
    failWith = undefined;
    await set('orders', 'canary', 100);
    assert.equal(await get('/api/orders/1'), 'legacy');
    const g = await provider.clearTrip('orders');
    assert.equal(g.tripped, false);
    assert.equal(g.reason, undefined);
    await freshClient();
    assert.equal(await get('/api/orders/1'), 'new');
    assert.equal((await provider.figures('orders')).guard.tripped, false);
    assert.equal((await provider.clearTrip('orders')).tripped, false, 'clearing an armed guard changes nothing');
  });

  it('gives a clear error when the access log is missing or not a file', async () => {
    for (const [accessLog, why] of [
      [path.join(nginx.dir, 'no-such-dir', 'phoenix.log'), /it does not exist/],
      [nginx.dir, /not a regular file/],
    ] as const) {
      const p = await createNginxProvider({
        legacy: plan.legacy,
        families: plan.families,
        dataPlane: { ...dataPlane, accessLog },
      });
      await assert.rejects(p.figures('users'), (err) => {
        assert.ok(hasCode(err, 'PHX_ERR_NGINX_ACCESS_LOG'), String(err));
        assert.match((err as Error).message, why);
        assert.ok((err as Error).message.includes(accessLog));
        return true;
      });
      await p.close();
    }
  });
});
