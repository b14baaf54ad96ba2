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
  legacy = await upstream((req, res) => json(res, 200, { id: req.url, name: 'x' }));
  candidate = await upstream((req, res) => json(res, 200, { id: req.url, name: 'x', slug: 'x' }));
  const { plan, dir } = await planFor(legacy.url, candidate.url);
  // The test's own requests share the router's thread; that busy time must not drop samples.
  plan.router.shadowMaxBusy = 1;
  r = await router(plan, dir);
  admin = createRouterAdminClient({ baseUrl: r.adminUrl, token: 'test-token' });
  await admin.setRoute('users', { mode: 'shadow', percent: 0, version: 1, sampleRate: 1 });
});
after(() => closeAll(admin, r, legacy, candidate));

let sent = 0;
/** Sends `n` requests with their own request ids and waits for their comparisons. */
async function send(n: number): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < n; i++) {
    const id = `req-${++sent}`;
    const res = await request(`${r.url}/api/users/${sent}`, { headers: { 'x-request-id': id } });
    await res.body.dump();
    ids.push(id);
  }
  await admin.waitForComparisons('users');
  return ids;
}

describe('signatures and triage on the admin API', () => {
  test('differences are listed by signature with example request ids; accepting one makes them matches', async () => {
    const ids = await send(6);
    const { signatures, decisions } = await admin.getSignatures('users');
    assert.deepEqual(decisions, []);
    assert.deepEqual(
      signatures.map((s) => [s.text, s.count]),
      [['GET /api/users/:id $.slug extra', 6]],
    );
    const sig = signatures[0]!;
    // Comparisons finish in any order (the route's first sample waits for a noise lesson).
    const examples = sig.examples.map((e) => e.requestId);
    assert.equal(new Set(examples).size, 3);
    for (const e of examples) assert.ok(ids.includes(e), `${e} is one of ${ids.join(', ')}`);
    assert.deepEqual(sig.examples[0]!.candidate, 'x');
    assert.ok(sig.firstSeen <= sig.lastSeen);
    assert.equal((await admin.getStats('users')).stats.parity.mismatches, 6);

    const entry = {
      id: sig.id,
      decision: 'accept' as const,
      reason: 'slugs are new',
      by: 'alice',
      at: new Date().toISOString(),
    };
    await admin.setTriage('users', [entry]);
    // Idempotent: the same set again changes nothing.
    assert.deepEqual((await admin.setTriage('users', [entry])).decisions, [entry]);
    await send(4);
    const { stats } = await admin.getStats('users');
    assert.equal(stats.parity.mismatches, 6);
    assert.equal(stats.parity.accepted, 4);
    assert.equal(stats.parity.triage?.untriaged, 0);
    assert.equal((await admin.getSignatures('users')).signatures[0]!.decision, 'accept');
  });

  test('a bad decision set is refused naming the field', async () => {
    const res = await request(`${r.adminUrl}/v1/families/users/triage`, {
      method: 'PUT',
      headers: { authorization: 'Bearer test-token', 'content-type': 'application/json' },
      body: JSON.stringify({ decisions: [{ id: 'abc', decision: 'maybe', by: 'a', at: 'now' }] }),
    });
    assert.equal(res.statusCode, 400);
    const body = (await res.body.json()) as { error: { message: string } };
    assert.match(body.error.message, /decisions\.0\.id: expected a 12-hex-digit signature id/);
    assert.match(body.error.message, /decisions\.0\.decision: expected one of "accept", "noise", "block"/);
  });
});
