/**
 * The nginx traffic provider against a real nginx and real upstreams: every route change goes
 * render → nginx -t → atomic write → reload, and requests land where the route says. It runs
 * nginx (node:child_process, in ./support.ts), so it is not a unit test.
 */
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Pool } from 'undici';
import { hasCode } from '../../src/lib/errors.js';
import { fakeUpstream, sendJson, type FakeUpstream } from '../helpers/fake-upstream.js';
import { createNginxProvider, type NginxFamily, type NginxProvider } from '../../src/nginx/provider.js';
import type { FamilyPlanInput } from '../../src/plan/index.js';
import type { NginxDataPlane } from '../../src/plan/schema.js';
import { trafficProviderFor } from '../../src/provider/select.js';
import { buildPlan, testPlan } from '../helpers/plan-builder.js';
import { silentUpstream, type SilentUpstream } from '../helpers/ports.js';
import { httpsUpstream, selfSignedCert, type HttpsUpstream } from '../helpers/tls.js';
import { waitFor } from '../helpers/wait.js';
import { prepareNginx, startUpstream, type TestNginx, type Upstream } from './support.js';

let nginx: TestNginx;
let legacy: Upstream;
let fresh: Upstream;
let comparator: Upstream;
/** new for families `slow` and `lagging`: answers after 1.5 s, past their guard.timeout (300 ms). */
let sluggish: FakeUpstream;
/** Legacy of family `lagging`: answers after `?delay=<ms>` (default 700, past guard.timeout). */
let laggard: FakeUpstream;
/** What `laggard` got: method, URL and Host. */
const laggardSeen: string[] = [];
let dead: SilentUpstream;
/** HTTPS services: new of `vault` and legacy of `archive` with a certificate the plan's CA file trusts, new of `forged` with one it does not. */
let vault: HttpsUpstream;
let archive: HttpsUpstream;
let forged: HttpsUpstream;
/** Where their certificates are. */
let certs: string | undefined;
let dataPlane: NginxDataPlane;
let families: NginxFamily[];
let provider: NginxProvider;
let client: Pool;

async function get(path: string, headers: Record<string, string> = {}, method = 'GET'): Promise<string> {
  const res = await client.request({ path, method, headers });
  const text = await res.body.text();
  if (res.statusCode !== 200) return `status ${res.statusCode}`;
  return (JSON.parse(text) as { side: string }).side;
}

let version = 0;
let listenUrl: string;
/**
 * Changes a route, then opens fresh client connections: a reload closes idle keep-alive
 * connections, and a request racing that close is the load test's business, not these cases'.
 */
async function set(family: string, mode: 'legacy' | 'shadow' | 'canary' | 'new', percent = 0, sampleRate?: number) {
  const r = await provider.setRoute(family, { mode, percent, version: ++version, sampleRate, updatedBy: 'test' });
  const old = client;
  client = new Pool(listenUrl, { connections: 16 });
  await old.close();
  return r;
}

before(async () => {
  legacy = await startUpstream('legacy');
  fresh = await startUpstream('new');
  comparator = await startUpstream('comparator');
  sluggish = await fakeUpstream((req, res) => {
    req.resume();
    setTimeout(() => sendJson(res, 200, { side: 'sluggish' }), 1500);
  });
  laggard = await fakeUpstream((req, res) => {
    laggardSeen.push(`${req.method} ${req.url} ${req.headers.host}`);
    req.resume();
    const delay = Number(new URL(req.url ?? '/', 'http://x').searchParams.get('delay') ?? 700);
    setTimeout(() => sendJson(res, 200, { side: 'slow legacy' }), delay);
  });
  dead = await silentUpstream();
  certs = await mkdtemp(path.join(os.tmpdir(), 'phx-nginx-tls-'));
  const [trusted, stranger] = await Promise.all([selfSignedCert(certs, 'trusted'), selfSignedCert(certs, 'stranger')]);
  [vault, archive, forged] = await Promise.all([
    httpsUpstream('vault', trusted),
    httpsUpstream('archive', trusted),
    httpsUpstream('forged', stranger),
  ]);
  nginx = await prepareNginx();
  // The plan as a team writes it, through the schema and the provider selection.
  const fam = (name: string, routes: string[], newUrl = fresh.url): FamilyPlanInput => ({
    name,
    routes,
    new: newUrl,
    sticky: { header: 'X-User' },
    parity: { sampleRate: 1 },
  });
  const plan = await buildPlan(
    testPlan({
      legacy: legacy.url,
      dataPlane: nginx.dataPlane({
        comparatorUrl: comparator.url,
        trustedProxies: ['127.0.0.1/32'],
        upstreamCa: trusted.certFile,
      }),
      families: [
        fam('users', ['GET /api/users/:id', 'POST /api/users']),
        fam('me', ['GET /api/users/me']),
        fam('orders', ['/api/orders/*']),
        fam('reports', ['/api/reports/*'], dead.url),
        { ...fam('slow', ['/api/slow/*'], sluggish.url), guard: { timeout: '300ms' } },
        {
          ...fam('lagging', ['/api/lagging/*'], sluggish.url),
          legacy: laggard.url,
          guard: { timeout: '300ms', consecutiveFailures: 100, minRequests: 100 },
        },
        { name: 'geo', routes: ['GET /api/geo/*'], new: fresh.url, sticky: 'ip' },
        fam('vault', ['/api/vault/*'], vault.url),
        { ...fam('archive', ['/api/archive/*']), legacy: archive.url },
        fam('forged', ['/api/forged/*'], forged.url),
      ],
      router: { legacyTimeout: '1200ms' },
    }),
  );
  assert.equal(plan.dataPlane.kind, 'nginx');
  dataPlane = plan.dataPlane;
  families = plan.families;
  provider = (await trafficProviderFor(plan, () => assert.fail('no router for an nginx plan'))) as NginxProvider;
  assert.equal(provider.kind, 'nginx');
  // nginx needs the file before it starts; every family starts on legacy.
  await provider.install();
  await nginx.start();
  listenUrl = nginx.listenUrl;
  client = new Pool(listenUrl, { connections: 16 });
});

after(async () => {
  await client?.close();
  await provider?.close();
  await nginx?.stop();
  await Promise.all([
    legacy?.close(),
    fresh?.close(),
    comparator?.close(),
    sluggish?.close(),
    laggard?.close(),
    dead?.close(),
    vault?.close(),
    archive?.close(),
    forged?.close(),
  ]);
  if (certs !== undefined) await rm(certs, { recursive: true, force: true });
});

describe('nginx provider', () => {
  it('serves every family from legacy before any change, and unmatched paths from the plan legacy', async () => {
    assert.equal(await get('/api/users/1'), 'legacy');
    assert.equal(await get('/elsewhere'), 'legacy');
    assert.equal((await provider.getRoute('users')).mode, 'legacy');
    assert.equal(await provider.health(), true);
  });

  it('sends a family on new to new, for every method and the slash variant, and leaves the others', async () => {
    const r = await set('users', 'new');
    assert.equal(r.percent, 100);
    assert.equal(await get('/api/users/1'), 'new');
    assert.equal(await get('/api/users/1/'), 'new');
    assert.equal(await get('/api/users', {}, 'POST'), 'new');
    assert.equal(await get('/api/users/me'), 'legacy', 'the more specific pattern belongs to "me"');
    assert.equal(await get('/api/orders/9'), 'legacy');
    assert.deepEqual(
      { mode: (await provider.getRoute('users')).mode, version: (await provider.getRoute('users')).version },
      { mode: 'new', version },
    );
  });

  it('returns a family to legacy', async () => {
    await set('users', 'legacy');
    assert.equal(await get('/api/users/1'), 'legacy');
  });

  it('proxies to https:// services, legacy and new, sending their Host and checking their certificates', async () => {
    await set('vault', 'new');
    assert.equal(await get('/api/vault/1'), 'vault');
    assert.equal(await get('/api/vault/2', {}, 'POST'), 'vault');
    assert.deepEqual(vault.seen, [
      `GET /api/vault/1 ${new URL(vault.url).host}`,
      `POST /api/vault/2 ${new URL(vault.url).host}`,
    ]);
    assert.equal(await get('/api/archive/1?x=1'), 'archive', "the family's own legacy, over https");
    assert.deepEqual(archive.seen, [`GET /api/archive/1?x=1 ${new URL(archive.url).host}`]);
    // new's certificate is not one the CA file trusts: nginx refuses it, so a safe request falls
    // back to legacy and any other method gets nginx's 502; the service never sees a request.
    await set('forged', 'new');
    assert.equal(await get('/api/forged/1'), 'legacy');
    assert.equal(await get('/api/forged/2', {}, 'POST'), 'status 502');
    assert.deepEqual(forged.seen, []);
    await set('vault', 'legacy');
    await set('forged', 'legacy');
  });

  it('splits a canary at 30% on the sticky header, each key staying on its side', async () => {
    await set('orders', 'canary', 30);
    const sides = new Map<string, string>();
    for (let i = 0; i < 1000; i++) sides.set(`u${i}`, await get(`/api/orders/${i}`, { 'x-user': `u${i}` }));
    const onNew = [...sides.values()].filter((s) => s === 'new').length;
    assert.ok(onNew > 250 && onNew < 350, `${onNew} of 1000 keys on new`);
    for (let i = 0; i < 200; i++) {
      assert.equal(await get(`/api/orders/x${i}`, { 'x-user': `u${i}` }), sides.get(`u${i}`), `key u${i} moved`);
    }
    // The agent counts the canary's users by bucket, as the router does (1,000 users in 10,000
    // buckets share a few), and the sticky key itself never reaches the log file.
    const users = await waitFor('the canary users in the figures', async () => {
      const n = (await provider.figures('orders')).stats.canary.distinctUsers;
      return n >= 900 && n;
    });
    assert.ok(users <= 1000, `${users} users`);
    const log = await readFile(dataPlane.accessLog, 'utf8');
    assert.match(log, /"user_bucket":"\d{1,2}\.\d{1,2}"/);
    assert.doesNotMatch(log, /"u\d+"/);
  });

  it('splits a canary on the client address that a trusted proxy forwards', async () => {
    await set('geo', 'canary', 50);
    const sides = new Map<string, string>();
    for (let i = 0; i < 400; i++) {
      const ip = `10.1.${i >> 8}.${i & 255}`;
      sides.set(ip, await get('/api/geo/x', { 'x-forwarded-for': `${ip}, 127.0.0.1` }));
    }
    const onNew = [...sides.values()].filter((s) => s === 'new').length;
    assert.ok(onNew > 160 && onNew < 240, `${onNew} of 400 addresses on new`);
    for (const [ip, side] of [...sides].slice(0, 50)) {
      assert.equal(await get('/api/geo/y', { 'x-forwarded-for': ip }), side, `address ${ip} moved`);
    }
  });

  it('falls back to legacy for a safe request when new is down; an unsafe one is not replayed', async () => {
    await set('reports', 'new');
    assert.equal(await get('/api/reports/1'), 'legacy');
    assert.equal(await get('/api/reports/1', {}, 'POST'), 'status 502');
  });

  it("waits for new only as long as the family's guard.timeout: a safe request then falls back, another gets 504", async () => {
    await set('slow', 'new');
    const include = await readFile(dataPlane.includeFile, 'utf8');
    assert.match(include, /location @phx_new_phx_u\d+_300ms \{\n {4}proxy_read_timeout 300ms;\n/);
    const seen = legacy.seen.length;
    let t0 = Date.now();
    assert.equal(await get('/api/slow/1?x=1'), 'legacy');
    assert.ok(Date.now() - t0 < 1200, `fell back after ${Date.now() - t0} ms, before new's 1.5 s answer`);
    assert.deepEqual(
      legacy.seen.slice(seen).map((r) => `${r.method} ${r.url}`),
      ['GET /api/slow/1?x=1'],
      "the client's own URI, query included",
    );
    t0 = Date.now();
    assert.equal(await get('/api/slow/1', {}, 'POST'), 'status 504');
    assert.ok(Date.now() - t0 < 1200, `504 after ${Date.now() - t0} ms`);
    // A family with the default guard.timeout (5 s) gets new's answer, with the client's URI.
    await set('orders', 'new');
    assert.equal(await get('/api/orders/7?a=b&c=%20d'), 'new');
    assert.equal(fresh.seen.at(-1)?.url, '/api/orders/7?a=b&c=%20d');
    await set('slow', 'legacy');
    await set('orders', 'legacy');
  });

  it("gives legacy router.legacyTimeout, not new's guard.timeout, when a safe request falls back, and when routed to it", async () => {
    await set('lagging', 'new');
    await provider.resetFigures('lagging');
    // new times out at 300 ms; legacy answers 700 ms later, within legacyTimeout (1.2 s).
    let t0 = Date.now();
    assert.equal(await get('/api/lagging/1'), 'slow legacy');
    assert.ok(Date.now() - t0 >= 900, `answered after ${Date.now() - t0} ms`);
    // The guard still sees new's failure, and the fallback.
    const f = await waitFor('the fallback in the figures', async () => {
      const x = await provider.figures('lagging');
      return x.stats.fallbacks === 1 && x;
    });
    assert.deepEqual(
      [f.stats.backends.new.requests, f.stats.backends.new.failures, f.stats.backends.legacy.requests],
      [1, 1, 1],
    );
    // Legacy got the client's URI with its own Host.
    assert.deepEqual(laggardSeen, [`GET /api/lagging/1 ${new URL(laggard.url).host}`]);
    // An unsafe request is never sent to legacy: nginx's 504 once new's timeout is past.
    t0 = Date.now();
    assert.equal(await get('/api/lagging/2', {}, 'POST'), 'status 504');
    assert.ok(Date.now() - t0 < 1200, `504 after ${Date.now() - t0} ms`);
    assert.equal(laggardSeen.length, 1);
    // Past legacyTimeout, legacy's read times out too: 504 after about 300 + 1,200 ms, not 60 s.
    t0 = Date.now();
    assert.equal(await get('/api/lagging/3?delay=4000'), 'status 504');
    assert.ok(Date.now() - t0 < 3500, `504 after ${Date.now() - t0} ms`);
    await set('lagging', 'legacy');
    // Routed to legacy, the same limit: a slow legacy within it answers, one past it is nginx's
    // 504 after legacyTimeout, not after nginx's default 60 s.
    assert.equal(await get('/api/lagging/4'), 'slow legacy');
    t0 = Date.now();
    assert.equal(await get('/api/lagging/5?delay=4000'), 'status 504');
    assert.ok(Date.now() - t0 < 3000, `504 after ${Date.now() - t0} ms`);
  });

  it('mirrors shadow-sampled requests to the comparator while clients get legacy', async () => {
    await set('me', 'shadow', 0, 1);
    const before = comparator.seen.length;
    for (let i = 0; i < 20; i++) assert.equal(await get(`/api/users/me?i=${i}`), 'legacy');
    await waitFor('20 mirrors', () => comparator.seen.length - before >= 20);
    const last = comparator.seen.at(-1);
    assert.equal(last?.family, 'me');
    assert.match(last?.url ?? '', /^\/api\/users\/me\?i=\d+$/);
    // Requests of families not in shadow are not mirrored.
    const n = comparator.seen.length;
    await get('/api/users/1');
    await get('/elsewhere');
    assert.equal(comparator.seen.length, n);
  });

  it('samples shadow inside nginx at the route sample rate', async () => {
    await set('me', 'shadow', 0, 0.2);
    const before = comparator.seen.length;
    for (let i = 0; i < 500; i++) await get('/api/users/me');
    const mirrored = comparator.seen.length - before;
    assert.ok(mirrored > 60 && mirrored < 140, `${mirrored} of 500 mirrored at 20%`);
  });

  it('refuses a stale version and accepts the same change twice', async () => {
    const cur = await provider.getRoute('orders');
    await assert.rejects(provider.setRoute('orders', { mode: 'new', percent: 100, version: cur.version - 1 }), (err) =>
      hasCode(err, 'PHX_ERR_ROUTE_STALE_VERSION'),
    );
    await assert.rejects(provider.setRoute('orders', { mode: 'new', percent: 100, version: cur.version }), (err) =>
      hasCode(err, 'PHX_ERR_ROUTE_STALE_VERSION'),
    );
    const same = await provider.setRoute('orders', {
      mode: cur.mode,
      percent: cur.percent,
      version: cur.version,
      sampleRate: cur.sampleRate,
    });
    assert.equal(same.version, cur.version);
  });

  it('keeps the old file and keeps serving when nginx refuses the configuration', async () => {
    const before = await readFile(nginx.includeFile, 'utf8');
    const broken = await createNginxProvider({
      legacy: legacy.url,
      families: [...families.slice(0, 3), { ...families[3]!, legacy: 'http://no-such-host.invalid:8000' }],
      dataPlane,
    });
    await assert.rejects(broken.setRoute('reports', { mode: 'legacy', percent: 0, version: 10_000 }), (err) => {
      assert.ok(hasCode(err, 'PHX_ERR_NGINX_CONFIG_INVALID'), String(err));
      assert.match((err as Error).message, /no-such-host\.invalid/);
      return true;
    });
    assert.equal(await readFile(nginx.includeFile, 'utf8'), before);
    assert.equal(await get('/api/users/1'), 'legacy');
    assert.equal((await broken.getRoute('reports')).version < 10_000, true);
  });

  it('names the package when nginx is missing', async () => {
    const missing = await createNginxProvider({
      legacy: legacy.url,
      families,
      dataPlane: { ...dataPlane, nginxBinary: '/nonexistent/nginx' },
    });
    await assert.rejects(missing.setRoute('users', { mode: 'new', percent: 100, version: 20_000 }), (err) => {
      assert.ok(hasCode(err, 'PHX_ERR_NGINX_MISSING'), String(err));
      assert.match((err as Error).message, /apt-get install nginx/);
      return true;
    });
  });

  it('picks up the applied routes from the include file after a restart of the control plane', async () => {
    const again = await createNginxProvider({ legacy: legacy.url, families, dataPlane });
    const cur = await provider.getRoute('orders');
    assert.ok(cur.version > 1);
    const r = await again.setRoute('orders', { mode: 'legacy', percent: 0, version: cur.version - 1 }).catch((e) => e);
    assert.ok(hasCode(r, 'PHX_ERR_ROUTE_STALE_VERSION'), String(r));
  });

  it("keeps the client's X-Request-Id and gives every other request an id of its own", async () => {
    await set('users', 'new');
    await get('/api/users/7', { 'x-request-id': 'client-chosen-7' });
    for (let i = 0; i < 5; i++) await get(`/api/users/id-${i}`);
    const seen = (url: string): string | undefined => fresh.seen.filter((r) => r.url === url).at(-1)?.requestId;
    assert.equal(seen('/api/users/7'), 'client-chosen-7');
    const made = Array.from({ length: 5 }, (_, i) => seen(`/api/users/id-${i}`));
    for (const id of made) assert.match(id ?? '', /^\d+-\d+\.\d{3}-\d+-\d+$/);
    assert.equal(new Set(made).size, 5, `ids repeat: ${made.join(', ')}`);
    await set('users', 'legacy');
  });

  it('loses no client request while the route changes 10 times under load', async () => {
    let ok = 0;
    let retried = 0;
    const failures: string[] = [];
    let running = true;
    const load = new Pool(listenUrl, { connections: 8 });
    // A GET sent on a keep-alive connection the old worker closes as idle gets no answer at all;
    // like browsers and HTTP libraries, the client sends it again (RFC 9112 §9.3.1). Anything
    // that fails after nginx took the request, or fails twice, is a failed client request.
    const once = async (path: string, key: string): Promise<string> => {
      for (let attempt = 0; ; attempt++) {
        let res;
        try {
          res = await load.request({ path, method: 'GET', headers: { 'x-user': key } });
        } catch (err) {
          // Closed (FIN), or reset because nginx closed it with the request unread (RST).
          const code = (err as { code?: string }).code;
          if (attempt === 0 && (code === 'UND_ERR_SOCKET' || code === 'ECONNRESET')) {
            retried++;
            continue;
          }
          throw err;
        }
        const text = await res.body.text();
        return res.statusCode === 200 ? (JSON.parse(text) as { side: string }).side : `status ${res.statusCode}`;
      }
    };
    const worker = async (w: number): Promise<void> => {
      for (let i = 0; running; i++) {
        try {
          const side = await once(`/api/users/${w}-${i}`, `w${w}-${i}`);
          if (side === 'legacy' || side === 'new') ok++;
          else failures.push(side);
        } catch (err) {
          failures.push(String(err));
        }
      }
    };
    const workers = Array.from({ length: 8 }, (_, w) => worker(w));
    const modes = ['new', 'canary', 'legacy', 'canary', 'new'] as const;
    for (let i = 0; i < 10; i++) {
      const mode = modes[i % modes.length]!;
      await set('users', mode, mode === 'canary' ? 10 + i * 5 : 0);
      // Load runs under each route before the next reload.
      const from = ok + failures.length;
      await waitFor(`20 requests answered on ${mode}`, () => ok + failures.length >= from + 20);
    }
    running = false;
    await Promise.all(workers);
    await load.close();
    console.log(`# ${ok} requests during 10 reloads, ${failures.length} failed, ${retried} resent after an idle close`);
    assert.deepEqual(failures, [], `${failures.length} failed of ${ok + failures.length}`);
    assert.ok(ok > 100, `only ${ok} requests during the reloads`);
    // A resent request had not reached an upstream the first time: no load path was served twice.
    const served = [...legacy.seen, ...fresh.seen].map((r) => r.url).filter((u) => /^\/api\/users\/\d+-\d+$/.test(u));
    assert.equal(new Set(served).size, served.length, 'a resent request had already been served');
    assert.equal(served.length, ok);
  });
});
