import { after, before, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { request } from 'undici';
import { createRouterAdminClient, type RouterAdminClient } from '../../src/router/client.js';
import { bucketOf, inCanary } from '../../src/router/decide.js';
import type { RunningRouter } from '../../src/router/server.js';
import { closeAll, json, planFor, router, upstream, type Handler, type TestUpstream } from './support.js';

const big = randomBytes(256 * 1024);

const legacyAnswers: Handler = (req, res) => {
  if (req.url === '/big') {
    res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': big.length });
    return void res.end(big);
  }
  json(
    res,
    200,
    { from: 'legacy', url: req.url },
    { 'x-backend': 'legacy', connection: 'keep-alive', 'keep-alive': 'timeout=5' },
  );
};
const newAnswers: Handler = (req, res) => json(res, 200, { from: 'new', url: req.url }, { 'x-backend': 'new' });

let legacy: TestUpstream;
let candidate: TestUpstream;
let r: RunningRouter;
let admin: RouterAdminClient;
let version = 0;

/**
 * Each describe gets its own upstreams and router, and every test starts from legacy mode with a
 * clear guard and the upstreams' usual answers, so one failing test cannot leave state behind.
 */
function ownRouter(): void {
  before(async () => {
    legacy = await upstream(legacyAnswers);
    candidate = await upstream(newAnswers);
    const { plan, dir } = await planFor(
      legacy.url,
      candidate.url,
      {},
      { name: 'user-admin', routes: ['/api/users/admin/*'], new: candidate.url },
    );
    r = await router(plan, dir);
    admin = createRouterAdminClient({ baseUrl: r.adminUrl, token: 'test-token' });
    version = 0;
  });
  beforeEach(async () => {
    legacy.handler = legacyAnswers;
    candidate.handler = newAnswers;
    legacy.seen.length = 0;
    await setMode('legacy');
    await admin.clearGuard('users');
    await admin.resetStats('users');
  });
  after(() => closeAll(admin, r, legacy, candidate));
}

async function setMode(mode: 'legacy' | 'shadow' | 'canary' | 'new', percent = 0, family = 'users'): Promise<void> {
  await admin.setRoute(family, { mode, percent, version: ++version, sampleRate: 0 });
}

async function get(
  path: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; headers: Record<string, unknown>; body: string }> {
  const res = await request(`${r.url}${path}`, { headers });
  return { status: res.statusCode, headers: res.headers, body: await res.body.text() };
}

describe('routing', () => {
  ownRouter();

  test('legacy mode and unmatched paths go to legacy; new mode goes to the new service', async () => {
    await setMode('legacy');
    assert.equal(JSON.parse((await get('/api/users/1')).body).from, 'legacy');
    await setMode('new');
    assert.equal(JSON.parse((await get('/api/users/1')).body).from, 'new');
    assert.equal(JSON.parse((await get('/api/orders/1')).body).from, 'legacy', 'no family matches /api/orders');
    assert.equal(JSON.parse((await get('/')).body).from, 'legacy');
  });

  test('the most specific pattern wins', async () => {
    await setMode('new', 0, 'users');
    await admin.setRoute('user-admin', { mode: 'legacy', percent: 0, version: 1 });
    assert.equal(
      JSON.parse((await get('/api/users/admin/x')).body).from,
      'legacy',
      '/api/users/admin/* is more specific than /api/users/*',
    );
    assert.equal(JSON.parse((await get('/api/users/7')).body).from, 'new');
  });

  test('hop-by-hop headers are dropped, forwarding headers added, the request id kept', async () => {
    const res = await get('/api/users/1?x=1', {
      'x-request-id': 'req-42',
      'x-custom': 'kept',
      'proxy-authorization': 'secret',
      te: 'trailers',
    });
    const seen = legacy.seen.at(-1)!;
    assert.equal(seen.url, '/api/users/1?x=1');
    assert.equal(seen.headers['x-request-id'], 'req-42');
    assert.equal(seen.headers['x-custom'], 'kept');
    assert.equal(seen.headers['proxy-authorization'], undefined);
    assert.equal(seen.headers['x-forwarded-for'], '127.0.0.1');
    assert.equal(seen.headers['x-forwarded-proto'], 'http');
    assert.match(String(seen.headers['x-forwarded-host']), /^127\.0\.0\.1:\d+$/);
    assert.equal(res.headers['x-backend'], 'legacy');
    assert.notEqual(
      res.headers['keep-alive'],
      'timeout=5',
      "the upstream's keep-alive header is not forwarded (the router's own connection has its own)",
    );
    const generated = await get('/api/users/2');
    assert.match(String(generated.headers['x-request-id']), /^[0-9a-f-]{36}$/);
  });

  test('request bodies stream through to the upstream', async () => {
    const body = randomBytes(100_000).toString('base64');
    const res = await request(`${r.url}/api/users`, {
      method: 'POST',
      body,
      headers: { 'content-type': 'text/plain' },
    });
    await res.body.dump();
    assert.equal(legacy.seen.at(-1)!.body, body);
  });

  test('a large response reaches the client byte for byte', async () => {
    const res = await request(`${r.url}/big`);
    assert.deepEqual(Buffer.from(await res.body.arrayBuffer()), big);
  });
});

describe('canary', () => {
  ownRouter();

  test('the split is within ±2% of the percent over 10,000 keys, and raising it never moves a user back', () => {
    for (const percent of [1, 5, 25, 50]) {
      let onNew = 0;
      for (let i = 0; i < 10_000; i++) if (inCanary(`user-${i}`, percent)) onNew++;
      assert.ok(Math.abs(onNew / 100 - percent) <= 2, `${percent}%: ${onNew / 100}% on new`);
    }
    for (let i = 0; i < 1000; i++) if (inCanary(`u${i}`, 5)) assert.ok(inCanary(`u${i}`, 25));
    assert.equal(bucketOf('same key'), bucketOf('same key'));
  });

  test('one user sees one backend across requests', async () => {
    await setMode('canary', 50);
    const seen = new Map<string, Set<string>>();
    for (let round = 0; round < 3; round++) {
      for (let u = 0; u < 40; u++) {
        const from = JSON.parse((await get('/api/users/1', { 'x-user': `user-${u}` })).body).from as string;
        if (!seen.has(`user-${u}`)) seen.set(`user-${u}`, new Set());
        seen.get(`user-${u}`)!.add(from);
      }
    }
    for (const [user, backends] of seen) assert.equal(backends.size, 1, `${user} saw ${[...backends].join(' and ')}`);
    const onNew = [...seen.values()].filter((b) => b.has('new')).length;
    assert.ok(onNew > 5 && onNew < 35, `${onNew}/40 users on new at 50%`);
  });
});

describe('fallback and guard', () => {
  ownRouter();

  test('a failing new backend: GETs fall back to legacy, the guard trips in well under a second and holds until cleared', async () => {
    candidate.handler = (_req, res) => json(res, 500, { error: 'boom' });
    await setMode('new');
    const first = Date.now();
    const answers = [];
    for (let i = 0; i < 5; i++) answers.push(await get('/api/users/1'));
    assert.deepEqual(
      answers.map((a) => [a.status, JSON.parse(a.body).from]),
      Array(5).fill([200, 'legacy']),
      'users never see the 5xx',
    );
    const guard = await admin.getGuard('users');
    assert.equal(guard.tripped, true);
    assert.match(guard.reason ?? '', /3 consecutive failures/);
    assert.ok((guard.tripMs ?? Infinity) < 1000, `trip took ${guard.tripMs} ms`);
    assert.ok(guard.trippedAt! - first < 1000);
    const stats = await admin.getStats('users');
    assert.equal(stats.stats.backends.new.requests, 3, 'after the trip nothing goes to new');
    assert.equal(stats.stats.fallbacks, 3);
    candidate.handler = (req, res) => json(res, 200, { from: 'new', url: req.url });
    assert.equal(JSON.parse((await get('/api/users/1')).body).from, 'legacy', 'still tripped');
    await admin.clearGuard('users');
    assert.equal(JSON.parse((await get('/api/users/1')).body).from, 'new');
  });

  test('connection refused and timeouts on the new backend fall back too', async () => {
    const { plan, dir } = await planFor(legacy.url, 'http://127.0.0.1:1');
    const r2 = await router(plan, dir);
    const a2 = createRouterAdminClient({ baseUrl: r2.adminUrl, token: 'test-token' });
    try {
      await a2.setRoute('users', { mode: 'new', percent: 100, version: 1 });
      const res = await request(`${r2.url}/api/users/3`);
      assert.equal(res.statusCode, 200);
      assert.equal(((await res.body.json()) as { from: string }).from, 'legacy');
      assert.equal((await a2.getStats('users')).stats.fallbacks, 1);
    } finally {
      await a2.close();
      await r2.close();
    }
    // Never answers: the router's 500 ms guard timeout ends the attempt.
    candidate.handler = () => {};
    await setMode('new');
    const t0 = Date.now();
    const slow = await get('/api/users/4');
    assert.equal(JSON.parse(slow.body).from, 'legacy');
    assert.ok(Date.now() - t0 < 1400, 'the 500 ms guard timeout applies');
  });

  test('an unsafe request that fails on new is not replayed on legacy', async () => {
    candidate.handler = (_req, res) => json(res, 503, { error: 'down' });
    await setMode('new');
    const res = await request(`${r.url}/api/users`, {
      method: 'POST',
      body: '{"name":"x"}',
      headers: { 'content-type': 'application/json' },
    });
    assert.equal(res.statusCode, 503);
    await res.body.dump();
    assert.equal(legacy.seen.length, 0);
  });

  test('legacy down answers 502 with a coded body', async () => {
    const { plan, dir } = await planFor('http://127.0.0.1:1', candidate.url);
    const r2 = await router(plan, dir);
    try {
      const res = await request(`${r2.url}/api/users/1`);
      assert.equal(res.statusCode, 502);
      const body = (await res.body.json()) as { error: { code: string } };
      assert.equal(body.error.code, 'PHX_ERR_UPSTREAM_UNAVAILABLE');
      const metrics = await (await request(`${r2.adminUrl}/metrics`)).body.text();
      assert.match(metrics, /phoenix_requests_total\{family="users",backend="legacy",class="error"\} 1/);
    } finally {
      await r2.close();
    }
  });
});
