/**
 * The built-in router toward `https://` legacy and new services, as `phoenix router` runs: a real
 * router process trusting a private CA through `NODE_EXTRA_CA_CERTS`, real HTTPS servers with
 * openssl-made certificates, and one whose certificate nobody trusts.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { request } from 'undici';
import { createRouterAdminClient, type RouterAdminClient } from '../../src/router/client.js';
import { writePlanFile } from '../helpers/plan-builder.js';
import { freePort } from '../helpers/ports.js';
import { PHOENIX_BIN, routerArgs, routerReady } from '../helpers/router-process.js';
import { httpsUpstream, selfSignedCert, type HttpsUpstream } from '../helpers/tls.js';

let dir: string;
let legacy: HttpsUpstream;
let fresh: HttpsUpstream;
let rogue: HttpsUpstream;
let router: ChildProcess | undefined;
let url: string;
let admin: RouterAdminClient;

before(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'phx-router-https-'));
  const [legacyCert, newCert, rogueCert] = await Promise.all(
    ['legacy', 'new', 'rogue'].map((name) => selfSignedCert(dir, name)),
  );
  legacy = await httpsUpstream('legacy', legacyCert!);
  fresh = await httpsUpstream('new', newCert!);
  rogue = await httpsUpstream('rogue', rogueCert!);
  // The private CA bundle: legacy's and new's certificates, not rogue's.
  const bundle = path.join(dir, 'private-ca.pem');
  await writeFile(bundle, legacyCert!.cert + newCert!.cert);
  const plan = path.join(dir, 'plan.yaml');
  await writePlanFile(plan, {
    version: 1,
    name: 'https-upstreams',
    legacy: legacy.url,
    approvers: ['alice'],
    families: [
      { name: 'users', routes: ['GET /api/users/*'], new: fresh.url },
      { name: 'orders', routes: ['GET /api/orders/*', 'POST /api/orders'], new: rogue.url },
    ],
  });
  const [port, adminPort] = [await freePort(), await freePort()];
  router = spawn(process.execPath, [PHOENIX_BIN, ...routerArgs(plan, port, adminPort, path.join(dir, 'state.json'))], {
    stdio: ['ignore', 'ignore', 'pipe'],
    env: { ...process.env, PHOENIX_LOG_LEVEL: 'error', NODE_EXTRA_CA_CERTS: bundle },
  });
  router.stderr?.on('data', (b: Buffer) => process.stderr.write(b));
  await routerReady(adminPort);
  url = `http://127.0.0.1:${port}`;
  admin = createRouterAdminClient({ baseUrl: `http://127.0.0.1:${adminPort}` });
});

after(async () => {
  if (router !== undefined && router.exitCode === null) {
    const exited = new Promise((r) => router!.once('exit', r));
    router.kill('SIGTERM');
    await exited;
  }
  await Promise.all([legacy?.close(), fresh?.close(), rogue?.close()]);
  await rm(dir, { recursive: true, force: true });
});

async function get(p: string, method = 'GET'): Promise<{ status: number; body: Record<string, unknown> }> {
  const r = await request(`${url}${p}`, { method });
  return { status: r.statusCode, body: (await r.body.json()) as Record<string, unknown> };
}

describe('the built-in router toward https:// services', () => {
  test('proxies to legacy and new over TLS, with their own Host, trusting the CA NODE_EXTRA_CA_CERTS names', async () => {
    assert.deepEqual(await get('/api/users/7'), { status: 200, body: { side: 'legacy' } });
    await admin.setRoute('users', { mode: 'new', percent: 100, version: 1 });
    assert.deepEqual(await get('/api/users/7'), { status: 200, body: { side: 'new' } });
    assert.deepEqual(fresh.seen, [`GET /api/users/7 ${new URL(fresh.url).host}`]);
    assert.deepEqual(legacy.seen, [`GET /api/users/7 ${new URL(legacy.url).host}`]);
  });

  test('shadow compares both answers over TLS', async () => {
    await admin.setRoute('users', { mode: 'shadow', percent: 0, version: 2, sampleRate: 1 });
    await admin.resetStats('users');
    assert.deepEqual(await get('/api/users/8'), { status: 200, body: { side: 'legacy' } });
    await admin.waitForComparisons('users');
    const { stats } = await admin.getStats('users');
    assert.equal(stats.parity.samples, 1);
    // The two services answer with their own names: the comparison saw both bodies.
    assert.equal(stats.parity.mismatches, 1);
  });

  test('a certificate the router does not trust fails new as an unreachable service: GET falls back, POST gets 502', async () => {
    await admin.setRoute('orders', { mode: 'new', percent: 100, version: 1 });
    await admin.resetStats('orders');
    assert.deepEqual(await get('/api/orders/1'), { status: 200, body: { side: 'legacy' } });
    const post = await get('/api/orders', 'POST');
    assert.equal(post.status, 502);
    assert.equal((post.body.error as { code?: string } | undefined)?.code, 'PHX_ERR_UPSTREAM_UNAVAILABLE');
    assert.deepEqual(rogue.seen, [], 'no request reached the service whose certificate failed');
    const { stats } = await admin.getStats('orders');
    assert.equal(stats.fallbacks, 1);
  });
});
