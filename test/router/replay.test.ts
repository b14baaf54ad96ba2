import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'undici';
import { createRouterAdminClient, type RouterAdminClient } from '../../src/router/client.js';
import type { RunningRouter } from '../../src/router/server.js';
import { replayRound } from '../../src/activities/replay.js';
import type { Plan } from '../../src/plan/index.js';
import { closeAll, json, planFor, router, upstream, type Handler, type TestUpstream } from './support.js';

let legacy: TestUpstream;
let candidate: TestUpstream;
let r: RunningRouter;
let admin: RouterAdminClient;
let plan: Plan;

/** Users 1–99 are alike on both sides; from 100 on, new drops `email` (a regression). */
function users(regressFrom: number): Handler {
  return (req, res) => {
    const id = Number(/\/api\/users\/(\d+)/.exec(req.url ?? '')?.[1] ?? 0);
    if (id >= regressFrom) return json(res, 200, { id, name: `u${id}` });
    json(res, 200, { id, name: `u${id}`, email: `u${id}@example.test` });
  };
}

before(async () => {
  legacy = await upstream(users(Infinity));
  candidate = await upstream(users(100));
  let dir: string;
  ({ plan, dir } = await planFor(
    legacy.url,
    candidate.url,
    { identity: { new: { headers: { Authorization: { env: 'PHX_TEST_REPLAY_NEW_TOKEN', prefix: 'Bearer ' } } } } },
    { name: 'orders', routes: ['/api/orders/*'], new: candidate.url },
  ));
  plan.router.shadowMaxBusy = 1;
  process.env.PHX_TEST_REPLAY_NEW_TOKEN = 'N-replay';
  r = await router(plan, dir);
  admin = createRouterAdminClient({ baseUrl: r.adminUrl, token: 'test-token' });
  await admin.setRoute('users', { mode: 'shadow', percent: 0, version: 1, sampleRate: 1 });
});
after(async () => {
  delete process.env.PHX_TEST_REPLAY_NEW_TOKEN;
  await closeAll(admin, r, legacy, candidate);
});

async function refusal(p: Promise<unknown>): Promise<{ code: string; message: string }> {
  try {
    await p;
  } catch (err) {
    return { code: (err as { code: string }).code, message: (err as Error).message };
  }
  assert.fail('expected the router to refuse the replay');
}

describe('replay of recorded safe requests', () => {
  test('captured samples are replayed once each; those that carried credentials are skipped and counted', async () => {
    await admin.resetStats('users');
    // A repeated parameter is captured with every value, and replayed so.
    await (await request(`${r.url}/api/users/21?x=1&x=2`)).body.dump();
    await (await request(`${r.url}/api/users/21?x=1&x=2`)).body.dump();
    await (await request(`${r.url}/api/users/22`, { headers: { authorization: 'Bearer L-alice' } })).body.dump();
    await (await request(`${r.url}/api/users/23`, { method: 'POST', body: '{}' })).body.dump();
    await admin.waitForComparisons('users');
    const family = {
      ...plan.families[0]!,
      parity: {
        ...plan.families[0]!.parity,
        replay: { from: ['samples' as const], after: 0, maxPerSecond: 100, maxShare: 1 },
      },
    };
    const seen = { legacy: legacy.seen.length, candidate: candidate.seen.length };
    const result = await replayRound({ adminUrl: r.adminUrl, family, count: 3, offset: 0 }, admin);
    assert.deepEqual(result.pool, { contracts: 0, samples: 1 }, 'the same request twice is one recorded request');
    assert.deepEqual(result.skipped, { credentials: 1, variables: 0 }, 'no legacy identity to supply the credential');
    assert.deepEqual([result.submitted, result.dropped, result.failed], [3, 0, 0]);
    assert.deepEqual(
      candidate.seen.slice(seen.candidate).map((s) => `${s.method} ${s.url}`),
      ['GET /api/users/21?x=1&x=2', 'GET /api/users/21?x=1&x=2', 'GET /api/users/21?x=1&x=2'],
      'the pool is gone round in turn; no credential and no unsafe request is replayed',
    );
    // Legacy also answers the comparison's noise lessons (second requests), with the same headers.
    const atLegacy = legacy.seen.slice(seen.legacy);
    assert.ok(atLegacy.length >= 3);
    assert.ok(atLegacy.every((s) => s.url === '/api/users/21?x=1&x=2' && s.headers.authorization === undefined));
    assert.deepEqual((await admin.getStats('users')).stats.parity.replayed, { samples: 3, mismatches: 0 });
  });

  test('replayed requests are compared like live ones and counted apart', async () => {
    await admin.resetStats('users');
    for (let i = 1; i <= 3; i++) await (await request(`${r.url}/api/users/${i}`)).body.dump();
    await admin.waitForComparisons('users');
    const seenBefore = candidate.seen.length;
    const result = await admin.replay(
      'users',
      // A recorded case may repeat a parameter: it is sent repeated, in order.
      [4, 5, 6, 7, 8].map((i) => ({ method: 'get', path: `/api/users/${i}`, query: { v: '1', tag: ['a', 'b'] } })),
      50,
    );
    assert.deepEqual(
      { submitted: result.submitted, dropped: result.dropped, failed: result.failed, pending: result.pending },
      { submitted: 5, dropped: 0, failed: 0, pending: 0 },
    );
    const p = (await admin.getStats('users')).stats.parity;
    assert.equal(p.samples, 8, 'live and replayed comparisons both count toward the gate');
    assert.deepEqual(p.replayed, { samples: 5, mismatches: 0 });
    assert.equal(p.mismatches, 0);
    const metrics = await (await request(`${r.adminUrl}/metrics`)).body.text();
    assert.match(metrics, /^phoenix_shadow_replayed_total\{family="users"\} 8$/m, '3 earlier replays and these 5');
    const replayedAtNew = candidate.seen.slice(seenBefore).filter((s) => s.headers['x-phoenix-replay'] === '1');
    assert.equal(replayedAtNew.length, 5, 'each replayed request reached new once, marked as a replay');
    assert.ok(
      replayedAtNew.every((s) => s.headers.authorization === 'Bearer N-replay' && s.url.endsWith('?v=1&tag=a&tag=b')),
      "new's identity and the query string are applied as for mirrors",
    );
    const samples = await admin.getSamples('users');
    assert.ok(
      samples.some((s) => s.path === '/api/users/3') && !samples.some((s) => /^\/api\/users\/[4-8]$/.test(s.path)),
      'replayed requests do not become captured samples',
    );
  });

  test('a regression in a replayed request is a mismatch record marked replayed', async () => {
    await admin.resetStats('users');
    const result = await admin.replay('users', [{ method: 'GET', path: '/api/users/100' }], 50);
    assert.equal(result.submitted, 1);
    const p = (await admin.getStats('users')).stats.parity;
    assert.deepEqual(p.replayed, { samples: 1, mismatches: 1 });
    assert.equal(p.mismatches, 1);
    const [m] = await admin.getMismatches('users', 1);
    assert.equal(m?.path, '/api/users/100');
    assert.equal(m?.replayed, true);
    assert.deepEqual(
      m?.differences.map((d) => [d.path, d.kind]),
      [['$.email', 'missing']],
    );
    // A live mismatch carries no mark.
    await (await request(`${r.url}/api/users/101`)).body.dump();
    await admin.waitForComparisons('users');
    const [live] = await admin.getMismatches('users', 1);
    assert.equal(live?.path, '/api/users/101');
    assert.equal(live?.replayed, undefined);
    assert.deepEqual((await admin.getStats('users')).stats.parity.replayed, { samples: 1, mismatches: 1 });
  });

  test('unsafe methods and paths outside the family are refused, before anything is sent', async () => {
    const seen = legacy.seen.length;
    const unsafe = await refusal(
      admin.replay('users', [
        { method: 'GET', path: '/api/users/1' },
        { method: 'POST', path: '/api/users/2' },
      ]),
    );
    assert.equal(unsafe.code, 'PHX_ERR_REPLAY_UNSAFE_METHOD');
    assert.match(unsafe.message, /requests\.1\.method: POST is not replayed/);
    const foreign = await refusal(admin.replay('users', [{ method: 'GET', path: '/api/orders/1' }]));
    assert.equal(foreign.code, 'PHX_ERR_REPLAY_FOREIGN_PATH');
    assert.match(foreign.message, /not a route of family "users"/);
    const dotted = await refusal(admin.replay('users', [{ method: 'GET', path: '/api/users/../orders/1' }]));
    assert.equal(dotted.code, 'PHX_ERR_REPLAY_FOREIGN_PATH');
    const withQuery = await refusal(admin.replay('users', [{ method: 'GET', path: '/api/users/1?x=1' }]));
    assert.equal(withQuery.code, 'PHX_ERR_ADMIN_BAD_REQUEST');
    assert.match(withQuery.message, /requests\.0\.path: expected a path without "\?"/);
    assert.equal(legacy.seen.length, seen, 'a refused call sends nothing');
  });

  test('a family outside shadow or canary mode is not replayed', async () => {
    const refused = await refusal(admin.replay('orders', [{ method: 'GET', path: '/api/orders/1' }]));
    assert.equal(refused.code, 'PHX_ERR_REPLAY_NOT_SHADOW');
  });

  test('replay without the admin token is refused', async () => {
    const anonymous = createRouterAdminClient({ baseUrl: r.adminUrl });
    try {
      const err = await refusal(anonymous.replay('users', [{ method: 'GET', path: '/api/users/1' }]));
      assert.equal(err.code, 'PHX_ERR_ROUTER_UNAUTHORIZED');
    } finally {
      await anonymous.close();
    }
  });

  test('a cancelled round stops before its next call: a worker shutting down is not held to its end', async () => {
    await admin.resetStats('users');
    await (await request(`${r.url}/api/users/31`)).body.dump();
    await admin.waitForComparisons('users');
    // 1,000/s puts 500 requests in each call: 501 take two calls.
    const family = {
      ...plan.families[0]!,
      parity: {
        ...plan.families[0]!.parity,
        replay: { from: ['samples' as const], after: 0, maxPerSecond: 1000, maxShare: 1 },
      },
    };
    const seen = candidate.seen.length;
    const cancel = new AbortController();
    const stopped = replayRound(
      { adminUrl: r.adminUrl, family, count: 501, offset: 0 },
      admin,
      ({ done }) => {
        if (done === 500) cancel.abort(new Error('worker shutting down'));
      },
      undefined,
      cancel.signal,
    );
    await assert.rejects(stopped, /worker shutting down/);
    await admin.waitForComparisons('users');
    assert.equal(candidate.seen.length - seen, 500, 'the second call was never made');
    assert.deepEqual((await admin.getStats('users')).stats.parity.replayed?.samples, 500);
  });
});
