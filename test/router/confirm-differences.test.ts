/**
 * The shadow path confirms a difference new to its route before counting it: legacy is asked
 * again, and a field legacy itself sends only some of the time is learned as noise instead of
 * counted, while a real regression still counts on every request, at a bounded cost to legacy.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'undici';
import { createRouterAdminClient, type RouterAdminClient } from '../../src/router/client.js';
import type { RunningRouter } from '../../src/router/server.js';
import { waitFor } from '../helpers/wait.js';
import { closeAll, json, planFor, router, upstream, type TestUpstream } from './support.js';

let legacy: TestUpstream;
let candidate: TestUpstream;
let r: RunningRouter;
let admin: RouterAdminClient;
let legacyCalls = 0;

before(async () => {
  // legacy's search sends its promotion on every third answer only: its first two answers agree.
  legacy = await upstream((req, res) => {
    if (req.url?.startsWith('/api/users/search'))
      return json(res, 200, { hits: [1, 2], ...(++legacyCalls % 3 === 0 ? { promo: 'spring' } : {}) });
    json(res, 200, { id: 7, price: 10 });
  });
  candidate = await upstream((req, res) => {
    if (req.url?.startsWith('/api/users/search')) return json(res, 200, { hits: [1, 2], promo: 'spring' });
    json(res, 200, { id: 7, price: 11 });
  });
  const { plan, dir } = await planFor(legacy.url, candidate.url);
  r = await router(plan, dir);
  admin = createRouterAdminClient({ baseUrl: r.adminUrl, token: 'test-token' });
  await admin.setRoute('users', { mode: 'shadow', percent: 0, version: 1, sampleRate: 1 });
});

after(async () => {
  await closeAll(admin, r, legacy, candidate);
});

/** Sends `path` `n` times, one comparison at a time; returns the mismatches counted. */
async function shadowed(path: string, n: number): Promise<number> {
  await admin.resetStats('users');
  for (let i = 0; i < n; i++) {
    const res = await request(`${r.url}${path}`);
    await res.body.dump();
    await waitFor(`comparison ${i + 1}`, async () => (await admin.getStats('users')).stats.parity.samples > i);
  }
  return (await admin.getStats('users')).stats.parity.mismatches;
}

describe('shadow confirms a difference before counting it', () => {
  test('a field legacy sends only some of the time is learned, not counted, though its first two answers agreed', async () => {
    assert.equal(await shadowed('/api/users/search?q=a', 5), 0);
    const noise = await admin.getNoise('users');
    assert.ok(
      Object.values(noise.routes).some((paths) => paths.some((p) => p.path === '$.promo')),
      JSON.stringify(noise.routes),
    );
  });

  test('a changed price counts on every request, and legacy is asked again only a few times', async () => {
    const before = legacy.seen.filter((s) => s.url === '/api/users/7').length;
    assert.equal(await shadowed('/api/users/7', 5), 5);
    // 5 client requests, 5 noise lessons (a route's first ten), and 3 confirmations of 2 answers.
    assert.equal(legacy.seen.filter((s) => s.url === '/api/users/7').length - before, 16);
  });
});
