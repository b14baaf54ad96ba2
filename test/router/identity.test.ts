import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type http from 'node:http';
import { request } from 'undici';
import { createRouterAdminClient, type RouterAdminClient } from '../../src/router/client.js';
import type { RunningRouter } from '../../src/router/server.js';
import { hasCode } from '../../src/lib/errors.js';
import { validatePlan } from '../../src/plan/load.js';
import type { FamilyOverrides } from '../helpers/plan-builder.js';
import { closeAll, json, planFor, router, upstream, type TestUpstream } from './support.js';

/** Legacy accepts its own tokens `L-<user>`, new its own `N-<user>`: two independent JWT secrets in miniature. */
const LEGACY_TOKENS = new Map([
  ['Bearer L-ana', 'ana'],
  ['Bearer L-bo', 'bo'],
]);
const NEW_TOKENS = new Map([
  ['Bearer N-ana', 'ana'],
  ['Bearer N-bo', 'bo'],
  ['Bearer N-service', 'service'],
]);

let legacy: TestUpstream;
let candidate: TestUpstream;
let tokens: TestUpstream;
let exchanges = 0;

function checker(accepted: Map<string, string>): (req: http.IncomingMessage, res: http.ServerResponse) => void {
  return (req, res) => {
    const user = accepted.get(String(req.headers.authorization));
    if (user === undefined) return json(res, 401, { error: 'bad token' });
    // New moved /api/users/moved to /api/users/moved/; legacy answers it where it is.
    if (accepted === NEW_TOKENS && req.url === '/api/users/moved') {
      res.writeHead(308, { location: '/api/users/moved/', 'content-length': 0 });
      return res.end();
    }
    // The body does not depend on who asked, so an identity that works compares equal.
    json(res, 200, { path: req.url?.replace(/(.)\/$/, '$1'), ok: true });
  };
}

before(async () => {
  legacy = await upstream(checker(LEGACY_TOKENS));
  candidate = await upstream(checker(NEW_TOKENS));
  // A token service that knows both: it swaps a legacy token for the same user's new token.
  tokens = await upstream((req, res) => {
    exchanges++;
    const user = LEGACY_TOKENS.get(String(req.headers.authorization));
    if (user === undefined) return json(res, 403, { error: 'unknown' });
    json(res, 200, { token: `N-${user}`, expires_in: 300 });
  });
});
after(() => closeAll(legacy, candidate, tokens));

async function start(
  family: FamilyOverrides,
  env: Record<string, string> = {},
): Promise<{ r: RunningRouter; admin: RouterAdminClient }> {
  const { plan, dir } = await planFor(legacy.url, candidate.url, family);
  plan.router.shadowMaxBusy = 1;
  const saved = Object.fromEntries(Object.keys(env).map((k) => [k, process.env[k]]));
  Object.assign(process.env, env);
  try {
    const r = await router(plan, dir);
    return { r, admin: createRouterAdminClient({ baseUrl: r.adminUrl, token: 'test-token' }) };
  } finally {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  }
}

/** Sends `n` authenticated GETs per user in shadow mode and returns the family's parity figures. */
async function shadowRun(
  r: RunningRouter,
  admin: RouterAdminClient,
  n: number,
): Promise<{ samples: number; mismatches: number }> {
  await admin.setRoute('users', { mode: 'shadow', percent: 0, version: 1, sampleRate: 1 });
  await admin.resetStats('users');
  for (let i = 0; i < n; i++)
    for (const auth of LEGACY_TOKENS.keys()) {
      const res = await request(`${r.url}/api/users/${i}`, { headers: { authorization: auth } });
      assert.equal(res.statusCode, 200, 'the client always gets legacy, which accepts its token');
      await res.body.text();
    }
  await admin.waitForComparisons('users');
  const p = (await admin.getStats('users')).stats.parity;
  return { samples: p.samples, mismatches: p.mismatches };
}

function newSawLegacyToken(): boolean {
  return candidate.seen.some((s) => String(s.headers.authorization ?? '').startsWith('Bearer L-'));
}

describe('identity per side', () => {
  test('without identity every authenticated mirror is a 401 mismatch', async () => {
    const { r, admin } = await start({});
    try {
      const p = await shadowRun(r, admin, 5);
      assert.equal(p.samples, 10);
      assert.equal(p.mismatches, 10);
      const m = await admin.getMismatches('users', 1);
      assert.deepEqual(
        m[0]?.differences.find((d) => d.path === '$status'),
        { path: '$status', kind: 'status', legacy: 200, candidate: 401 },
      );
    } finally {
      await closeAll(admin, r);
    }
  });

  test("a credential from new's own environment variable replaces the client's on every mirror", async () => {
    candidate.seen.length = 0;
    const { r, admin } = await start(
      { identity: { new: { headers: { Authorization: { env: 'PHX_TEST_NEW_TOKEN', prefix: 'Bearer ' } } } } },
      { PHX_TEST_NEW_TOKEN: 'N-service' },
    );
    try {
      const p = await shadowRun(r, admin, 5);
      assert.deepEqual(p, { samples: 10, mismatches: 0 });
      assert.ok(candidate.seen.length >= 10);
      assert.equal(newSawLegacyToken(), false, "the client's credential never reaches new");
      assert.ok(candidate.seen.every((s) => s.headers.authorization === 'Bearer N-service'));
    } finally {
      await closeAll(admin, r);
    }
  });

  test('a token exchange is cached per client credential, and serves mirrors and canary requests', async () => {
    candidate.seen.length = 0;
    exchanges = 0;
    const { r, admin } = await start({
      identity: {
        new: {
          headers: { authorization: { exchange: { url: `${tokens.url}/exchange`, ttl: '1m' }, prefix: 'Bearer ' } },
        },
      },
    });
    try {
      const p = await shadowRun(r, admin, 10);
      assert.deepEqual(p, { samples: 20, mismatches: 0 });
      assert.equal(exchanges, 2, 'one exchange per client credential, then the cache');
      assert.equal(newSawLegacyToken(), false);
      const users = new Set(candidate.seen.map((s) => s.headers.authorization));
      assert.deepEqual([...users].sort(), ['Bearer N-ana', 'Bearer N-bo']);

      await admin.setRoute('users', { mode: 'new', percent: 100, version: 2, sampleRate: 0 });
      const res = await request(`${r.url}/api/users/1`, { headers: { authorization: 'Bearer L-ana' } });
      assert.equal(res.statusCode, 200, 'new accepts the exchanged token');
      await res.body.text();
      assert.equal(exchanges, 2);
      // An exchange that fails sends the request to legacy, which still knows the client's token.
      const unknown = await request(`${r.url}/api/users/1`, { headers: { authorization: 'Bearer L-eve' } });
      assert.equal(unknown.statusCode, 401);
      assert.deepEqual(await unknown.body.json(), { error: 'bad token' });
      assert.equal(legacy.seen.at(-1)?.headers.authorization, 'Bearer L-eve');
    } finally {
      await closeAll(admin, r);
    }
  });

  test('a command exchange gets the client credential in its environment and prints the token', async () => {
    candidate.seen.length = 0;
    const script =
      "const c=process.env.PHOENIX_CLIENT_CREDENTIAL;process.stdout.write(JSON.stringify({token:'N-'+c.slice(9)}))";
    const { r, admin } = await start({
      identity: {
        new: {
          headers: { authorization: { exchange: { command: [process.execPath, '-e', script] }, prefix: 'Bearer ' } },
        },
      },
    });
    try {
      const p = await shadowRun(r, admin, 3);
      assert.deepEqual(p, { samples: 6, mismatches: 0 });
      assert.equal(newSawLegacyToken(), false);
    } finally {
      await closeAll(admin, r);
    }
  });

  test("new's redirect hops carry new's credential, so a moved route compares equal", async () => {
    candidate.seen.length = 0;
    const { r, admin } = await start(
      { identity: { new: { headers: { Authorization: { env: 'PHX_TEST_NEW_TOKEN', prefix: 'Bearer ' } } } } },
      { PHX_TEST_NEW_TOKEN: 'N-service' },
    );
    try {
      await admin.setRoute('users', { mode: 'shadow', percent: 0, version: 1, sampleRate: 1 });
      await admin.resetStats('users');
      for (let i = 0; i < 5; i++) {
        const res = await request(`${r.url}/api/users/moved`, { headers: { authorization: 'Bearer L-ana' } });
        assert.equal(res.statusCode, 200);
        await res.body.dump();
      }
      await admin.waitForComparisons('users');
      const p = (await admin.getStats('users')).stats.parity;
      assert.deepEqual({ samples: p.samples, mismatches: p.mismatches }, { samples: 5, mismatches: 0 });
      assert.ok(
        candidate.seen.some((s) => s.url === '/api/users/moved/'),
        'the hop was followed',
      );
      assert.equal(newSawLegacyToken(), false, "no hop carried the client's credential to new");
    } finally {
      await closeAll(admin, r);
    }
  });

  test("legacy's identity goes to legacy only, and new's to new only", async () => {
    legacy.seen.length = 0;
    candidate.seen.length = 0;
    const { r, admin } = await start(
      {
        identity: {
          legacy: { headers: { 'x-gateway-key': { env: 'PHX_TEST_GATEWAY_KEY' } } },
          new: { headers: { authorization: { env: 'PHX_TEST_NEW_TOKEN', prefix: 'Bearer ' } } },
        },
      },
      { PHX_TEST_GATEWAY_KEY: 'gw-1', PHX_TEST_NEW_TOKEN: 'N-service' },
    );
    try {
      const p = await shadowRun(r, admin, 2);
      assert.deepEqual(p, { samples: 4, mismatches: 0 });
      assert.ok(legacy.seen.length >= 4);
      assert.ok(legacy.seen.every((s) => s.headers['x-gateway-key'] === 'gw-1'));
      assert.ok(legacy.seen.every((s) => String(s.headers.authorization).startsWith('Bearer L-')));
      assert.ok(candidate.seen.every((s) => s.headers['x-gateway-key'] === undefined));
    } finally {
      await closeAll(admin, r);
    }
  });

  test('a missing variable stops the router at start, naming it; the secret is in no message', async () => {
    delete process.env.PHX_TEST_UNSET_TOKEN;
    await assert.rejects(
      start({ identity: { new: { headers: { authorization: { env: 'PHX_TEST_UNSET_TOKEN', prefix: 'Bearer ' } } } } }),
      (e: unknown) =>
        hasCode(e, 'PHX_ERR_IDENTITY_ENV_MISSING') &&
        /PHX_TEST_UNSET_TOKEN/.test((e as Error).message) &&
        /identity\.new\.headers\.authorization/.test((e as Error).message),
    );
  });

  test('the plan refuses a header with both or neither source, naming the field', async () => {
    const base = {
      version: 1,
      name: 'p',
      legacy: 'http://127.0.0.1:1',
      approvers: ['a'],
    } as const;
    const fam = (identity: unknown): unknown => ({
      ...base,
      families: [{ name: 'f', routes: ['GET /x'], new: 'http://127.0.0.1:2', identity }],
    });
    for (const [identity, message] of [
      [
        { new: { headers: { authorization: { env: 'A', exchange: { url: 'http://127.0.0.1:3' } } } } },
        /exactly one of env or exchange/,
      ],
      [{ new: { headers: { authorization: {} } } }, /exactly one of env or exchange/],
      [{ new: { headers: { authorization: { exchange: {} } } } }, /exactly one of url or command/],
      [{ new: { headers: { authorization: { env: 'not a name' } } } }, /environment variable name/],
      [{ other: {} }, /unknown key "other"/],
    ] as const) {
      await assert.rejects(
        validatePlan(fam(identity)),
        (e: unknown) => {
          const problems = (e as { problems: Array<{ path: string; message: string }> }).problems;
          return problems.some((p) => p.path.startsWith('families[0].identity') && message.test(p.message));
        },
        JSON.stringify(identity),
      );
    }
  });
});
