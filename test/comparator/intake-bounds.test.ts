/**
 * The comparator's intake with mirrored requests sent straight to it, as nginx's mirror sends
 * them (real comparator servers, real upstreams on free ports): nginx gets its answer at once
 * whatever legacy does, samples past the slots are shed and counted, unsafe requests wait for
 * the family's `mirrorUnsafe` and go one at a time in order, and requests of no family are counted.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { request } from 'undici';
import { startComparator, type RunningComparator } from '../../src/comparator/server.js';
import { createRouterAdminClient, type RouterAdminClient } from '../../src/router/client.js';
import { readMetrics } from '../helpers/metrics.js';
import type { Plan } from '../../src/plan/index.js';
import { buildPlan, testPlan } from '../helpers/plan-builder.js';
import { waitFor } from '../helpers/wait.js';
import { json, upstream, type TestUpstream } from '../router/support.js';

const QUEUE = 8;
const CONCURRENCY = 2;

let legacy: TestUpstream;
let fresh: TestUpstream;
let comparator: RunningComparator;
let admin: RouterAdminClient;
let comparatorPlan: Plan;
/** While set, legacy holds its answers to /api/items/* until the test lets them go. */
let hold = false;
const held: (() => void)[] = [];
/** Writes each side is working on now, and the most at once. */
const writes = { legacy: { now: 0, most: 0 }, new: { now: 0, most: 0 } };

function side(name: 'legacy' | 'new'): Parameters<typeof upstream>[0] {
  return (req, res, body) => {
    if (req.url?.startsWith('/api/writes/')) {
      const w = writes[name];
      w.most = Math.max(w.most, ++w.now);
      const n = (JSON.parse(body.toString() || '{}') as { n?: number }).n ?? 0;
      // Earlier writes take longer: sent side by side, they would overlap and finish out of order.
      setTimeout(
        () => {
          w.now--;
          json(res, 201, { ok: true, n });
        },
        (6 - n) * 15,
      );
      return;
    }
    const send = (): void => json(res, 200, { id: req.url, ok: true });
    if (name === 'legacy' && hold) held.push(send);
    else send();
  };
}

/** Sends a request the way nginx's mirror does; resolves with the comparator's status. */
async function mirror(
  path: string,
  o: { method?: string; family?: string; body?: string; takenAt?: number; to?: RunningComparator } = {},
): Promise<number> {
  const headers: Record<string, string> = { 'x-request-id': `req-${path}` };
  if (o.family !== undefined) headers['x-phoenix-family'] = o.family;
  if (o.body !== undefined) headers['content-type'] = 'application/json';
  // As nginx's `$msec`: seconds with milliseconds.
  if (o.takenAt !== undefined) headers['x-phoenix-taken-at'] = (o.takenAt / 1000).toFixed(3);
  const res = await request(`${(o.to ?? comparator).url}${path}`, {
    method: o.method ?? 'GET',
    headers,
    body: o.body,
  });
  await res.body.dump();
  return res.statusCode;
}

before(async () => {
  legacy = await upstream(side('legacy'));
  fresh = await upstream(side('new'));
  comparatorPlan = await buildPlan(
    testPlan({
      legacy: legacy.url,
      families: [
        { name: 'items', routes: ['GET /api/items/:id', 'POST /api/items'], new: fresh.url },
        { name: 'writes', routes: ['/api/writes/*'], new: fresh.url, parity: { mirrorUnsafe: true } },
      ],
    }),
  );
  comparator = await startComparator({
    plan: comparatorPlan,
    port: 0,
    adminPort: 0,
    adminToken: 'test-token',
    queue: QUEUE,
    concurrency: CONCURRENCY,
    allowUnsafe: true,
  });
  admin = createRouterAdminClient({ baseUrl: comparator.adminUrl, token: 'test-token' });
});

after(async () => {
  hold = false;
  for (const send of held.splice(0)) send();
  await admin?.close();
  await comparator?.close();
  await Promise.all([legacy?.close(), fresh?.close()]);
});

describe('the comparator intake', () => {
  it('answers every mirror at once while legacy is slow, and sheds what does not fit its slots, counted', async () => {
    hold = true;
    const sent = QUEUE + CONCURRENCY + 4;
    for (let i = 1; i <= sent; i++) assert.equal(await mirror(`/api/items/${i}`, { family: 'items' }), 204);
    await waitFor('legacy to hold the running requests', () => held.length === CONCURRENCY);
    const s = (await admin.getStats('items')).stats;
    assert.equal(s.parity.samples, 0, 'nothing is compared while legacy holds its answers');
    assert.deepEqual({ sampled: s.shadow.sampled, dropped: s.shadow.dropped }, { sampled: sent, dropped: 4 });
    const m = await readMetrics(comparator.adminUrl);
    assert.equal(m.get('phoenix_shadow_mirrors_dropped_total{family="items"}'), 4);
    assert.equal(m.get('phoenix_comparator_samples_in_flight'), QUEUE + CONCURRENCY);
    assert.equal(m.get('phoenix_comparator_slots'), QUEUE + CONCURRENCY);

    hold = false;
    for (const send of held.splice(0)) send();
    const done = await admin.waitForComparisons('items');
    // Shed samples never took a slot: only the taken ones count as done.
    assert.deepEqual(done, { family: 'items', pending: 0, done: QUEUE + CONCURRENCY });
    const after = (await admin.getStats('items')).stats;
    assert.equal(after.parity.samples, QUEUE + CONCURRENCY);
    assert.equal(after.parity.mismatches, 0);
  });

  it("skips unsafe requests of a family without mirrorUnsafe, and sends a mirrorUnsafe family's one at a time, in order", async () => {
    legacy.seen.length = 0;
    fresh.seen.length = 0;
    assert.equal(await mirror('/api/items', { method: 'POST', family: 'items', body: '{"n":0}' }), 204);
    for (let n = 1; n <= 5; n++)
      assert.equal(await mirror(`/api/writes/${n}`, { method: 'POST', family: 'writes', body: `{"n":${n}}` }), 204);
    await waitFor('5 write comparisons', async () => (await admin.getStats('writes')).stats.parity.samples >= 5);
    const items = (await admin.getStats('items')).stats.shadow;
    assert.equal(items.skippedUnsafe, 1);
    const bodies = (u: TestUpstream) => u.seen.filter((x) => x.method === 'POST').map((x) => x.body);
    const expected = [1, 2, 3, 4, 5].map((n) => `{"n":${n}}`);
    assert.deepEqual(bodies(legacy), expected, 'legacy got the writes in order, and never the skipped one');
    assert.deepEqual(bodies(fresh), expected);
    assert.deepEqual([writes.legacy.most, writes.new.most], [1, 1], 'one write at a time on each side');
    assert.ok(fresh.seen.every((x) => x.headers['x-phoenix-shadow'] === '1'));
    assert.ok(fresh.seen.every((x) => x.headers['x-phoenix-family'] === undefined));
    const w = (await admin.getStats('writes')).stats;
    assert.equal(w.parity.mismatches, 0);
  });

  it('puts unsafe mirrors back in the order nginx took them on, and counts one that came too late for it', async () => {
    const reordering = await startComparator({
      plan: comparatorPlan,
      port: 0,
      adminPort: 0,
      adminToken: 'test-token',
      allowUnsafe: true,
      reorderMs: 1000,
    });
    const a = createRouterAdminClient({ baseUrl: reordering.adminUrl, token: 'test-token' });
    try {
      legacy.seen.length = 0;
      fresh.seen.length = 0;
      const t = Date.now();
      // Arrived 1, 3, 2: writes on different client connections that nginx took on as 1, 2, 3.
      for (const n of [1, 3, 2])
        assert.equal(
          await mirror(`/api/writes/${n}`, { method: 'POST', body: `{"n":${n}}`, takenAt: t + n, to: reordering }),
          204,
        );
      await waitFor('3 write comparisons', async () => (await a.getStats('writes')).stats.parity.samples >= 3);
      const bodies = (u: TestUpstream) => u.seen.filter((x) => x.method === 'POST').map((x) => x.body);
      const expected = [1, 2, 3].map((n) => `{"n":${n}}`);
      assert.deepEqual(bodies(legacy), expected);
      assert.deepEqual(bodies(fresh), expected);
      assert.ok(
        fresh.seen.every((x) => x.headers['x-phoenix-taken-at'] === undefined),
        "nginx's stamp stays here",
      );
      assert.equal((await readMetrics(reordering.adminUrl)).get('phoenix_comparator_unsafe_out_of_order_total'), 0);

      // Taken on before write 3, which already went on: it goes on too, counted.
      assert.equal(await mirror('/api/writes/0', { method: 'POST', body: '{"n":0}', takenAt: t, to: reordering }), 204);
      await waitFor('the late write compared', async () => (await a.getStats('writes')).stats.parity.samples >= 4);
      assert.deepEqual(bodies(fresh), [...expected, '{"n":0}']);
      assert.equal((await readMetrics(reordering.adminUrl)).get('phoenix_comparator_unsafe_out_of_order_total'), 1);
    } finally {
      await a.close();
      await reordering.close();
    }
  });

  it('counts requests of no family, or of another family than nginx named, and compares nothing for them', async () => {
    const before = await readMetrics(comparator.adminUrl);
    assert.equal(await mirror('/nowhere', { family: 'items' }), 204);
    assert.equal(await mirror('/api/items/7', { family: 'writes' }), 204);
    assert.equal(await mirror('/api/items/a%2Fb', { family: 'items' }), 204);
    const m = await readMetrics(comparator.adminUrl);
    const delta = (k: string): number => (m.get(k) ?? 0) - (before.get(k) ?? 0);
    assert.equal(delta('phoenix_comparator_mirrors_received_total'), 3);
    assert.equal(delta('phoenix_comparator_mirrors_unmatched_total'), 2);
    assert.equal(delta('phoenix_refused_targets_total'), 1);
    assert.equal(delta('phoenix_shadow_comparisons_total{family="items"}'), 0);
  });
});
