/**
 * A family owns both slash variants of its patterns in the real router: `/api/tags/` follows
 * `/api/tags` to the new service, and counts in the family's figures (so the decommission check,
 * which reads them, sees it), unless the family sets `strictSlashes`.
 */
import { after, before, test } from 'node:test';
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
  legacy = await upstream((req, res) => json(res, 200, { from: 'legacy', url: req.url }));
  candidate = await upstream((req, res) => json(res, 200, { from: 'new', url: req.url }));
  const { plan, dir } = await planFor(
    legacy.url,
    candidate.url,
    {},
    { name: 'tags', routes: ['GET /api/tags', 'GET /api/tags/:name/articles'], new: candidate.url },
    { name: 'strict', routes: ['GET /api/strict'], new: candidate.url, strictSlashes: true },
  );
  r = await router(plan, dir);
  admin = createRouterAdminClient({ baseUrl: r.adminUrl, token: 'test-token' });
  await admin.setRoute('tags', { mode: 'new', percent: 100, version: 1 });
  await admin.setRoute('strict', { mode: 'new', percent: 100, version: 1 });
});
after(() => closeAll(admin, r, legacy, candidate));

async function from(path: string): Promise<string> {
  const res = await request(`${r.url}${path}`);
  return ((await res.body.json()) as { from: string }).from;
}

test('both slash variants of a family at new 100% go to new and count in its figures', async () => {
  for (const path of ['/api/tags', '/api/tags/', '/api/tags/go/articles', '/api/tags/go/articles/?page=2'])
    assert.equal(await from(path), 'new', path);
  const { stats } = await admin.getStats('tags');
  assert.equal(stats.backends.new.requests, 4);
  assert.equal(stats.backends.legacy.requests, 0);
  assert.equal(
    candidate.seen.filter((s) => s.url === '/api/tags/').length,
    1,
    'the path is forwarded as the client wrote it',
  );
});

test('with strictSlashes the variant is another path and stays on legacy', async () => {
  assert.equal(await from('/api/strict'), 'new');
  assert.equal(await from('/api/strict/'), 'legacy');
  const { stats } = await admin.getStats('strict');
  assert.equal(stats.backends.new.requests, 1);
});
