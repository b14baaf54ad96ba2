/**
 * Shadow through the real router with upstreams that build absolute links from the `Host` they get
 * (as FastAPI's `request.url_for` does): each names its own address, or the client's under
 * `preserveHost`, and only a link that leads elsewhere is a mismatch.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'undici';
import { createRouterAdminClient, type RouterAdminClient } from '../../src/router/client.js';
import type { RunningRouter } from '../../src/router/server.js';
import { waitFor } from '../helpers/wait.js';
import { closeAll, json, planFor, router, upstream, type Handler, type TestUpstream } from './support.js';

let legacy: TestUpstream;
let candidate: TestUpstream;
let r: RunningRouter;
let admin: RouterAdminClient;

/** A page of a list with links built from the request's `Host`; `skip` pages more on `next`. */
const linking =
  (skip: number): Handler =>
  (req, res) => {
    const url = new URL(req.url ?? '/', `http://${req.headers.host}`);
    const p = Number(url.searchParams.get('page') ?? 1);
    json(res, 200, {
      items: [p * 2 - 1, p * 2],
      self: url.href,
      next: `http://${req.headers.host}${url.pathname}?page=${p + skip}`,
    });
  };

before(async () => {
  legacy = await upstream(linking(1));
  // new's next link skips a page on the orders list only.
  candidate = await upstream((req, res, body) => linking(req.url?.startsWith('/api/orders') ? 2 : 1)(req, res, body));
  const { plan, dir } = await planFor(
    legacy.url,
    candidate.url,
    { preserveHost: { legacy: true } },
    { name: 'orders', routes: ['/api/orders/*', 'GET /api/orders'], new: candidate.url },
  );
  r = await router(plan, dir);
  admin = createRouterAdminClient({ baseUrl: r.adminUrl, token: 'test-token' });
  for (const family of ['users', 'orders'])
    await admin.setRoute(family, { mode: 'shadow', percent: 0, version: 1, sampleRate: 1 });
});

after(async () => {
  await closeAll(admin, r, legacy, candidate);
});

async function shadowed(
  family: string,
  paths: string[],
): Promise<{ samples: number; mismatches: number; paths: string[] }> {
  await admin.resetStats(family);
  // One at a time: a mirror that arrives while the route's first noise lesson is out is shed.
  for (const [i, p] of paths.entries()) {
    const res = await request(`${r.url}${p}`);
    assert.equal(res.statusCode, 200);
    await res.body.dump();
    await waitFor(
      `comparison ${i + 1} of ${family}`,
      async () => (await admin.getStats(family)).stats.parity.samples > i,
    );
  }
  const { stats } = await admin.getStats(family);
  const records = await admin.getMismatches(family);
  const found = records.flatMap((m) => m.differences.map((d) => d.path));
  return { samples: stats.parity.samples, mismatches: stats.parity.mismatches, paths: [...new Set(found)] };
}

describe('links each upstream builds from its Host, through the router in shadow', () => {
  test('legacy naming the client’s host (preserveHost) and new its own address are the same links', async () => {
    const got = await shadowed('users', ['/api/users/7', '/api/users?page=2', '/api/users?page=3']);
    assert.deepEqual(got, { samples: 3, mismatches: 0, paths: [] });
    // The upstreams did get different hosts: the comparison had something to set aside.
    assert.notEqual(legacy.seen.at(-1)?.headers.host, candidate.seen.at(-1)?.headers.host);
  });

  test('each naming its own address: only the next link that skips a page is a mismatch', async () => {
    const got = await shadowed('orders', ['/api/orders?page=1', '/api/orders?page=2']);
    assert.deepEqual(got, { samples: 2, mismatches: 2, paths: ['$.next'] });
  });
});
