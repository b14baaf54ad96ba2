/**
 * The router on a bad day: a new backend that cuts its answers off or stalls mid-body, and
 * clients that send targets or headers meant to confuse routing. Real upstreams, real router.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { request } from 'undici';
import type { RouterAdminClient } from '../../src/router/client.js';
import type { RunningRouter } from '../../src/router/server.js';
import { readMetrics } from '../helpers/metrics.js';
import { closeAll, echoRouter, json, type TestUpstream } from '../router/support.js';

let legacy: TestUpstream;
let candidate: TestUpstream;
let r: RunningRouter;
let admin: RouterAdminClient;
let version = 0;

before(async () => {
  ({ legacy, candidate, r, admin } = await echoRouter());
});
after(() => closeAll(admin, r, legacy, candidate));

async function setMode(mode: 'legacy' | 'new'): Promise<void> {
  await admin.setRoute('users', { mode, percent: mode === 'new' ? 100 : 0, version: ++version, sampleRate: 0 });
}

/** One GET through the router: its status, or "aborted" when the answer broke off. */
async function outcome(path: string): Promise<number | 'aborted'> {
  try {
    const res = await request(`${r.url}${path}`);
    await res.body.text();
    return res.statusCode;
  } catch {
    return 'aborted';
  }
}

async function metric(name: string): Promise<number> {
  return (await readMetrics(r.adminUrl)).get(name) ?? NaN;
}

describe('a new backend that breaks its answers', { concurrency: 1 }, () => {
  for (const [what, handler] of [
    [
      'truncated bodies (connection closed before content-length bytes)',
      (_req, res) => {
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': '1000' });
        res.write('{"from":"new","items":[');
        setImmediate(() => res.socket?.destroy());
      },
    ],
    [
      'a body that stalls past the guard timeout',
      (_req, res) => {
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': '1000' });
        res.write('{"from":"new"');
      },
    ],
  ] as const satisfies readonly (readonly [string, TestUpstream['handler']])[]) {
    test(`${what}: the guard trips after its consecutive-failure limit, no 5xx, then legacy answers`, async () => {
      candidate.handler = handler;
      await setMode('new');
      await admin.resetStats('users');
      const before = await metric('phoenix_new_aborted_total{family="users"}');
      const results: (number | 'aborted')[] = [];
      for (let i = 0; i < 8; i++) results.push(await outcome(`/api/users/${i}`));
      const guard = await admin.getGuard('users');
      assert.equal(guard.tripped, true, `guard state ${JSON.stringify(guard)}; results ${results.join(',')}`);
      assert.match(guard.reason ?? '', /consecutive failures/);
      assert.deepEqual(
        results.slice(0, 3),
        ['aborted', 'aborted', 'aborted'],
        'headers were already sent: these clients see a broken answer',
      );
      assert.deepEqual(results.slice(3), [200, 200, 200, 200, 200], 'after the trip legacy answers');
      assert.ok(!results.some((x) => typeof x === 'number' && x >= 500), 'no 5xx reached a client');
      assert.equal((await metric('phoenix_new_aborted_total{family="users"}')) - before, 3);
      candidate.handler = (req, res) => json(res, 200, { from: 'new', url: req.url });
      await admin.clearGuard('users');
      await setMode('legacy');
    });
  }

  test('a client that hangs up mid-answer does not count against the new backend', async () => {
    candidate.handler = (_req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain', 'content-length': String(1 << 20) });
      res.write('x'.repeat(1 << 16));
      setTimeout(() => res.end('x'.repeat((1 << 20) - (1 << 16))), 300);
    };
    await setMode('new');
    for (let i = 0; i < 4; i++) {
      const ac = new AbortController();
      const res = await request(`${r.url}/api/users/${i}`, { signal: ac.signal });
      ac.abort();
      await res.body.text().catch(() => undefined);
    }
    candidate.handler = (req, res) => json(res, 200, { from: 'new', url: req.url });
    assert.equal(await outcome('/api/users/9'), 200);
    assert.equal((await admin.getGuard('users')).tripped, false);
    await setMode('legacy');
  });
});

describe('targets and headers meant to confuse routing', () => {
  /** Writes raw bytes to the router and returns the status line of its answer. */
  function raw(bytes: string): Promise<string> {
    return new Promise((resolve, reject) => {
      const { port } = new URL(r.url);
      const socket = net.connect(Number(port), '127.0.0.1', () => socket.write(bytes));
      let got = '';
      socket.on('data', (d) => {
        got += d.toString('latin1');
        if (got.includes('\r\n')) {
          resolve(got.split('\r\n')[0]!);
          socket.destroy();
        }
      });
      socket.on('error', reject);
      socket.on('end', () => resolve(got.split('\r\n')[0] ?? ''));
    });
  }

  test('dot segments, encoded slashes, backslashes and absolute-form targets are refused with 400 before any upstream sees them', async () => {
    await setMode('new');
    legacy.seen.length = 0;
    candidate.seen.length = 0;
    const before = await metric('phoenix_refused_targets_total');
    const targets = [
      '/api/users/../admin',
      '/api/users/%2e%2e/admin',
      '/api/users/.%2E/admin',
      '/api/users/./1',
      '/api/users/1%2f..%2f..%2fadmin',
      '/api/users/1%5cadmin',
      '/api/users/1\\..\\admin',
      '/api/users/%zz',
      'http://evil.example/api/users/1',
    ];
    for (const t of targets) {
      const line = await raw(`GET ${t} HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n`);
      assert.match(line, /^HTTP\/1\.1 400/, `${t} → ${line}`);
    }
    assert.equal((await metric('phoenix_refused_targets_total')) - before, targets.length);
    assert.deepEqual([...legacy.seen, ...candidate.seen], [], 'nothing reached an upstream');
    // Dots inside segments and ordinary encodings are fine.
    const ok = await request(`${r.url}/api/users/v1.2/a%20b?next=../x`);
    assert.equal(ok.statusCode, 200);
    assert.equal(((await ok.body.json()) as { url: string }).url, '/api/users/v1.2/a%20b?next=../x');
    await setMode('legacy');
  });

  test('header injection and request smuggling attempts are refused by the HTTP parser; nothing is forwarded', async () => {
    legacy.seen.length = 0;
    const attempts = [
      'GET /api/users/1 HTTP/1.1\r\nhost: x\r\nx-a: b\nx-injected: 1\r\n\r\n',
      'GET /api/users/1 HTTP/1.1\r\nhost: x\r\nx-a: b\rx-injected: 1\r\n\r\n',
      'POST /api/users HTTP/1.1\r\nhost: x\r\ncontent-length: 4\r\ntransfer-encoding: chunked\r\n\r\n0\r\n\r\nGET /api/users/admin HTTP/1.1\r\nhost: x\r\n\r\n',
      'GET /api/users/1 HTTP/1.1\r\nhost: x\r\ncontent-length: 1\r\ncontent-length: 2\r\n\r\nab',
      'GET /api/users/1 HTTP/1.1\r\nho st: x\r\n\r\n',
    ];
    for (const a of attempts) {
      const line = await raw(a);
      assert.match(line, /^HTTP\/1\.1 400/, `${JSON.stringify(a)} → ${line}`);
    }
    assert.deepEqual(legacy.seen, []);
    assert.equal(await outcome('/api/users/1'), 200, 'the router still serves');
  });
});
