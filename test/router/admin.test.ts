import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { request } from 'undici';
import { hasCode } from '../../src/lib/errors.js';
import { createRouterAdminClient } from '../../src/router/client.js';
import { startRouter } from '../../src/router/server.js';
import { json, planFor, router, upstream, type TestUpstream } from './support.js';

let legacy: TestUpstream;
let candidate: TestUpstream;

before(async () => {
  legacy = await upstream((_req, res) => json(res, 200, { from: 'legacy' }));
  candidate = await upstream((_req, res) => json(res, 200, { from: 'new' }));
});
after(async () => {
  await legacy?.close();
  await candidate?.close();
});

async function put(
  url: string,
  body: string,
  token?: string,
): Promise<{ status: number; body: { error?: { code: string; message: string } } }> {
  const res = await request(`${url}/v1/families/users/route`, {
    method: 'PUT',
    body,
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
  });
  return { status: res.statusCode, body: (await res.body.json()) as { error?: { code: string; message: string } } };
}

describe('admin API', () => {
  test('no token configured: refuses to start unless insecure on loopback', async () => {
    const { plan, dir } = await planFor(legacy.url, candidate.url);
    const saved = process.env.PHOENIX_ADMIN_TOKEN;
    delete process.env.PHOENIX_ADMIN_TOKEN;
    try {
      await assert.rejects(
        startRouter({ plan, port: 0, adminPort: 0, stateFile: path.join(dir, 's.json') }),
        (e: unknown) => hasCode(e, 'PHX_ERR_ADMIN_TOKEN_MISSING'),
      );
      await assert.rejects(
        startRouter({
          plan,
          port: 0,
          adminPort: 0,
          adminHost: '0.0.0.0',
          insecureAdmin: true,
          stateFile: path.join(dir, 's.json'),
        }),
        (e: unknown) => hasCode(e, 'PHX_ERR_ADMIN_INSECURE_NOT_LOOPBACK'),
      );
      const r = await startRouter({
        plan,
        port: 0,
        adminPort: 0,
        insecureAdmin: true,
        stateFile: path.join(dir, 's.json'),
      });
      await r.close();
    } finally {
      if (saved !== undefined) process.env.PHOENIX_ADMIN_TOKEN = saved;
    }
  });

  test('missing or wrong token → 401; health and metrics stay open', async () => {
    const { plan, dir } = await planFor(legacy.url, candidate.url);
    const r = await router(plan, dir);
    try {
      for (const headers of [{}, { authorization: 'Bearer nope' }, { authorization: 'test-token' }]) {
        const res = await request(`${r.adminUrl}/v1/families/users/route`, { headers });
        assert.equal(res.statusCode, 401);
        assert.equal(
          ((await res.body.json()) as { error: { code: string } }).error.code,
          'PHX_ERR_ROUTER_UNAUTHORIZED',
        );
      }
      const wrong = createRouterAdminClient({ baseUrl: r.adminUrl, token: 'wrong' });
      await assert.rejects(wrong.getRoute('users'), (e: unknown) => hasCode(e, 'PHX_ERR_ROUTER_UNAUTHORIZED'));
      await wrong.close();
      assert.equal((await request(`${r.adminUrl}/healthz`)).statusCode, 200);
      assert.equal((await request(`${r.adminUrl}/metrics`)).statusCode, 200);
    } finally {
      await r.close();
    }
  });

  test('setting a route is idempotent by version; a stale version is refused', async () => {
    const { plan, dir } = await planFor(legacy.url, candidate.url);
    const r = await router(plan, dir);
    const a = createRouterAdminClient({ baseUrl: r.adminUrl, token: 'test-token' });
    try {
      const first = await a.setRoute('users', { mode: 'canary', percent: 25, version: 10, updatedBy: 'wf' });
      assert.deepEqual([first.mode, first.percent, first.version, first.sampleRate], ['canary', 25, 10, 1]);
      const again = await a.setRoute('users', { mode: 'canary', percent: 25, version: 10 });
      assert.equal(again.updatedAt, first.updatedAt, 'a replay changes nothing');
      await assert.rejects(a.setRoute('users', { mode: 'canary', percent: 50, version: 10 }), (e: unknown) =>
        hasCode(e, 'PHX_ERR_ROUTE_STALE_VERSION'),
      );
      await assert.rejects(
        a.setRoute('users', { mode: 'legacy', percent: 0, version: 9 }),
        (e: unknown) => hasCode(e, 'PHX_ERR_ROUTE_STALE_VERSION') && /version 10/.test((e as Error).message),
      );
      assert.equal(
        (await a.setRoute('users', { mode: 'new', percent: 3, version: 11 })).percent,
        100,
        'new means 100%',
      );
      await assert.rejects(a.getRoute('nope'), (e: unknown) => hasCode(e, 'PHX_ERR_ADMIN_UNKNOWN_FAMILY'));
    } finally {
      await a.close();
      await r.close();
    }
  });

  test('a 404 from something that is not a Phoenix admin API is not an unknown family', async () => {
    const other = createServer((_req, res) => res.writeHead(404).end('Not Found'));
    await new Promise<void>((ok) => other.listen(0, '127.0.0.1', ok));
    const a = createRouterAdminClient({ baseUrl: `http://127.0.0.1:${(other.address() as AddressInfo).port}` });
    try {
      await assert.rejects(
        a.getRoute('users'),
        (e: unknown) =>
          hasCode(e, 'PHX_ERR_ADMIN_NOT_FOUND') &&
          /is http:\/\/127\.0\.0\.1:\d+ a Phoenix admin API/.test((e as Error).message),
      );
    } finally {
      await a.close();
      await new Promise((ok) => other.close(ok));
    }
  });

  test('bad bodies → 400 naming the field; oversized → 413', async () => {
    const { plan, dir } = await planFor(legacy.url, candidate.url);
    const r = await router(plan, dir);
    try {
      const cases: [string, RegExp][] = [
        ['not json', /not JSON/],
        ['{"mode":"sideways","percent":1,"version":1}', /mode: expected one of/],
        ['{"mode":"canary","percent":150,"version":1}', /percent: expected a number between 0 and 100/],
        ['{"mode":"canary","percent":5,"version":1.5}', /version: expected a whole number/],
        ['{"mode":"canary","percent":5}', /version/],
        ['{"mode":"canary","percent":5,"version":1,"extra":true}', /extra/],
      ];
      for (const [body, message] of cases) {
        const res = await put(r.adminUrl, body, 'test-token');
        assert.equal(res.status, 400, body);
        assert.equal(res.body.error?.code, 'PHX_ERR_ADMIN_BAD_REQUEST');
        assert.match(res.body.error?.message ?? '', message);
      }
      const huge = await put(
        r.adminUrl,
        JSON.stringify({ mode: 'legacy', percent: 0, version: 1, updatedBy: 'x'.repeat(70_000) }),
        'test-token',
      );
      assert.equal(huge.status, 413);
    } finally {
      await r.close();
    }
  });

  test('routes and trips survive a restart; a corrupt state file starts every family on legacy and says so', async () => {
    const { plan, dir } = await planFor(legacy.url, candidate.url);
    const file = path.join(dir, 'state.json');
    let r = await router(plan, dir);
    let a = createRouterAdminClient({ baseUrl: r.adminUrl, token: 'test-token' });
    await a.setRoute('users', { mode: 'canary', percent: 25, version: 7 });
    await a.close();
    await r.close();
    r = await router(plan, dir);
    a = createRouterAdminClient({ baseUrl: r.adminUrl, token: 'test-token' });
    const restored = await a.getRoute('users');
    assert.deepEqual([restored.mode, restored.percent, restored.version], ['canary', 25, 7]);
    await a.close();
    await r.close();

    await writeFile(file, '{"version":1,"families":{"users":{"route":{"mode":"new"');
    r = await router(plan, dir);
    a = createRouterAdminClient({ baseUrl: r.adminUrl, token: 'test-token' });
    try {
      const route = await a.getRoute('users');
      assert.deepEqual([route.mode, route.percent], ['legacy', 0]);
      const metrics = await (await request(`${r.adminUrl}/metrics`)).body.text();
      assert.match(metrics, /^phoenix_state_file_corrupt 1$/m);
      assert.ok(
        (await readdir(dir)).some((f) => f.startsWith('state.json.corrupt-')),
        'the damaged file is kept aside',
      );
      const onDisk = JSON.parse(await readFile(file, 'utf8')) as { families: { users: { route: { mode: string } } } };
      await r.close();
      assert.equal(onDisk.families.users.route.mode, 'legacy');
    } finally {
      await a.close();
      await r.close();
    }
  });

  test('/metrics is Prometheus text with the families', async () => {
    const { plan, dir } = await planFor(legacy.url, candidate.url);
    const r = await router(plan, dir);
    try {
      await (await request(`${r.url}/api/users/1`)).body.dump();
      const res = await request(`${r.adminUrl}/metrics`);
      assert.match(String(res.headers['content-type']), /^text\/plain; version=0\.0\.4/);
      const text = await res.body.text();
      assert.match(text, /# TYPE phoenix_requests_total counter/);
      assert.match(text, /phoenix_requests_total\{family="users",backend="legacy",class="2xx"\} 1/);
      assert.match(text, /phoenix_guard_tripped\{family="users"\} 0/);
      assert.match(text, /phoenix_upstream_latency_seconds\{family="users",backend="legacy",quantile="0.95"\} [\d.]+/);
      for (const line of text.trim().split('\n'))
        assert.match(line, /^(# (HELP|TYPE) \w+ .+|\w+(\{[^}]*\})? -?[\d.e+-]+)$/, line);
    } finally {
      await r.close();
    }
  });
});
