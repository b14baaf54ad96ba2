import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { promisify } from 'node:util';
import { request } from 'undici';
import { createRouterAdminClient, type RouterAdminClient } from '../../src/router/client.js';
import type { RunningRouter } from '../../src/router/server.js';
import { readMetrics } from '../helpers/metrics.js';
import { waitFor } from '../helpers/wait.js';
import { closeAll, json, planFor, router, upstream, type Handler, type TestUpstream } from './support.js';

const execFileP = promisify(execFile);

let legacy: TestUpstream;
let candidate: TestUpstream;
let r: RunningRouter;
let admin: RouterAdminClient;
let version = 0;

const user = (id: number, zip: unknown) => ({
  id,
  name: `user ${id}`,
  address: { city: 'Lyon', zip },
  meta: { request_id: randomUUID() },
});
const payload = randomBytes(200_000).toString('hex');
/** A body of a size that varies with `n` (from 1 KB to 160 KB), whose `n` is off by one where `off(n)`. */
const sized = (n: number, off: (n: number) => boolean) => ({
  n: off(n) ? n + 1 : n,
  fill: payload.slice(0, ((n * 37) % 160) * 1000 + 1000),
});

/** Six records in a fresh random order on each call, less those `drop` names. */
const shuffled = (drop: number[] = []) =>
  [1, 2, 3, 4, 5, 6]
    .filter((id) => !drop.includes(id))
    .map((id) => ({ id, sort: Math.random() }))
    .sort((x, y) => x.sort - y.sort)
    .map(({ id }) => ({ id, name: `user ${id}` }));

const candidateHandler: Handler = (req, res) => {
  if (req.url === '/api/users/big') return json(res, 200, { payload });
  if (req.url?.startsWith('/api/users/shuffled')) return json(res, 200, { users: shuffled() });
  if (req.url?.startsWith('/api/users/stamp'))
    return json(res, 200, { id: 1, generated: Date.now() + Math.random(), ok: true });
  if (req.url?.startsWith('/api/users/products/')) return json(res, 200, { data: { id: 5, title: 'lamp' } });
  if (req.url?.startsWith('/api/users/sized/'))
    return json(
      res,
      200,
      sized(Number(req.url.slice(17)), (n) => n % 5 === 0),
    );
  json(res, req.method === 'POST' ? 201 : 200, user(7, '69001'));
};

before(async () => {
  legacy = await upstream((req, res) => {
    if (req.url === '/api/users/big') return json(res, 200, { payload });
    if (req.url?.startsWith('/api/users/shuffled')) return json(res, 200, { users: shuffled() });
    if (req.url?.startsWith('/api/users/stamp'))
      return json(res, 200, { id: 1, generated: Date.now() + Math.random(), ok: true });
    if (req.url?.startsWith('/api/users/products/')) return json(res, 200, { id: 5, name: 'lamp' });
    if (req.url?.startsWith('/api/users/sized/'))
      return json(
        res,
        200,
        sized(Number(req.url.slice(17)), () => false),
      );
    json(res, req.method === 'POST' ? 201 : 200, user(7, '69001'), { 'set-cookie': 'session=s3cret' });
  });
  candidate = await upstream(candidateHandler);
  const { plan, dir } = await planFor(
    legacy.url,
    candidate.url,
    {
      parity: { mirrorUnsafe: false },
      adapters: [
        {
          route: 'GET /api/users/products/:id',
          ops: [
            { op: 'unwrap', path: '$.data' },
            { op: 'rename', from: '$.title', to: '$.name' },
          ],
        },
      ],
    },
    { name: 'writes', routes: ['/api/writes/*'], new: candidate.url, parity: { mirrorUnsafe: true } },
  );
  // This process also sends the test traffic; its busy time is not the router's.
  plan.router.shadowMaxBusy = 1;
  r = await router(plan, dir);
  admin = createRouterAdminClient({ baseUrl: r.adminUrl, token: 'test-token' });
});
after(() => closeAll(admin, r, legacy, candidate));

async function shadow(family = 'users'): Promise<void> {
  await admin.setRoute(family, { mode: 'shadow', percent: 0, version: ++version, sampleRate: 1 });
  await admin.resetStats(family);
}

async function samples(family: string, n: number): Promise<void> {
  await waitFor(`${n} comparisons for ${family}`, async () => (await admin.getStats(family)).stats.parity.samples >= n);
}

const shadowBuffers = async (): Promise<number> =>
  (await readMetrics(r.adminUrl)).get('phoenix_shadow_buffers_allocated_total') ?? NaN;

describe('shadow', () => {
  test('the client gets legacy bytes unchanged while both answers are compared', async () => {
    await shadow();
    candidate.seen.length = 0;
    const direct = await request(`${legacy.url}/api/users/big`);
    const expected = Buffer.from(await direct.body.arrayBuffer());
    const res = await request(`${r.url}/api/users/big`);
    assert.deepEqual(Buffer.from(await res.body.arrayBuffer()), expected);
    await samples('users', 1);
    const s = (await admin.getStats('users')).stats;
    assert.equal(s.parity.matches, 1);
    assert.equal(candidate.seen.filter((x) => x.url === '/api/users/big').length, 1, 'mirrored once');
  });

  test('a changed type in a nested field is reported with its path; ignored noise is not', async () => {
    await shadow();
    candidate.handler = (req, res) => json(res, 200, user(7, 69001));
    for (let i = 0; i < 5; i++) await (await request(`${r.url}/api/users/7`)).body.dump();
    await samples('users', 5);
    const s = (await admin.getStats('users')).stats;
    assert.equal(s.parity.mismatches, 5);
    assert.equal(s.parity.byKind.type, 5);
    assert.deepEqual(
      s.parity.topPaths.map((p) => [p.path, p.kind, p.count, p.route]),
      [['$.address.zip', 'type', 5, 'GET /api/users/:id']],
    );
    assert.deepEqual(s.parity.topPaths[0]!.example, { legacy: '69001', candidate: 69001 });
    const mismatches = await admin.getMismatches('users', 2);
    assert.equal(mismatches.length, 2);
    assert.equal(mismatches[0]!.differences[0]!.path, '$.address.zip');
    assert.equal(mismatches[0]!.legacy.headers['set-cookie'], '[redacted]', 'secrets are masked in mismatch samples');
    candidate.handler = candidateHandler;
  });

  test('a field that differs between two legacy answers is learned as noise, reported, and not counted', async () => {
    await shadow();
    for (let i = 0; i < 12; i++) await (await request(`${r.url}/api/users/stamp?i=${i}`)).body.dump();
    await samples('users', 12);
    const s = (await admin.getStats('users')).stats;
    const noise = await admin.getNoise('users');
    assert.deepEqual(
      noise.routes['GET /api/users/stamp']?.map((p) => p.path),
      ['$.generated'],
    );
    assert.ok(s.parity.noiseIgnored >= 11, `noise ignored in ${s.parity.noiseIgnored} comparisons`);
    assert.ok(
      s.parity.mismatches <= 1,
      `only a comparison made before the first lesson may count (${s.parity.mismatches})`,
    );
  });

  test('a list legacy answers in a random order is compared as a multiset: a record new drops still counts', async () => {
    await shadow();
    for (let i = 0; i < 12; i++) await (await request(`${r.url}/api/users/shuffled?i=${i}`)).body.dump();
    await samples('users', 12);
    const noise = await admin.getNoise('users');
    assert.deepEqual(
      noise.routes['GET /api/users/shuffled']?.map((p) => [p.path, p.orderOnly]),
      [['$.users', true]],
    );
    const before = (await admin.getStats('users')).stats.parity;
    assert.ok(
      before.mismatches <= 1,
      `only a comparison made before the first lesson may count (${before.mismatches})`,
    );
    await admin.resetStats('users');
    candidate.handler = (req, res, ...rest) =>
      req.url?.startsWith('/api/users/shuffled')
        ? json(res, 200, { users: shuffled([4]) })
        : candidateHandler(req, res, ...rest);
    for (let i = 0; i < 6; i++) await (await request(`${r.url}/api/users/shuffled?j=${i}`)).body.dump();
    await samples('users', 6);
    assert.equal((await admin.getStats('users')).stats.parity.mismatches, 6);
    const dropped = (await admin.getMismatches('users', 1))[0]!.differences;
    assert.deepEqual(
      dropped.map((d) => [d.kind, d.legacy]),
      [['missing', { id: 4, name: 'user 4' }]],
    );
    candidate.handler = candidateHandler;
  });

  test('unsafe methods are not mirrored unless the family allows it, and then carry the shadow header', async () => {
    await shadow('users');
    await shadow('writes');
    candidate.seen.length = 0;
    await (
      await request(`${r.url}/api/users`, {
        method: 'POST',
        body: '{"a":1}',
        headers: { 'content-type': 'application/json' },
      })
    ).body.dump();
    await (
      await request(`${r.url}/api/writes/1`, {
        method: 'PUT',
        body: '{"b":2}',
        headers: { 'content-type': 'application/json', authorization: 'Bearer t0k3n' },
      })
    ).body.dump();
    await samples('writes', 1);
    assert.equal((await admin.getStats('users')).stats.shadow.skippedUnsafe, 1);
    assert.deepEqual(
      candidate.seen.map((x) => [x.method, x.url, x.headers['x-phoenix-shadow'], x.body]),
      [['PUT', '/api/writes/1', '1', '{"b":2}']],
    );
    const [sample] = await admin.getSamples('writes', 1);
    assert.equal(sample!.body, '{"b":2}');
    assert.equal(sample!.headers.authorization, undefined, 'recorded requests carry no secrets');
    assert.equal(sample!.method, 'PUT');
  });

  test('on a mirrored POST the ids each side gives the created record are noise; a wrong total beside them counts', async () => {
    await shadow('writes');
    const numbering = (first: number, total: (id: number) => number): Handler => {
      let next = first;
      return (_req, res) => {
        const id = next++;
        json(
          res,
          201,
          { id, url: `/api/writes/orders/${id}`, total: total(id) },
          { location: `/api/writes/orders/${id}` },
        );
      };
    };
    const legacyHandler = legacy.handler;
    legacy.handler = numbering(1000, () => 30);
    candidate.handler = numbering(1, (id) => (id === 3 ? 31 : 30));
    for (let i = 0; i < 3; i++)
      await (
        await request(`${r.url}/api/writes/orders`, {
          method: 'POST',
          body: `{"n":${i}}`,
          headers: { 'content-type': 'application/json' },
        })
      ).body.dump();
    await samples('writes', 3);
    legacy.handler = legacyHandler;
    candidate.handler = candidateHandler;
    assert.equal((await admin.getStats('writes')).stats.parity.mismatches, 1);
    const [wrong] = await admin.getMismatches('writes', 1);
    assert.deepEqual(
      wrong!.differences.map((d) => [d.path, d.legacy, d.candidate]),
      [['$.total', 30, 31]],
    );
    const noise = await admin.getNoise('writes');
    assert.deepEqual(noise.routes['POST /api/writes/orders']?.map((p) => [p.path, p.valueClass]).sort(), [
      ['$.id', 'serial'],
      ['$.url', 'serial'],
    ]);
  });

  test('adapters apply to the new answers of the endpoints that declare them', async () => {
    await admin.setRoute('users', { mode: 'new', percent: 100, version: ++version });
    const adapted = await (await request(`${r.url}/api/users/products/5`)).body.json();
    assert.deepEqual(adapted, { id: 5, name: 'lamp' });
    const plain = (await (await request(`${r.url}/api/users/7`)).body.json()) as { name: string };
    assert.equal(plain.name, 'user 7');
    await shadow();
    await (await request(`${r.url}/api/users/products/5`)).body.dump();
    await samples('users', 1);
    assert.equal((await admin.getStats('users')).stats.parity.matches, 1, 'the comparison uses the adapted answer');
  });

  test('an upload too large to compare reaches legacy whole and unchanged, streamed or with a length', async () => {
    const { plan, dir } = await planFor(legacy.url, candidate.url, { parity: { mirrorUnsafe: true } });
    plan.router.maxCompareBytes = 1024;
    plan.router.shadowMaxBusy = 1; // the size alone decides; on a loaded machine admission would drop them first
    const r3 = await router(plan, dir);
    const a3 = createRouterAdminClient({ baseUrl: r3.adminUrl, token: 'test-token' });
    try {
      await a3.setRoute('users', { mode: 'shadow', percent: 0, version: 1, sampleRate: 1 });
      const big = 'x'.repeat(5000);
      legacy.seen.length = 0;
      candidate.seen.length = 0;
      const chunked = await request(`${r3.url}/api/users`, {
        method: 'POST',
        body: Readable.from([big.slice(0, 700), big.slice(700, 1500), big.slice(1500)]),
      });
      await chunked.body.dump();
      const sized = await request(`${r3.url}/api/users`, {
        method: 'POST',
        body: big,
        headers: { 'content-type': 'text/plain' },
      });
      await sized.body.dump();
      assert.deepEqual([chunked.statusCode, sized.statusCode], [201, 201]);
      assert.deepEqual(
        legacy.seen.map((x) => x.body.length),
        [5000, 5000],
      );
      assert.equal(legacy.seen[0]!.body, big);
      const s = (await a3.getStats('users')).stats.shadow;
      assert.equal(s.skippedTooLarge, 2);
      assert.equal(s.mirrored, 0);
      assert.equal(candidate.seen.length, 0, 'nothing mirrored');
    } finally {
      await a3.close();
      await r3.close();
    }
  });

  test('batch buffers come back from the shadow thread and are reused, with every body compared intact', async () => {
    await shadow();
    const before = await shadowBuffers();
    // One sample at a time, each compared before the next, so each is a batch of its own.
    for (let n = 1; n <= 20; n++) {
      await (await request(`${r.url}/api/users/sized/${n}`)).body.dump();
      await samples('users', n);
    }
    const s = (await admin.getStats('users')).stats;
    assert.deepEqual(
      [s.parity.mismatches, s.parity.byKind.value],
      [4, 4],
      'exactly the 4 answers whose n is off by one',
    );
    assert.deepEqual(
      s.parity.topPaths.map((p) => [p.path, p.count]),
      [['$.n', 4]],
    );
    const allocated = (await shadowBuffers()) - before;
    // Bodies of 1–160 KB need a 256 KB and at most a 512 KB buffer.
    assert.ok(allocated <= 2, `20 batches took ${allocated} new buffers`);
  });

  test('mirrors and comparisons run on a thread of their own at the lowest scheduling priority, in the idle class where chrt exists', async (t) => {
    const tasks = await readdir('/proc/self/task').catch(() => undefined);
    if (!tasks) return t.skip('needs Linux /proc');
    await shadow();
    await (await request(`${r.url}/api/users/7`)).body.dump();
    await samples('users', 1);
    // Fields 19 and 41 of /proc/<pid>/task/<tid>/stat: nice value and scheduling policy (5 = SCHED_IDLE).
    const sched = async (tid: string): Promise<string> => {
      const stat = await readFile(`/proc/self/task/${tid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      return `nice ${fields[16]} policy ${fields[38]}`;
    };
    assert.equal(await sched(String(process.pid)), 'nice 0 policy 0', 'the proxy thread keeps its priority');
    const idle = await execFileP('chrt', ['--version']).then(
      () => true,
      () => false,
    );
    const want = idle ? 'nice 19 policy 5' : 'nice 19 policy 0';
    await waitFor(`a thread at ${want}`, async () =>
      (await Promise.all((await readdir('/proc/self/task')).map(sched))).includes(want),
    );
  });

  test('while the router thread is busier than shadowMaxBusy, samples are dropped but for a trickle per family, and clients still answered', async () => {
    const { plan, dir } = await planFor(
      legacy.url,
      candidate.url,
      {},
      { name: 'orders', routes: ['/api/orders/*'], new: candidate.url },
    );
    plan.router.shadowMaxBusy = 0.5;
    const r4 = await router(plan, dir);
    const a4 = createRouterAdminClient({ baseUrl: r4.adminUrl, token: 'test-token' });
    try {
      await a4.setRoute('users', { mode: 'shadow', percent: 0, version: 1, sampleRate: 1 });
      await a4.setRoute('orders', { mode: 'shadow', percent: 0, version: 1, sampleRate: 1 });
      const pending = ['users', 'users', 'users', 'orders', 'orders'].map((f) => request(`${r4.url}/api/${f}/7`));
      // Keep this thread (the router's) busy for a few utilization windows; the requests wait.
      const until = performance.now() + 350;
      while (performance.now() < until);
      for (const res of await Promise.all(pending)) {
        assert.equal(res.statusCode, 200);
        await res.body.dump();
      }
      const s = (await a4.getStats('users')).stats.shadow;
      assert.deepEqual(
        [s.sampled, s.mirrored, s.dropped],
        [3, 1, 2],
        'every request sampled; one let through while busy (the trickle), the others dropped',
      );
      const o = (await a4.getStats('orders')).stats.shadow;
      assert.deepEqual([o.mirrored, o.dropped], [1, 1], 'the other family has a trickle of its own');
      await waitFor('samples mirrored again once the thread is idle', async () => {
        await (await request(`${r4.url}/api/users/7`)).body.dump();
        await (await request(`${r4.url}/api/users/7`)).body.dump();
        return (await a4.getStats('users')).stats.shadow.mirrored >= 3;
      });
    } finally {
      await a4.close();
      await r4.close();
    }
  });

  test('mirrors beyond the queue bound are dropped and counted, never delaying the client', async () => {
    const { plan, dir } = await planFor(legacy.url, candidate.url);
    plan.router.mirrorQueue = 1;
    plan.router.mirrorConcurrency = 1;
    plan.router.shadowMaxBusy = 1; // the queue bound alone decides; load shedding has its own test
    const r2 = await router(plan, dir);
    const a2 = createRouterAdminClient({ baseUrl: r2.adminUrl, token: 'test-token' });
    let release = (): void => {};
    const gate = new Promise<void>((res) => (release = res));
    candidate.handler = (_req, res) => void gate.then(() => json(res, 200, user(7, '69001')));
    try {
      await a2.setRoute('users', { mode: 'shadow', percent: 0, version: 1, sampleRate: 1 });
      const t0 = Date.now();
      for (let i = 0; i < 6; i++) await (await request(`${r2.url}/api/users/7`)).body.dump();
      assert.ok(Date.now() - t0 < 2000, 'clients were answered while mirrors were stuck');
      const s = (await a2.getStats('users')).stats.shadow;
      assert.equal(s.sampled, 6, 'every request was sampled');
      assert.equal(s.mirrored, 2, 'one running and one waiting');
      assert.equal(s.dropped, 4);
    } finally {
      release();
      candidate.handler = candidateHandler;
      await a2.close();
      await r2.close();
    }
  });
});
