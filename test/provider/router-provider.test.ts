/**
 * The built-in router as a traffic provider, chosen by a plan without `dataPlane`: the same
 * versioned contract as the nginx provider, through the router's admin API.
 */
import assert from 'node:assert/strict';
import { rm } from 'node:fs/promises';
import { after, before, describe, it } from 'node:test';
import { request } from 'undici';
import { hasCode } from '../../src/lib/errors.js';
import { trafficProviderFor } from '../../src/provider/select.js';
import type { TrafficProvider } from '../../src/provider/traffic-provider.js';
import { createRouterAdminClient } from '../../src/router/client.js';
import type { RunningRouter } from '../../src/router/server.js';
import { closeAll, json, planFor, router, upstream, type TestUpstream } from '../router/support.js';

let legacy: TestUpstream;
let fresh: TestUpstream;
let running: RunningRouter;
let provider: TrafficProvider;
let dir: string;

before(async () => {
  legacy = await upstream((_req, res) => json(res, 200, { side: 'legacy' }));
  fresh = await upstream((_req, res) => json(res, 200, { side: 'new' }));
  const p = await planFor(legacy.url, fresh.url);
  dir = p.dir;
  assert.deepEqual(p.plan.dataPlane, { kind: 'phoenix' });
  running = await router(p.plan, dir);
  provider = await trafficProviderFor(p.plan, () =>
    createRouterAdminClient({ baseUrl: running.adminUrl, token: 'test-token' }),
  );
});

after(async () => {
  await closeAll(provider, running, legacy, fresh);
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('built-in router provider', () => {
  it('sets a route the router serves, reads it back and refuses a stale version', async () => {
    assert.equal(provider.kind, 'phoenix');
    assert.equal(await provider.health(), true);
    const r = await provider.setRoute('users', { mode: 'new', percent: 100, version: 3 });
    assert.equal(r.version, 3);
    const res = await request(`${running.url}/api/users/1`);
    assert.deepEqual(await res.body.json(), { side: 'new' });
    assert.equal((await provider.getRoute('users')).mode, 'new');
    await assert.rejects(provider.setRoute('users', { mode: 'legacy', percent: 0, version: 2 }), (err) =>
      hasCode(err, 'PHX_ERR_ROUTE_STALE_VERSION'),
    );
  });
});
