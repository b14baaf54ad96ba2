import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type http from 'node:http';
import { request } from 'undici';
import { createRouterAdminClient, type RouterAdminClient } from '../../src/router/client.js';
import type { RunningRouter } from '../../src/router/server.js';
import { closeAll, json, planFor, router, upstream, type TestUpstream } from './support.js';

let legacy: TestUpstream;
let candidate: TestUpstream;
let r: RunningRouter;
let admin: RouterAdminClient;
let version = 0;

function redirect(res: http.ServerResponse, status: number, location: string): void {
  res.writeHead(status, { location, 'content-length': '0' });
  res.end();
}

/** The part of a path after its family prefix (`/api/users/x/` → `x/`). */
const tail = (url: string): string => url.split('/').slice(3).join('/');

before(async () => {
  legacy = await upstream((req, res) => {
    const base = `${legacy.url}${req.url!.split('/').slice(0, 3).join('/')}`;
    switch (tail(req.url!)) {
      case 'x': // Absolute, on its own origin: a client must be sent back through the router.
        return redirect(res, 308, `${base}/x/`);
      case 'x/':
        return json(res, 200, { ok: 1 }, { 'content-location': `${base}/x/` });
      case 'moved':
        return redirect(res, 302, 'a');
      case 'away':
        return redirect(res, 302, 'http://example.com/elsewhere');
      case 'host':
        return json(res, 200, { host: req.headers.host });
      case 'drawn':
        return redirect(res, 301, `${base}/drawn/final`);
      case 'drawn/final': // A number drawn anew on every answer: noise, on both sides.
        return json(res, 200, { id: 'drawn', n: Math.floor(Math.random() * 1e9) });
      default:
        return json(res, 200, { id: tail(req.url!) });
    }
  });
  candidate = await upstream((req, res) => {
    const base = `${candidate.url}${req.url!.split('/').slice(0, 3).join('/')}`;
    switch (tail(req.url!)) {
      case 'x':
        return json(res, 200, { ok: 1 });
      case 'x/': // Relative, the other way round.
        return redirect(res, 307, '/api/users/x');
      case 'abs':
        return redirect(res, 301, `${base}/x`);
      case 'moved':
        return redirect(res, 302, `${base}/b`);
      case 'host':
        return json(res, 200, { host: req.headers.host });
      case 'drawn':
        return redirect(res, 308, `${base}/drawn/final`);
      case 'drawn/final':
        return json(res, 200, { id: 'drawn', n: Math.floor(Math.random() * 1e9) });
      default:
        return json(res, 200, { id: tail(req.url!) });
    }
  });
  const { plan, dir } = await planFor(
    legacy.url,
    candidate.url,
    {},
    { name: 'strict', routes: ['/api/strict/*'], new: candidate.url, diff: { blocking: ['redirect'] } },
    { name: 'hosted', routes: ['/api/hosted/*'], new: candidate.url, preserveHost: { legacy: true } },
  );
  plan.router.shadowMaxBusy = 1;
  r = await router(plan, dir);
  admin = createRouterAdminClient({ baseUrl: r.adminUrl, token: 'test-token' });
});
after(() => closeAll(admin, r, legacy, candidate));

async function mode(family: string, m: 'shadow' | 'new'): Promise<void> {
  await admin.setRoute(family, { mode: m, percent: 0, version: ++version, sampleRate: 1 });
  // Comparisons of earlier requests land before the figures are reset.
  await admin.waitForComparisons(family);
  await admin.resetStats(family);
}

async function get(path: string, headers: Record<string, string> = {}) {
  const res = await request(`${r.url}${path}`, { headers });
  await res.body.dump();
  return res;
}

describe('redirects', () => {
  test('Location and Content-Location pointing at the upstream are rewritten to the client’s origin', async () => {
    await mode('users', 'shadow');
    const res = await get('/api/users/x');
    assert.equal(res.statusCode, 308);
    assert.equal(res.headers.location, `${r.url}/api/users/x/`);
    const shop = await get('/api/users/x/', { host: 'shop.example:8443' });
    assert.equal(shop.headers['content-location'], 'http://shop.example:8443/api/users/x/');
    assert.equal((await get('/api/users/away')).headers.location, 'http://example.com/elsewhere', 'other origin kept');
    assert.equal((await get('/api/users/moved')).headers.location, 'a', 'relative kept');
    await mode('users', 'new');
    assert.equal((await get('/api/users/abs')).headers.location, `${r.url}/api/users/x`, 'the new upstream too');
    assert.equal((await get('/api/users/x/')).headers.location, '/api/users/x');
  });

  test('opposite trailing-slash redirects to the same answer are not a mismatch, and are reported', async () => {
    await mode('users', 'shadow');
    const before = (await admin.getStats('users')).informational.redirect ?? 0;
    await get('/api/users/x');
    await get('/api/users/x/');
    await admin.waitForComparisons('users');
    const s = await admin.getStats('users');
    assert.deepEqual([s.stats.parity.samples, s.stats.parity.mismatches], [2, 0]);
    assert.equal((s.informational.redirect ?? 0) - before, 2, 'both differing chains reported as informational');
    const notes = await admin.getInformational('users', 2);
    notes.sort((a, b) => a.path.localeCompare(b.path));
    assert.deepEqual(
      notes.map((n) => [n.path, n.differences]),
      [
        ['/api/users/x', [{ path: '$redirect', kind: 'redirect', legacy: ['308 /api/users/x/'], candidate: [] }]],
        ['/api/users/x/', [{ path: '$redirect', kind: 'redirect', legacy: [], candidate: ['307 /api/users/x'] }]],
      ],
    );
  });

  test('noise in the answer a redirect leads to is learned there: legacy is asked again at the final URL', async () => {
    await mode('users', 'shadow');
    for (let i = 0; i < 10; i++) await get('/api/users/drawn');
    await admin.waitForComparisons('users');
    const s = await admin.getStats('users');
    assert.deepEqual([s.stats.parity.samples, s.stats.parity.mismatches], [10, 0]);
    const { routes } = await admin.getNoise('users');
    const learned = Object.values(routes).flat();
    assert.ok(
      learned.some((n) => n.path === '$.n'),
      `the drawn number is noise: ${JSON.stringify(routes)}`,
    );
  });

  test('a redirect to a different final answer is a mismatch', async () => {
    await mode('users', 'shadow');
    await get('/api/users/moved');
    await admin.waitForComparisons('users');
    const s = await admin.getStats('users');
    assert.equal(s.stats.parity.mismatches, 1);
    const [m] = await admin.getMismatches('users', 1);
    assert.deepEqual(
      m!.differences.map((d) => [d.path, d.kind, d.legacy, d.candidate]),
      [['$.id', 'value', 'a', 'b']],
      'the final answers are compared',
    );
  });

  test('with diff.blocking: [redirect], a differing chain counts as a mismatch with both chains', async () => {
    await mode('strict', 'shadow');
    await get('/api/strict/x');
    await admin.waitForComparisons('strict');
    assert.equal((await admin.getStats('strict')).stats.parity.mismatches, 1);
    const [m] = await admin.getMismatches('strict', 1);
    assert.deepEqual(m!.differences, [
      { path: '$redirect', kind: 'redirect', legacy: ['308 /api/strict/x/'], candidate: [] },
    ]);
  });

  test('preserveHost forwards the client’s Host to that upstream only', async () => {
    await mode('hosted', 'shadow');
    legacy.seen.length = 0;
    candidate.seen.length = 0;
    const res = await request(`${r.url}/api/hosted/host`, { headers: { host: 'shop.example' } });
    assert.deepEqual(await res.body.json(), { host: 'shop.example' });
    await admin.waitForComparisons('hosted');
    const mirrored = candidate.seen.find((s) => s.url === '/api/hosted/host');
    assert.equal(mirrored?.headers.host, new URL(candidate.url).host, 'the new upstream keeps its own Host');
  });
});
