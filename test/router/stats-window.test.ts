import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { ServerResponse } from 'node:http';
import { request } from 'undici';
import { createRouterAdminClient, type RouterAdminClient } from '../../src/router/client.js';
import type { RunningRouter } from '../../src/router/server.js';
import { waitFor } from '../helpers/wait.js';
import { closeAll, json, planFor, router, upstream, type TestUpstream } from './support.js';

let legacy: TestUpstream;
let candidate: TestUpstream;
let r: RunningRouter;
let admin: RouterAdminClient;
/** New's answers held until the test lets them go, so a reset falls while they are in flight. */
const held: ServerResponse[] = [];

before(async () => {
  legacy = await upstream((_req, res) => json(res, 200, { id: 7 }));
  candidate = await upstream((_req, res) => void held.push(res));
  const { plan, dir } = await planFor(legacy.url, candidate.url);
  r = await router(plan, dir);
  admin = createRouterAdminClient({ baseUrl: r.adminUrl, token: 'test-token' });
});
after(() => closeAll(admin, r, legacy, candidate));

/** Answers every held request of new, slower and different from legacy. */
function release(): void {
  for (const res of held.splice(0)) json(res, 200, { id: 7, extra: true });
}

// A reset starts a window for what happens next: a held breach that was approved resets the
// figures, and a slow answer still in flight must not breach the fresh window again.
describe('a statistics reset', () => {
  test('leaves out a request on new that was in flight when it came', async () => {
    await admin.setRoute('users', { mode: 'canary', percent: 100, version: 1 });
    const answer = request(`${r.url}/api/users/1`, { headers: { 'x-user': 'u1' } });
    await waitFor('new to hold the request', () => held.length === 1);
    await admin.resetStats('users');
    release();
    assert.equal((await answer).statusCode, 200);
    assert.equal((await admin.getStats('users')).stats.backends.new.requests, 0);

    const next = request(`${r.url}/api/users/2`, { headers: { 'x-user': 'u1' } });
    await waitFor('new to hold the next request', () => held.length === 1);
    release();
    await (await next).body.dump();
    assert.equal((await admin.getStats('users')).stats.backends.new.requests, 1, 'a request after the reset counts');
  });

  test('leaves out a comparison whose request was taken on before it', async () => {
    await admin.setRoute('users', { mode: 'shadow', percent: 0, version: 2, sampleRate: 1 });
    await admin.resetStats('users');
    await (await request(`${r.url}/api/users/3`)).body.dump();
    await waitFor('the mirror to reach new', () => held.length === 1);
    await admin.resetStats('users');
    release();
    await admin.waitForComparisons('users');
    const before = await admin.getStats('users');
    assert.equal(before.stats.parity.samples, 0, 'the comparison belongs to the window the reset cleared');
    assert.equal(before.stats.backends.legacy.requests, 0, 'legacy answered the client before the reset');

    await (await request(`${r.url}/api/users/4`)).body.dump();
    await waitFor('the next mirror to reach new', () => held.length === 1);
    release();
    await admin.waitForComparisons('users');
    const stats = (await admin.getStats('users')).stats;
    assert.deepEqual([stats.parity.samples, stats.parity.mismatches], [1, 1], 'a comparison after the reset counts');
  });
});
