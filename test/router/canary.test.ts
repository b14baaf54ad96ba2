import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Agent, request } from 'undici';
import { validatePlan, type Plan, type PlanInput } from '../../src/plan/index.js';
import { createRouterAdminClient, type RouterAdminClient } from '../../src/router/client.js';
import type { RunningRouter } from '../../src/router/server.js';
import { closeAll, json, planFor, router, upstream, type TestUpstream } from './support.js';

let legacy: TestUpstream;
let candidate: TestUpstream;
const agent = new Agent({ connections: 16 });

before(async () => {
  legacy = await upstream((_req, res) => json(res, 200, { from: 'legacy' }));
  candidate = await upstream((_req, res) => json(res, 200, { from: 'new' }));
});
after(() => closeAll(agent, legacy, candidate));

/** A router whose family `pages` uses the default sticky key (the client address). */
async function start(trustedProxies: string[]): Promise<{ r: RunningRouter; admin: RouterAdminClient }> {
  const { plan, dir } = await planFor(
    legacy.url,
    candidate.url,
    {},
    { name: 'pages', routes: ['/api/pages/*'], new: candidate.url },
  );
  plan.router.trustedProxies = trustedProxies;
  const r = await router(plan, dir);
  return { r, admin: createRouterAdminClient({ baseUrl: r.adminUrl, token: 'test-token' }) };
}

/** Sends one request per client (16 at a time); returns how many the new service answered. */
async function sendAll(url: string, clients: Record<string, string>[]): Promise<number> {
  let onNew = 0;
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < clients.length) {
      const headers = clients[next++]!;
      const res = await request(`${url}/api/pages/home`, { headers, dispatcher: agent });
      const body = (await res.body.json()) as { from: string };
      if (body.from === 'new') onNew++;
    }
  };
  await Promise.all(Array.from({ length: 16 }, worker));
  return onNew;
}

const v4Clients = Array.from({ length: 10_000 }, (_, i) => ({
  // The client, then an inner proxy that is trusted too: the rightmost untrusted hop is the client.
  'x-forwarded-for': `198.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}, 127.0.0.9`,
}));
// Fewer at 5%: 2,500 clients put ±2 points 4.6 standard deviations of a fair split away, as 10,000
// do at 25% (the split is a hash of the client, so either count gives the same share every run).
const v6Clients = Array.from({ length: 2_500 }, (_, i) => ({
  forwarded: `for="[2001:db8::${i.toString(16)}]:4711";proto=https`,
}));

describe('canary behind proxies', () => {
  test('behind a trusted proxy, forwarded clients (10,000 IPv4, 2,500 IPv6) split within ±2 points of the percent', async () => {
    const { r, admin } = await start(['127.0.0.0/8', '::1/128']);
    try {
      let version = 0;
      for (const [percent, clients, header] of [
        [25, v4Clients, 'X-Forwarded-For'],
        [5, v6Clients, 'Forwarded'],
      ] as const) {
        await admin.setRoute('pages', { mode: 'canary', percent, version: ++version, sampleRate: 0 });
        await admin.resetStats('pages');
        const onNew = await sendAll(r.url, clients);
        const share = (100 * onNew) / clients.length;
        assert.ok(Math.abs(share - percent) <= 2, `${header}: ${share.toFixed(2)}% on new at ${percent}%`);
        const users = (await admin.getStats('pages')).stats.canary.distinctUsers;
        assert.ok(
          users > clients.length / 2,
          `${header}: ${users} distinct users counted for ${clients.length} clients`,
        );
      }
    } finally {
      await closeAll(admin, r);
    }
  });

  test('forwarding headers from a peer that is not a trusted proxy are ignored', async () => {
    const { r, admin } = await start(['10.0.0.0/8']);
    try {
      await admin.setRoute('pages', { mode: 'canary', percent: 50, version: 1, sampleRate: 0 });
      await admin.resetStats('pages');
      const clients = v4Clients.slice(0, 400);
      const onNew = await sendAll(r.url, [...clients, ...v6Clients.slice(0, 400)]);
      assert.ok(onNew === 0 || onNew === 800, `all requests one way, ${onNew} of 800 on new`);
      assert.equal((await admin.getStats('pages')).stats.canary.distinctUsers, 1);
    } finally {
      await closeAll(admin, r);
    }
  });

  test("a client's own X-Forwarded-Proto and -Host reach legacy only through a trusted proxy", async () => {
    const claimed = { 'x-forwarded-proto': 'https', 'x-forwarded-host': 'bank.example' };
    for (const [proxies, expected] of [
      [[], { proto: 'http', host: /^127\.0\.0\.1:\d+$/ }],
      [['127.0.0.1'], { proto: 'https', host: /^bank\.example$/ }],
    ] as const) {
      const { r, admin } = await start([...proxies]);
      try {
        const res = await request(`${r.url}/api/users/1`, { headers: claimed, dispatcher: agent });
        await res.body.dump();
        const seen = legacy.seen.at(-1)!;
        assert.equal(seen.headers['x-forwarded-proto'], expected.proto, `trusted: ${proxies.join(',') || 'none'}`);
        assert.match(String(seen.headers['x-forwarded-host']), expected.host);
      } finally {
        await closeAll(admin, r);
      }
    }
  });

  test('a bad CIDR in router.trustedProxies is refused, naming the field', async () => {
    const withProxies = (trustedProxies: string[]): Promise<Plan> =>
      validatePlan({
        version: 1,
        name: 'p',
        legacy: 'http://127.0.0.1:5000',
        approvers: ['alice'],
        router: { trustedProxies },
        families: [{ name: 'a', routes: ['/a/*'], new: 'http://127.0.0.1:5001' }],
      } satisfies PlanInput);
    const plan = await withProxies(['10.0.0.0/8', 'fd00::/8', '192.0.2.1']);
    assert.deepEqual(plan.router.trustedProxies, ['10.0.0.0/8', 'fd00::/8', '192.0.2.1']);
    for (const [bad, why] of [
      ['10.0.0.0/33', /prefix length/],
      ['10.0.0/8', /not an IPv4 or IPv6 address/],
      ['fd00::/129', /prefix length/],
    ] as const) {
      await assert.rejects(withProxies(['10.0.0.0/8', bad]), (e: Error) => {
        assert.match(e.message, /router\.trustedProxies\[1\]/);
        assert.match(e.message, why);
        return true;
      });
    }
  });
});
