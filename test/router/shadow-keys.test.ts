import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { request } from 'undici';
import { createRouterAdminClient, type RouterAdminClient } from '../../src/router/client.js';
import type { RunningRouter } from '../../src/router/server.js';
import { waitFor } from '../helpers/wait.js';
import { closeAll, json, planFor, router, upstream, type Handler, type TestUpstream } from './support.js';

let legacy: TestUpstream;
let candidate: TestUpstream;
let r: RunningRouter;
let admin: RouterAdminClient;
let version = 0;

const text = (res: Parameters<Handler>[1], body: string): void => {
  res.writeHead(200, { 'content-type': 'text/plain' });
  res.end(body);
};

const legacyClock = new Date().toISOString();
const newClock = new Date(Date.now() + 1500).toISOString();

/** One app, twice: the new side changed `/api/users/readme` only. */
const app =
  (isNew: boolean): Handler =>
  (req, res) => {
    if (req.url === '/api/users/export') return text(res, `id\n1\n# r${randomBytes(6).toString('hex')}7\n`);
    if (req.url === '/api/users/readme') return text(res, isNew ? 'Users and teams.' : 'Users.');
    // Each side's own clock reading, the same on every answer of that side: resampling legacy
    // never sees it change, as with a second-resolution clock that has not ticked.
    if (req.url === '/api/users/clock') return json(res, 200, { served_at: isNew ? newClock : legacyClock, ok: true });
    if (req.method === 'POST')
      return json(res, 201, {
        id: randomUUID(),
        created_at: new Date().toISOString(),
        token: randomBytes(16).toString('hex'),
      });
    return json(res, 404, { error: 'not found' });
  };

before(async () => {
  legacy = await upstream(app(false));
  candidate = await upstream(app(true));
  const { plan, dir } = await planFor(legacy.url, candidate.url, { parity: { mirrorUnsafe: true } });
  plan.router.shadowMaxBusy = 1;
  r = await router(plan, dir);
  admin = createRouterAdminClient({ baseUrl: r.adminUrl, token: 'test-token' });
});
after(() => closeAll(admin, r, legacy, candidate));

async function shadow(): Promise<void> {
  await admin.setRoute('users', { mode: 'shadow', percent: 0, version: ++version, sampleRate: 1 });
  await admin.resetStats('users');
}

async function samples(n: number): Promise<void> {
  await waitFor(`${n} comparisons`, async () => (await admin.getStats('users')).stats.parity.samples >= n);
}

describe('shadow comparisons keyed by route template, with value classes', () => {
  test('body noise learned on one text route of a wildcard family does not hide another route’s regression', async () => {
    await shadow();
    for (let i = 0; i < 3; i++) await (await request(`${r.url}/api/users/export`)).body.dump();
    await samples(3);
    for (let i = 0; i < 3; i++) await (await request(`${r.url}/api/users/readme`)).body.dump();
    await samples(6);
    const noise = await admin.getNoise('users');
    assert.deepEqual(
      noise.routes['GET /api/users/export']?.map((p) => [p.path, p.reason]),
      // The export's third value (its random stamp), not its whole body.
      [['$body.token3', 'resampled']],
    );
    const s = (await admin.getStats('users')).stats;
    assert.equal(s.parity.mismatches, 3, 'every readme comparison is a mismatch');
    assert.deepEqual(
      s.parity.topPaths.map((p) => [p.path, p.route, p.count]),
      [['$body', 'GET /api/users/readme', 3]],
    );
  });

  test('"now" timestamps that resampling did not learn are noise on safe routes too, ids are not', async () => {
    await shadow();
    for (let i = 0; i < 12; i++) await (await request(`${r.url}/api/users/clock`)).body.dump();
    await samples(12);
    const s = (await admin.getStats('users')).stats;
    assert.equal(s.parity.mismatches, 0, JSON.stringify(s.parity.topPaths));
    assert.deepEqual(
      (await admin.getNoise('users')).routes['GET /api/users/clock']?.map((p) => [p.path, p.reason, p.valueClass]),
      [['$.served_at', 'value-class', 'timestamp']],
    );
  });

  test('fresh ids, tokens and timestamps in mirrored POST answers are class noise, listed with their class', async () => {
    await shadow();
    for (let i = 0; i < 4; i++)
      await (
        await request(`${r.url}/api/users/${1000 + i}/keys`, {
          method: 'POST',
          body: '{}',
          headers: { 'content-type': 'application/json' },
        })
      ).body.dump();
    await samples(4);
    const s = (await admin.getStats('users')).stats;
    assert.equal(s.parity.mismatches, 0, JSON.stringify(s.parity.topPaths));
    assert.equal(s.parity.matches, 4);
    const listed = (await admin.getNoise('users')).routes['POST /api/users/:id/keys'] ?? [];
    assert.deepEqual(
      listed.map((p) => [p.path, p.reason, p.valueClass]).filter(([path]) => path !== '$.created_at'),
      [
        ['$.id', 'value-class', 'uuid'],
        ['$.token', 'value-class', 'hex'],
      ],
    );
  });
});
