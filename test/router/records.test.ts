import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'undici';
import { createRouterAdminClient, type RouterAdminClient } from '../../src/router/client.js';
import type { RunningRouter } from '../../src/router/server.js';
import { closeAll, json, planFor, router, upstream, type TestUpstream } from './support.js';

let legacy: TestUpstream;
let candidate: TestUpstream;
let r: RunningRouter;
let admin: RouterAdminClient;

before(async () => {
  legacy = await upstream((_req, res) => json(res, 200, { id: 7, v: 1 }));
  // Slower than legacy by a margin the records must show, even on a loaded machine.
  candidate = await upstream((_req, res) => void setTimeout(() => json(res, 200, { id: 7, v: 2 }), 150));
  const { plan, dir } = await planFor(legacy.url, candidate.url);
  plan.router.shadowMaxBusy = 1;
  plan.router.records = { mismatches: 5, samples: 3 };
  r = await router(plan, dir);
  admin = createRouterAdminClient({ baseUrl: r.adminUrl, token: 'test-token' });
  await admin.setRoute('users', { mode: 'shadow', percent: 0, version: 1, sampleRate: 1 });
});
after(() => closeAll(admin, r, legacy, candidate));

describe('records and comparisons', () => {
  test('a caller waits until comparisons have drained, then reads complete figures', async () => {
    await admin.resetStats('users');
    const before = (await admin.getComparisons('users')).done;
    for (let i = 1; i <= 8; i++) await (await request(`${r.url}/api/users/${i}?page=2&api_token=abc${i}`)).body.dump();
    const state = await admin.waitForComparisons('users');
    assert.deepEqual([state.pending, state.done - before], [0, 8]);
    const stats = await admin.getStats('users');
    assert.equal(stats.stats.parity.samples, 8, 'every drained comparison is in the statistics');
    assert.equal(stats.stats.parity.mismatches, 8);
    assert.deepEqual(stats.comparisons, { pending: 0, done: state.done });
  });

  test('mismatch records carry the query (secrets masked), the route template and both latencies', async () => {
    const [m] = await admin.getMismatches('users', 1);
    assert.ok(m);
    assert.match(m.path, /^\/api\/users\/[1-8]$/);
    assert.equal(m.query, 'page=2&api_token=[redacted]');
    assert.equal(m.route, 'GET /api/users/:id', 'the route template under the wildcard pattern');
    assert.ok(m.newMs >= 145, `new answered in ${m.newMs} ms`);
    assert.ok(m.legacyMs >= 0 && m.legacyMs < m.newMs, `legacy answered in ${m.legacyMs} ms`);
  });

  test('the record rings hold the plan-set number and are paged with a cursor', async () => {
    const newest = await admin.getMismatches('users');
    assert.equal(newest.length, 5, 'router.records.mismatches = 5');
    assert.equal((await admin.getSamples('users')).length, 3, 'router.records.samples = 3');
    const p1 = await admin.pageMismatches('users', 0, 2);
    assert.equal(p1.capacity, 5);
    assert.equal(p1.first, 4, 'records 1–3 were overwritten');
    assert.deepEqual(
      p1.items.map((m) => m.seq),
      [4, 5],
    );
    assert.equal(p1.next, 5);
    const p2 = await admin.pageMismatches('users', p1.next, 2);
    assert.deepEqual(
      p2.items.map((m) => m.seq),
      [6, 7],
    );
    const p3 = await admin.pageMismatches('users', p2.next, 2);
    assert.deepEqual(
      p3.items.map((m) => m.seq),
      [8],
    );
    // Comparisons finish in any order; the pages hold each record held once, in ring order.
    assert.deepEqual(
      [...p1.items, ...p2.items, ...p3.items].map((m) => m.path).sort(),
      newest.map((m) => m.path).sort(),
    );
    const p4 = await admin.pageMismatches('users', p3.next);
    assert.deepEqual([p4.items.length, p4.next], [0, 8], 'nothing new yet: the cursor stays');
    await (await request(`${r.url}/api/users/9`)).body.dump();
    await admin.waitForComparisons('users');
    const p5 = await admin.pageMismatches('users', p4.next);
    assert.deepEqual(
      p5.items.map((m) => [m.seq, m.path, m.query]),
      [[9, '/api/users/9', '']],
    );
    const stale = await admin.pageMismatches('users', 1000, 1);
    assert.deepEqual(
      [stale.items.map((m) => m.seq), stale.next],
      [[5], 5],
      'a cursor from before a restart starts over',
    );
  });

  test('bad paging parameters are refused with the parameter named', async () => {
    const res = await request(`${r.adminUrl}/v1/families/users/mismatches?after=-1`, {
      headers: { authorization: 'Bearer test-token' },
    });
    assert.equal(res.statusCode, 400);
    assert.match(((await res.body.json()) as { error: { message: string } }).error.message, /^after:/);
  });
});
