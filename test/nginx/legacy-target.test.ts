/**
 * How the rendered `location /` reaches legacy when every family shares the plan's legacy (a fixed
 * `proxy_pass`, the cheap path) while it sends a canary's other users on to new, keeping the
 * operator's own error pages; and whether nginx's whole configuration turns PCRE's JIT on
 * (`nginx -T`). Against a real nginx and real upstreams; it runs nginx, so it is not a unit test.
 */
import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import { after, before, describe, it } from 'node:test';
import { Pool } from 'undici';
import { pcreJitOn } from '../../src/nginx/apply.js';
import { createNginxProvider, type NginxProvider } from '../../src/nginx/provider.js';
import type { NginxDataPlane } from '../../src/plan/schema.js';
import { fakeUpstream, sendJson, type FakeUpstream } from '../helpers/fake-upstream.js';
import { buildPlan, testPlan } from '../helpers/plan-builder.js';
import { prepareNginx, startUpstream, type TestNginx, type Upstream } from './support.js';

let nginx: TestNginx;
let legacy: FakeUpstream;
let fresh: Upstream;
let dataPlane: NginxDataPlane;
let provider: NginxProvider;
/** What legacy got: method, URL, Host, X-Forwarded-For, whether an X-Request-Id came. */
const seen: string[] = [];

before(async () => {
  legacy = await fakeUpstream((req, res) => {
    seen.push(
      `${req.method} ${req.url} ${req.headers.host} ${String(req.headers['x-forwarded-for'])} ${req.headers['x-request-id'] ? 'id' : 'no id'}`,
    );
    req.resume();
    if (req.url === '/api/users/down') res.writeHead(503).end();
    else req.on('end', () => sendJson(res, 200, { side: req.url === '/maintenance' ? 'maintenance page' : 'legacy' }));
  });
  fresh = await startUpstream('new');
  nginx = await prepareNginx();
  // An operator's own error page, set where operators set it: Phoenix's locations must not hide it.
  const main = await readFile(nginx.mainConfig, 'utf8');
  await writeFile(
    nginx.mainConfig,
    main.replace('http {', 'http {\n  proxy_intercept_errors on;\n  error_page 503 =200 /maintenance;'),
  );
  const plan = await buildPlan(
    testPlan({
      legacy: legacy.url,
      dataPlane: nginx.dataPlane(),
      families: [
        { name: 'users', routes: ['/api/users/*'], new: fresh.url, sticky: { header: 'X-User' } },
        { name: 'orders', routes: ['GET /api/orders/:id'], new: fresh.url },
      ],
    }),
  );
  assert.equal(plan.dataPlane.kind, 'nginx');
  dataPlane = plan.dataPlane;
  provider = await createNginxProvider({ legacy: plan.legacy, families: plan.families, dataPlane });
  await provider.install();
  await nginx.start();
});

after(async () => {
  await provider?.close();
  await nginx?.stop();
  await Promise.all([legacy?.close(), fresh?.close()]);
});

async function side(client: Pool, path: string, headers: Record<string, string> = {}): Promise<string> {
  const res = await client.request({ path, method: 'GET', headers });
  assert.equal(res.statusCode, 200);
  return ((await res.body.json()) as { side: string }).side;
}

describe('legacy through the rendered nginx', () => {
  it("proxies legacy's side to one fixed upstream with legacy's Host, the forwarded headers and a request id, also mid-canary", async () => {
    await provider.setRoute('users', { mode: 'canary', percent: 50, version: 1 });
    const text = await readFile(nginx.includeFile, 'utf8');
    const root = text.slice(text.indexOf('  location / {'), text.indexOf('\n  }', text.indexOf('  location / {')));
    assert.match(root, /proxy_pass http:\/\/phx_u\d+;/, 'a fixed target in location /');
    assert.doesNotMatch(root, /\$phx_upstream/);
    const client = new Pool(nginx.listenUrl, { connections: 2 });
    try {
      const sides = new Set<string>();
      for (let i = 0; i < 40; i++) sides.add(await side(client, `/api/users/${i}?q=1`, { 'x-user': `u${i}` }));
      assert.deepEqual([...sides].sort(), ['legacy', 'new'], 'the canary still sends some users to new');
      assert.equal(await side(client, '/api/orders/7'), 'legacy');
      assert.equal(await side(client, '/elsewhere'), 'legacy');
      let onLegacy = 0;
      while ((await side(client, '/api/users/1', { 'x-user': `v${onLegacy}` })) !== 'legacy') onLegacy++;
      assert.equal(
        await side(client, '/api/users/down', { 'x-user': `v${onLegacy}` }),
        'maintenance page',
        "legacy's 503 gets the operator's error page",
      );
    } finally {
      await client.close();
    }
    const host = new URL(legacy.url).host;
    assert.ok(seen.length > 2);
    for (const s of seen.filter((x) => !x.includes('/maintenance') && !x.includes('/down')))
      assert.match(s, new RegExp(`^GET /\\S+ ${host.replace(/\./g, '\\.')} 127\\.0\\.0\\.1 id$`), s);
    assert.ok(seen.includes(`GET /elsewhere ${host} 127.0.0.1 id`));
  });

  it("tells whether nginx's configuration, includes and all, turns PCRE's JIT on", async () => {
    const main = await readFile(nginx.mainConfig, 'utf8');
    try {
      assert.equal(await pcreJitOn(dataPlane), false);
      await writeFile(nginx.mainConfig, `# pcre_jit on;\n${main}`);
      assert.equal(await pcreJitOn(dataPlane), false, 'a comment does not count');
      await writeFile(`${nginx.dir}/jit.conf`, 'pcre_jit on;\n');
      await writeFile(nginx.mainConfig, `include ${nginx.dir}/jit.conf;\n${main}`);
      assert.equal(await pcreJitOn(dataPlane), true, 'set in an included file');
      await writeFile(nginx.mainConfig, `pcre_jit on\n${main}`);
      assert.equal(await pcreJitOn(dataPlane), undefined, 'nginx -T fails on a broken config');
    } finally {
      await writeFile(nginx.mainConfig, main);
    }
  });
});
