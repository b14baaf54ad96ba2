/**
 * `phoenix comparator --serve` behind a real nginx: nginx (from Debian) runs Phoenix's rendered
 * include file with four families in shadow (one with `mirrorUnsafe`), mirroring every request to
 * the comparator, run as the real command with `--allow-unsafe`. Clients get legacy's answers; the comparator sends each mirrored request to
 * legacy and new and compares them with the router's engine, and its admin API is read with the
 * router's own admin client and `phoenix parity diffs`.
 */
import assert from 'node:assert/strict';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { request } from 'undici';
import { createNginxProvider, type NginxProvider } from '../../src/nginx/provider.js';
import type { FamilyPlanInput } from '../../src/plan/index.js';
import { createRouterAdminClient, type RouterAdminClient } from '../../src/router/client.js';
import { readMetrics } from '../helpers/metrics.js';
import { testPlan, writePlanFile } from '../helpers/plan-builder.js';
import { freePort } from '../helpers/ports.js';
import { waitFor } from '../helpers/wait.js';
import { prepareNginx, type TestNginx } from '../nginx/support.js';
import { json, upstream, type TestUpstream } from '../router/support.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const TOKEN = 'comparator-test-token';

let dir: string;
let nginx: TestNginx;
let legacy: TestUpstream;
let fresh: TestUpstream;
let provider: NginxProvider;
let comparator: ChildProcess | undefined;
let exited: Promise<void> = Promise.resolve();
let output = '';
let adminUrl: string;
let listenUrl: string;
let admin: RouterAdminClient;

/** The answers both sides give: equal on catalog, a changed amount on new's prices, a fresh stamp each time. */
function answer(side: 'legacy' | 'new'): Parameters<typeof upstream>[0] {
  return (req, res, body) => {
    if (req.method === 'POST' && req.url === '/api/orders') return json(res, 201, JSON.parse(body.toString()));
    const id = Number(/\/(\d+)$/.exec(req.url ?? '')?.[1] ?? 0);
    if (req.url?.startsWith('/api/catalog/')) return json(res, 200, { id, title: `item ${id}`, tags: ['a', 'b'] });
    if (req.url?.startsWith('/api/prices/'))
      return json(res, 200, { id, amount: side === 'legacy' ? 100 + id : 90 + id, currency: 'EUR' });
    if (req.url?.startsWith('/api/stamps/')) return json(res, 200, { id, generated: Date.now() + Math.random() });
    json(res, 404, { error: 'no such route' });
  };
}

const seenOn = (u: TestUpstream, prefix: string): number => u.seen.filter((s) => s.url.startsWith(prefix)).length;

/** Sends `n` GETs through nginx and checks each client got legacy's answer. */
async function through(prefix: string, n: number): Promise<void> {
  for (let i = 1; i <= n; i++) {
    const res = await request(`${listenUrl}${prefix}${i}`);
    assert.equal(res.statusCode, 200);
    const body = (await res.body.json()) as { id: number; amount?: number };
    assert.equal(body.id, i);
    if (body.amount !== undefined) assert.equal(body.amount, 100 + i, "the client gets legacy's answer");
  }
}

function phoenix(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [path.join(ROOT, 'bin/phoenix.mjs'), ...args],
      { env: { ...process.env, PHOENIX_ADMIN_TOKEN: TOKEN }, timeout: 60_000, cwd: dir },
      (err, stdout, stderr) => resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

before(async () => {
  legacy = await upstream(answer('legacy'));
  fresh = await upstream(answer('new'));
  nginx = await prepareNginx();
  dir = await mkdtemp(path.join(os.tmpdir(), 'phx-comparator-'));
  const [mirrorPort, adminPort] = await Promise.all([freePort(), freePort()]);
  const family = (name: string): FamilyPlanInput => ({
    name,
    routes: [`GET /api/${name}/:id`],
    new: fresh.url,
    parity: { sampleRate: 1 },
  });
  const planFile = path.join(dir, 'plan.yaml');
  const plan = await writePlanFile(
    planFile,
    testPlan({
      legacy: legacy.url,
      router: { adminUrl: `http://127.0.0.1:${adminPort}` },
      dataPlane: nginx.dataPlane({ comparatorUrl: `http://127.0.0.1:${mirrorPort}` }),
      families: [
        family('catalog'),
        family('prices'),
        family('stamps'),
        { name: 'orders', routes: ['POST /api/orders'], new: fresh.url, parity: { sampleRate: 1, mirrorUnsafe: true } },
      ],
    }),
  );
  assert.equal(plan.dataPlane.kind, 'nginx');
  provider = await createNginxProvider({ legacy: plan.legacy, families: plan.families, dataPlane: plan.dataPlane });
  await provider.install();
  await nginx.start();
  listenUrl = nginx.listenUrl;
  for (const [i, name] of ['catalog', 'prices', 'stamps', 'orders'].entries())
    await provider.setRoute(name, { mode: 'shadow', percent: 0, version: i + 1, sampleRate: 1, updatedBy: 'test' });

  // Ports come from the plan: the mirror port from dataPlane.comparatorUrl, the admin API from router.adminUrl.
  const child = spawn(
    process.execPath,
    [path.join(ROOT, 'bin/phoenix.mjs'), 'comparator', '--serve', '--plan', planFile, '--allow-unsafe'],
    {
      cwd: dir,
      env: { ...process.env, PHOENIX_ADMIN_TOKEN: TOKEN },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  comparator = child;
  exited = new Promise((r) => child.once('exit', () => r()));
  child.stdout?.on('data', (b: Buffer) => (output += b.toString()));
  child.stderr?.on('data', (b: Buffer) => (output += b.toString()));
  adminUrl = `http://127.0.0.1:${adminPort}`;
  await waitFor('the comparator to listen', () => {
    if (child.exitCode !== null) throw new Error(`the comparator exited: ${output}`);
    return output.includes('comparator taking');
  });
  admin = createRouterAdminClient({ baseUrl: adminUrl, token: TOKEN });
});

after(async () => {
  await admin?.close();
  if (comparator && comparator.exitCode === null) {
    comparator.kill('SIGTERM');
    await exited;
  }
  await provider?.close();
  await nginx?.stop();
  await Promise.all([legacy?.close(), fresh?.close()]);
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('phoenix comparator --serve behind nginx', () => {
  it('finds no mismatch where both sides answer alike, at one extra legacy request per mirror plus the noise samples', async () => {
    await through('/api/catalog/', 10);
    await waitFor('10 catalog comparisons', async () => (await admin.getStats('catalog')).stats.parity.samples >= 10);
    await admin.waitForComparisons('catalog');
    const s = (await admin.getStats('catalog')).stats;
    assert.equal(s.parity.samples, 10);
    assert.equal(s.parity.mismatches, 0);
    assert.deepEqual(
      { sampled: s.shadow.sampled, mirrored: s.shadow.mirrored, dropped: s.shadow.dropped },
      {
        sampled: 10,
        mirrored: 10,
        dropped: 0,
      },
    );
    assert.equal(seenOn(fresh, '/api/catalog/'), 10, 'new got each mirrored request once');
    // nginx's own request, the comparator's, and (for a route's first 10 samples) a second one for noise.
    assert.equal(seenOn(legacy, '/api/catalog/'), 30);
    assert.deepEqual(await admin.getMismatches('catalog'), []);
  });

  it('flags a regressed route with a record at the request path, paged by cursor, and `phoenix parity diffs` reads it', async () => {
    await through('/api/prices/', 4);
    await waitFor('4 prices comparisons', async () => (await admin.getStats('prices')).stats.parity.samples >= 4);
    const s = (await admin.getStats('prices')).stats;
    assert.equal(s.parity.mismatches, 4);
    assert.deepEqual(
      s.parity.topPaths.map((p) => [p.path, p.kind, p.count, p.route]),
      [['$.amount', 'value', 4, 'GET /api/prices/:id']],
    );
    const first = await admin.pageMismatches('prices', 0, 3);
    assert.equal(first.items.length, 3);
    const rest = await admin.pageMismatches('prices', first.next, 3);
    assert.equal(rest.items.length, 1);
    // Safe requests are compared side by side (and wait for noise lessons), so records come in any order.
    const records = [...first.items, ...rest.items].sort((a, b) => a.path.localeCompare(b.path));
    assert.deepEqual(
      records.map((r) => r.path),
      ['/api/prices/1', '/api/prices/2', '/api/prices/3', '/api/prices/4'],
    );
    assert.deepEqual(records[0]!.differences, [{ path: '$.amount', kind: 'value', legacy: 101, candidate: 91 }]);
    assert.equal(records[0]!.route, 'GET /api/prices/:id');
    assert.equal(new Set(records.map((r) => r.seq)).size, 4, 'each record once across the pages');

    // The plan's router.adminUrl is the comparator's admin port: the CLI finds it as it finds a router.
    const diffs = await phoenix(['parity', 'diffs', 'prices', '--plan', 'plan.yaml']);
    assert.equal(diffs.code, 0, diffs.stderr);
    assert.match(diffs.stdout, /\$\.amount/);
  });

  it('does not flag a field that differs between two legacy answers: it is learned as noise', async () => {
    await through('/api/stamps/', 12);
    await waitFor('12 stamps comparisons', async () => (await admin.getStats('stamps')).stats.parity.samples >= 12);
    const s = (await admin.getStats('stamps')).stats;
    const noise = await admin.getNoise('stamps');
    assert.deepEqual(
      noise.routes['GET /api/stamps/:id']?.map((p) => p.path),
      ['$.generated'],
    );
    assert.ok(s.parity.noiseIgnored >= 11, `noise ignored in ${s.parity.noiseIgnored} comparisons`);
    assert.ok(s.parity.mismatches <= 1, `only a comparison before the first lesson may count (${s.parity.mismatches})`);
  });

  it("with --allow-unsafe, sends a mirrorUnsafe family's writes to legacy a second time and to new, in order, bodies intact", async () => {
    for (let n = 1; n <= 3; n++) {
      const res = await request(`${listenUrl}/api/orders`, {
        method: 'POST',
        body: JSON.stringify({ n }),
        headers: { 'content-type': 'application/json' },
      });
      assert.equal(res.statusCode, 201);
      await res.body.dump();
    }
    await waitFor('3 orders comparisons', async () => (await admin.getStats('orders')).stats.parity.samples >= 3);
    const posts = (u: TestUpstream) => u.seen.filter((x) => x.method === 'POST').map((x) => x.body);
    // Each client write reaches legacy twice: from nginx for the client, and from the comparator.
    assert.deepEqual(posts(legacy).sort(), ['{"n":1}', '{"n":1}', '{"n":2}', '{"n":2}', '{"n":3}', '{"n":3}']);
    assert.deepEqual(posts(fresh), ['{"n":1}', '{"n":2}', '{"n":3}']);
    assert.ok(fresh.seen.filter((x) => x.method === 'POST').every((x) => x.headers['x-phoenix-shadow'] === '1'));
    assert.equal((await admin.getStats('orders')).stats.parity.mismatches, 0);
  });

  it('serves its admin API only with the admin token, logs a refusal, and exports its counters', async () => {
    const refused = await request(`${adminUrl}/v1/families/catalog/stats`);
    assert.equal(refused.statusCode, 401);
    assert.equal(
      ((await refused.body.json()) as { error: { code: string } }).error.code,
      'PHX_ERR_ROUTER_UNAUTHORIZED',
    );
    await waitFor('the refusal in the log', () => output.includes('admin request refused'));
    const wrong = await request(`${adminUrl}/v1/families`, { headers: { authorization: 'Bearer nope' } });
    assert.equal(wrong.statusCode, 401);
    await wrong.body.dump();
    const ok = await request(`${adminUrl}/v1/families/catalog/stats`, {
      headers: { authorization: `Bearer ${TOKEN}` },
    });
    assert.equal(ok.statusCode, 200);
    await ok.body.dump();
    const m = await readMetrics(adminUrl);
    assert.ok((m.get('phoenix_comparator_mirrors_received_total') ?? 0) >= 29);
    assert.equal(m.get('phoenix_comparator_mirrors_unmatched_total'), 0);
    assert.equal(m.get('phoenix_shadow_mirrors_dropped_total{family="catalog"}'), 0);
    assert.ok((m.get('phoenix_shadow_mismatches_total{family="prices",kind="value"}') ?? 0) >= 4);
  });
});
