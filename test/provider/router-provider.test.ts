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
/** new answers 500 while set. */
let failing = false;
let running: RunningRouter;
let provider: TrafficProvider;
let dir: string;

before(async () => {
  legacy = await upstream((_req, res) => json(res, 200, { side: 'legacy' }));
  fresh = await upstream((_req, res) => json(res, failing ? 500 : 200, { side: 'new' }));
  const p = await planFor(legacy.url, fresh.url);
  dir = p.dir;
  assert.deepEqual(p.plan.dataPlane, { kind: 'phoenix', adminTimeout: 3000 });
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

  it('reads figures in the admin API shapes, with the share on new, and clears a guard trip', async () => {
    await provider.setRoute('users', { mode: 'new', percent: 100, version: 4 });
    const empty = await provider.resetFigures('users');
    assert.equal(empty.observedShareOnNew, null);
    for (let i = 0; i < 4; i++) await (await request(`${running.url}/api/users/${i}`)).body.dump();
    let f = await provider.figures('users');
    assert.equal(f.stats.backends.new.requests, 4);
    assert.equal(f.observedShareOnNew, 1);
    assert.equal(f.route.version, 4);
    assert.ok(f.stats.backends.new.p50 !== null);
    // POSTs are not answered by legacy instead: three 500s in a row trip the family's guard.
    failing = true;
    for (let i = 0; i < 3; i++)
      await (await request(`${running.url}/api/users/${i}`, { method: 'POST', body: '{}' })).body.dump();
    f = await provider.figures('users');
    assert.equal(f.guard.tripped, true);
    assert.match(f.guard.reason ?? '', /consecutive failures/);
    assert.deepEqual(await (await request(`${running.url}/api/users/1`)).body.json(), { side: 'legacy' });
    failing = false;
    assert.equal((await provider.clearTrip('users')).tripped, false);
    assert.deepEqual(await (await request(`${running.url}/api/users/1`)).body.json(), { side: 'new' });
  });
});
