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
/** What each service appended, per tenant, in the order it committed. */
const legacyLog = new Map<string, number[]>();
const newLog = new Map<string, number[]>();
/** Writes under way at new at once, and the most seen. */
let inFlight = 0;
let maxInFlight = 0;

function append(log: Map<string, number[]>, tenant: string, seq: number): void {
  let list = log.get(tenant);
  if (!list) log.set(tenant, (list = []));
  list.push(seq);
}

before(async () => {
  legacy = await upstream((req, res, body) => {
    const { seq } = JSON.parse(body.toString()) as { seq: number };
    append(legacyLog, String(req.headers['x-tenant'] ?? ''), seq);
    json(res, 201, { seq });
  });
  // New takes a varying time before it commits: concurrent writes would land in another order.
  candidate = await upstream((req, res, body) => {
    const { seq } = JSON.parse(body.toString()) as { seq: number };
    maxInFlight = Math.max(maxInFlight, ++inFlight);
    setTimeout(
      () => {
        inFlight--;
        append(newLog, String(req.headers['x-tenant'] ?? ''), seq);
        json(res, 201, { seq });
      },
      (seq * 7) % 11,
    );
  });
  const { plan, dir } = await planFor(
    legacy.url,
    candidate.url,
    {},
    { name: 'log', routes: ['/api/log/*'], new: candidate.url, parity: { mirrorUnsafe: true } },
    {
      name: 'tenants',
      routes: ['/api/tenants/*'],
      new: candidate.url,
      parity: { mirrorUnsafe: true, mirrorPartition: { header: 'X-Tenant' } },
    },
  );
  plan.router.shadowMaxBusy = 1;
  r = await router(plan, dir);
  admin = createRouterAdminClient({ baseUrl: r.adminUrl, token: 'test-token' });
});
after(() => closeAll(admin, r, legacy, candidate));

async function post(path: string, seq: number, tenant?: string): Promise<void> {
  const res = await request(`${r.url}${path}`, {
    method: 'POST',
    body: JSON.stringify({ seq }),
    headers: { 'content-type': 'application/json', ...(tenant ? { 'x-tenant': tenant } : {}) },
  });
  await res.body.dump();
}

describe('mirrored writes', () => {
  test('50 mirrored POSTs reach new in the order legacy saw them', async () => {
    legacyLog.clear();
    newLog.clear();
    maxInFlight = 0;
    await admin.setRoute('log', { mode: 'shadow', percent: 0, version: 1, sampleRate: 1 });
    for (let seq = 1; seq <= 50; seq++) await post('/api/log/append', seq);
    await admin.waitForComparisons('log');
    assert.equal(legacyLog.get('')?.length, 50);
    assert.deepEqual(newLog.get(''), legacyLog.get(''));
    assert.equal(maxInFlight, 1, 'one write at a time');
  });

  test('with a partition header, each partition keeps its order while partitions run side by side', async () => {
    legacyLog.clear();
    newLog.clear();
    maxInFlight = 0;
    await admin.setRoute('tenants', { mode: 'shadow', percent: 0, version: 1, sampleRate: 1 });
    // Three tenants' writes interleaved, a few at a time.
    for (let seq = 1; seq <= 60; seq += 3)
      await Promise.all([0, 1, 2].map((t) => post('/api/tenants/append', seq + t, `t${t}`)));
    await admin.waitForComparisons('tenants');
    for (const t of ['t0', 't1', 't2']) {
      assert.equal(legacyLog.get(t)?.length, 20);
      assert.deepEqual(newLog.get(t), legacyLog.get(t), `tenant ${t}`);
    }
    assert.ok(maxInFlight >= 2, `writes of different tenants overlapped (${maxInFlight} at once)`);
  });
});
