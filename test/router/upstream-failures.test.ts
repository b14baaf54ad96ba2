import { after, before, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Pool, request } from 'undici';
import { createRouterAdminClient, type RouterAdminClient } from '../../src/router/client.js';
import type { RunningRouter } from '../../src/router/server.js';
import { answerFailure, classifyUpstreamError } from '../../src/router/upstream-errors.js';
import { readMetrics } from '../helpers/metrics.js';
import { closeAll, echoRouter, json, planFor, router, upstream, type Handler, type TestUpstream } from './support.js';
import { fakeUpstream } from '../helpers/fake-upstream.js';

interface ErrorBody {
  error: { code: string; message: string };
}

/** A promise with its resolve function outside. */
function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

const failures = (family: string, backend: string, status: number, code: string): string =>
  `phoenix_upstream_failures_total{family="${family}",backend="${backend}",status="${status}",code="${code}"}`;

describe('an upstream that cannot be reached', () => {
  let legacy: TestUpstream;
  let r: RunningRouter;
  let admin: RouterAdminClient;

  before(async () => {
    legacy = await upstream((req, res) => json(res, 200, { from: 'legacy', url: req.url }));
    // Nothing listens on port 1: connections are refused.
    const { plan, dir } = await planFor(legacy.url, 'http://127.0.0.1:1');
    r = await router(plan, dir);
    admin = createRouterAdminClient({ baseUrl: r.adminUrl, token: 'test-token' });
    await admin.setRoute('users', { mode: 'new', percent: 100, version: 1 });
  });
  after(() => closeAll(admin, r, legacy));

  test('an unsafe request to a new backend refusing connections gets 502 PHX_ERR_UPSTREAM_UNAVAILABLE, counted by status and code', async () => {
    const res = await request(`${r.url}/api/users`, { method: 'POST', body: '{}' });
    assert.equal(res.statusCode, 502);
    assert.ok(res.headers['x-request-id'], 'the error answer carries the request id');
    const body = (await res.body.json()) as ErrorBody;
    assert.equal(body.error.code, 'PHX_ERR_UPSTREAM_UNAVAILABLE');
    assert.match(body.error.message, /the new upstream did not answer \(ECONNREFUSED\)/);
    assert.equal(legacy.seen.length, 0, 'an unsafe request is never replayed on legacy');
    const m = await readMetrics(r.adminUrl);
    assert.equal(m.get(failures('users', 'new', 502, 'PHX_ERR_UPSTREAM_UNAVAILABLE')), 1);
    assert.equal(m.get(failures('users', 'new', 504, 'PHX_ERR_UPSTREAM_TIMEOUT')), 0);
  });
});

describe('an upstream that answers too slowly or breaks off', () => {
  let legacy: TestUpstream;
  let candidate: TestUpstream;
  let r: RunningRouter;
  let admin: RouterAdminClient;
  let version = 0;
  /** Headers and the first bytes of a chunked answer, then the connection is cut. */
  const breaksMidBody: Handler = (_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.write('{"partial": [1, 2,', () => res.socket?.destroy());
  };

  before(async () => {
    ({ legacy, candidate, r, admin } = await echoRouter());
  });
  beforeEach(async () => {
    await admin.setRoute('users', { mode: 'legacy', percent: 0, version: ++version });
    await admin.clearGuard('users');
  });
  after(() => closeAll(admin, r, legacy, candidate));

  test('an unsafe request to a new backend slower than guard.timeout gets 504 PHX_ERR_UPSTREAM_TIMEOUT', async () => {
    // Never answers; the plan's guard.timeout is 500 ms.
    candidate.handler = () => {};
    await admin.setRoute('users', { mode: 'new', percent: 100, version: ++version });
    const t0 = Date.now();
    const res = await request(`${r.url}/api/users`, { method: 'POST', body: '{}' });
    assert.equal(res.statusCode, 504);
    const body = (await res.body.json()) as ErrorBody;
    assert.equal(body.error.code, 'PHX_ERR_UPSTREAM_TIMEOUT');
    assert.match(body.error.message, /did not answer in time \(UND_ERR_HEADERS_TIMEOUT\)/);
    assert.ok(Date.now() - t0 < 5000, 'answered once the timeout passed, not when the upstream gave up');
    const m = await readMetrics(r.adminUrl);
    assert.equal(m.get(failures('users', 'new', 504, 'PHX_ERR_UPSTREAM_TIMEOUT')), 1);
  });

  for (const mode of ['legacy', 'new'] as const) {
    test(`a ${mode} answer that breaks mid-body reaches the client as an aborted connection, never a complete 200`, async () => {
      (mode === 'legacy' ? legacy : candidate).handler = breaksMidBody;
      if (mode === 'new') await admin.setRoute('users', { mode: 'new', percent: 100, version: ++version });
      const res = await request(`${r.url}/api/users/1`);
      assert.equal(res.statusCode, 200, 'the headers had gone out before the upstream broke');
      await assert.rejects(res.body.text(), 'the body ends with the connection, not with a clean end');
      if (mode === 'new') {
        const m = await readMetrics(r.adminUrl);
        assert.equal(m.get('phoenix_new_aborted_total{family="users"}'), 1);
      }
    });
  }
});

describe('adapted answers larger than router.maxAdaptBytes', () => {
  const limit = 4096;
  let legacy: TestUpstream;
  let candidate: TestUpstream;
  let r: RunningRouter;
  let admin: RouterAdminClient;
  const rows = (n: number): string =>
    JSON.stringify({ data: { rows: Array.from({ length: n }, (_, i) => `row ${i}`) } });
  /** A request new holds without answering: when it arrived, and when its connection closed. */
  const held = { arrived: deferred(), closed: deferred() };

  before(async () => {
    legacy = await upstream((req, res) => json(res, 200, { from: 'legacy', url: req.url }));
    candidate = await upstream((req, res) => {
      if (req.url?.includes('hold')) {
        res.on('close', () => held.closed.resolve());
        return held.arrived.resolve();
      }
      const text = rows(req.url?.includes('small') ? 3 : 2000);
      if (req.method === 'POST') {
        // Chunked: the size is only known while reading.
        res.writeHead(200, { 'content-type': 'application/json' });
        return void res.end(text);
      }
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
      res.end(text);
    });
    const { plan, dir } = await planFor(legacy.url, candidate.url, {
      adapters: [
        { route: 'GET /api/users/export', ops: [{ op: 'unwrap', path: '$.data' }] },
        { route: 'POST /api/users/export', ops: [{ op: 'unwrap', path: '$.data' }] },
      ],
    });
    plan.router.maxAdaptBytes = limit;
    r = await router(plan, dir);
    admin = createRouterAdminClient({ baseUrl: r.adminUrl, token: 'test-token' });
    await admin.setRoute('users', { mode: 'new', percent: 100, version: 1 });
  });
  after(() => closeAll(admin, r, legacy, candidate));

  test('an answer within the limit is adapted', async () => {
    const res = await request(`${r.url}/api/users/export?small=1`);
    assert.deepEqual(await res.body.json(), { rows: ['row 0', 'row 1', 'row 2'] });
  });

  test('an unsafe request gets 502 PHX_ERR_ADAPTER_BODY_TOO_LARGE naming the setting, never the unadapted bytes', async () => {
    legacy.seen.length = 0;
    const res = await request(`${r.url}/api/users/export`, { method: 'POST', body: '{}' });
    assert.equal(res.statusCode, 502);
    const body = (await res.body.json()) as ErrorBody;
    assert.equal(body.error.code, 'PHX_ERR_ADAPTER_BODY_TOO_LARGE');
    assert.match(body.error.message, /router\.maxAdaptBytes/);
    assert.equal(legacy.seen.length, 0);
  });

  test('a safe request is answered by legacy, counted as a fallback and by code', async () => {
    const fallbacks = (await admin.getStats('users')).stats.fallbacks;
    const tooLarge = failures('users', 'new', 502, 'PHX_ERR_ADAPTER_BODY_TOO_LARGE');
    const counted = (await readMetrics(r.adminUrl)).get(tooLarge)!;
    const res = await request(`${r.url}/api/users/export`);
    assert.equal(res.statusCode, 200);
    assert.deepEqual(await res.body.json(), { from: 'legacy', url: '/api/users/export' });
    assert.equal((await admin.getStats('users')).stats.fallbacks, fallbacks + 1);
    assert.equal((await readMetrics(r.adminUrl)).get(tooLarge), counted + 1);
  });

  test('a client that hangs up while new is answering aborts the request to new, not counted as new failing', async () => {
    const before = (await admin.getStats('users')).stats.backends.new;
    const hangup = new AbortController();
    const pending = request(`${r.url}/api/users/export?hold=1`, { signal: hangup.signal }).then(
      () => 'answered',
      () => 'hung up',
    );
    await held.arrived.promise;
    hangup.abort();
    assert.equal(await pending, 'hung up');
    await held.closed.promise;
    const after = (await admin.getStats('users')).stats.backends.new;
    assert.equal(after.failures, before.failures, 'the client leaving is not a failure of new');
    assert.equal(after.requests, before.requests);
  });
});

describe('a legacy that does not answer', () => {
  let legacy: TestUpstream;
  let r: RunningRouter;
  let admin: RouterAdminClient;

  before(async () => {
    legacy = await upstream(() => {});
    const { plan, dir } = await planFor(legacy.url, 'http://127.0.0.1:1');
    plan.router.legacyTimeout = 300;
    r = await router(plan, dir);
    admin = createRouterAdminClient({ baseUrl: r.adminUrl, token: 'test-token' });
  });
  after(() => closeAll(admin, r, legacy));

  test('gets 504 PHX_ERR_UPSTREAM_TIMEOUT after router.legacyTimeout, counted for legacy', async () => {
    const t0 = Date.now();
    const res = await request(`${r.url}/api/users`);
    assert.equal(res.statusCode, 504);
    assert.equal(((await res.body.json()) as ErrorBody).error.code, 'PHX_ERR_UPSTREAM_TIMEOUT');
    assert.ok(Date.now() - t0 < 5000, 'the client is answered once the timeout passes, not when legacy gives up');
    const m = await readMetrics(r.adminUrl);
    assert.equal(m.get(failures('users', 'legacy', 504, 'PHX_ERR_UPSTREAM_TIMEOUT')), 1);
  });
});

describe('failure classification', () => {
  let silent: TestUpstream;
  before(async () => {
    silent = await upstream(() => {});
  });
  after(() => closeAll(silent));

  const failureOf = (p: Promise<unknown>): Promise<Error> =>
    p.then(
      () => assert.fail('the request should have failed'),
      (err: Error) => err,
    );

  test('undici errors map to unreachable, timeout and closed', async () => {
    assert.equal(classifyUpstreamError(await failureOf(request('http://127.0.0.1:1/'))), 'unreachable');
    assert.equal(classifyUpstreamError(await failureOf(request(`${silent.url}/`, { headersTimeout: 100 }))), 'timeout');
    const pool = new Pool(silent.url);
    await pool.close();
    assert.equal(classifyUpstreamError(await failureOf(pool.request({ path: '/', method: 'GET' }))), 'closed');
  });

  test('a closed upstream is answered 503 with Retry-After in the router error shape', async () => {
    const server = await fakeUpstream((_req, res) =>
      answerFailure(res, 'req-1', 'legacy', 'closed', Object.assign(new Error('closed'), { code: 'UND_ERR_CLOSED' })),
    );
    try {
      const res = await request(`${server.url}/`);
      assert.equal(res.statusCode, 503);
      assert.equal(res.headers['retry-after'], '1');
      assert.equal(res.headers['x-request-id'], 'req-1');
      const body = (await res.body.json()) as ErrorBody;
      assert.equal(body.error.code, 'PHX_ERR_UPSTREAM_CLOSED');
      assert.match(body.error.message, /request id req-1$/);
    } finally {
      await server.close();
    }
  });
});
