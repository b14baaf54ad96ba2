/**
 * `phoenix comparator` as a child process against two real local HTTP upstreams (legacy and new,
 * started here on free ports): equal up to an ignored field, a changed type at a nested path,
 * redirects followed, the family's adapter, the new side's identity header, unsafe methods
 * refused, a request list summarized by route, two saved answers compared offline, an
 * unreachable upstream, and what `--serve` refuses to start with.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import type http from 'node:http';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { PlanInput } from '../../src/plan/index.js';
import { fakeUpstream, type FakeUpstream } from '../helpers/fake-upstream.js';
import { testPlan, writePlanFile } from '../helpers/plan-builder.js';
import { silentUpstream, type SilentUpstream } from '../helpers/ports.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const NEW_TOKEN = 'new-side-secret';
let dir: string;
let planFile: string;
let deadPlanFile: string;
let dead: SilentUpstream;
let legacy: FakeUpstream;
let candidate: FakeUpstream;
/** Requests each upstream received, as `METHOD /path`. */
const seen = { legacy: [] as string[], new: [] as string[] };
/** POST bodies each upstream received, as `content-type body`. */
const posts = { legacy: [] as string[], new: [] as string[] };

/** Answers a POST once its body is in (recorded), so the test sees it before the CLI exits. */
function created(req: http.IncomingMessage, res: http.ServerResponse, into: string[]): void {
  let text = '';
  req.on('data', (c: Buffer) => (text += c.toString()));
  req.on('end', () => {
    into.push(`${req.headers['content-type']} ${text}`);
    json(res, 201, { id: 1 });
  });
}

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function phoenix(args: string[], env: Record<string, string> = {}): Promise<Run> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [path.join(ROOT, 'bin/phoenix.mjs'), 'comparator', ...args],
      { env: { ...process.env, PHOENIX_NEW_TOKEN: NEW_TOKEN, ...env }, timeout: 60_000, cwd: dir },
      (err, stdout, stderr) => resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

function json(res: http.ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

function user(id: number, server: string, zip: unknown): Record<string, unknown> {
  return { id, name: `user ${id}`, address: { city: 'Lyon', zip }, server };
}

/** Legacy: Flask-like, `/api/items` redirects to `/api/items/`. */
function legacyHandler(req: http.IncomingMessage, res: http.ServerResponse): void {
  seen.legacy.push(`${req.method} ${req.url}`);
  if (req.method === 'POST') return created(req, res, posts.legacy);
  const m = /^\/api\/users\/(\d+)$/.exec(req.url ?? '');
  if (m) return json(res, 200, user(Number(m[1]), 'flask', '69001'));
  if (req.url === '/api/items') {
    res.writeHead(308, { location: '/api/items/' });
    return void res.end();
  }
  if (req.url === '/api/items/') return json(res, 200, { items: [1, 2] });
  json(res, 404, { error: 'not found' });
}

/** New: needs its own bearer token; user 8's zip became a number; lists come wrapped in `data`. */
function newHandler(req: http.IncomingMessage, res: http.ServerResponse): void {
  seen.new.push(`${req.method} ${req.url}`);
  if (req.headers.authorization !== `Bearer ${NEW_TOKEN}`) return json(res, 401, { error: 'unauthorized' });
  if (req.method === 'POST') return created(req, res, posts.new);
  const m = /^\/api\/users\/(\d+)$/.exec(req.url ?? '');
  if (m) return json(res, 200, user(Number(m[1]), 'fastapi', m[1] === '8' ? 69001 : '69001'));
  // The new service wraps lists in `data`; the family's adapter renames it back.
  if (req.url === '/api/items' || req.url === '/api/items/') return json(res, 200, { data: [1, 2] });
  json(res, 404, { error: 'not found' });
}

function planInput(legacyUrl: string, newUrl: string): PlanInput {
  return testPlan({
    name: 'comparator-test',
    legacy: legacyUrl,
    families: [
      {
        name: 'users',
        routes: ['GET /api/users/:id', 'POST /api/users', 'GET /api/items'],
        new: newUrl,
        identity: { new: { headers: { Authorization: { env: 'PHOENIX_NEW_TOKEN', prefix: 'Bearer ' } } } },
        adapters: [{ route: 'GET /api/items', ops: [{ op: 'rename', from: '$.data', to: '$.items' }] }],
        diff: { ignore: ['$.server'], resampleGapMs: 20 },
      },
    ],
  });
}

before(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'phx-comparator-'));
  legacy = await fakeUpstream(legacyHandler);
  candidate = await fakeUpstream(newHandler);
  planFile = path.join(dir, 'plan.yaml');
  await writePlanFile(planFile, planInput(legacy.url, candidate.url));
  deadPlanFile = path.join(dir, 'dead.yaml');
  await writePlanFile(deadPlanFile, planInput(legacy.url, (dead = await silentUpstream()).url));
});

after(async () => {
  await legacy?.close();
  await candidate?.close();
  await dead?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

// Each test spawns the CLI; two run at once, so each one's assertions hold whatever the others send.
describe('phoenix comparator', { concurrency: 2 }, () => {
  test('answers equal up to an ignored field exit 0, with both statuses and the new side authorized by its identity', async () => {
    const r = await phoenix(['users', '--plan', planFile, 'GET', '/api/users/7', '--json']);
    assert.equal(r.code, 0, r.stderr);
    const out = JSON.parse(r.stdout);
    assert.equal(out.equal, true);
    assert.equal(out.total, 1);
    const [v] = out.results;
    assert.equal(v.route, 'GET /api/users/:id');
    assert.equal(v.legacy.status, 200);
    assert.equal(v.new.status, 200);
    assert.equal(typeof v.legacy.ms, 'number');
    assert.deepEqual(v.differences, []);
    // Safe requests are resampled on legacy to learn noise: two legacy requests, one new.
    assert.equal(seen.legacy.filter((x) => x === 'GET /api/users/7').length, 2);
    assert.equal(seen.new.filter((x) => x === 'GET /api/users/7').length, 1);
  });

  test('a changed type at a nested path exits 1 naming the path, the kind and both values', async () => {
    const r = await phoenix(['users', '--plan', planFile, '/api/users/8', '--json']);
    assert.equal(r.code, 1, r.stderr);
    const out = JSON.parse(r.stdout);
    assert.equal(out.equal, false);
    assert.deepEqual(out.results[0].differences, [
      { kind: 'type', path: '$.address.zip', legacy: '69001', new: 69001 },
    ]);
  });

  test('redirects are followed as a client would, the differing chain is only informational, and the adapter applies', async () => {
    const r = await phoenix(['users', '--plan', planFile, 'GET', '/api/items', '--json', '--no-resample']);
    assert.equal(r.code, 0, r.stderr);
    const [v] = JSON.parse(r.stdout).results;
    assert.deepEqual(v.legacy.chain, ['308 /api/items/']);
    assert.deepEqual(v.new.chain, []);
    assert.equal(v.legacy.status, 200);
    assert.equal(v.adapted, true);
    assert.deepEqual(v.differences, []);
    assert.equal(v.informational[0].kind, 'redirect');
    assert.ok(seen.legacy.includes('GET /api/items/'));
  });

  test('an unsafe method is refused without --allow-unsafe; with it, it is sent once to each side with its body', async () => {
    const r = await phoenix(['users', '--plan', planFile, 'POST', '/api/users', '--body', '-']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /^PHX_ERR_COMPARATOR_UNSAFE_METHOD: POST \/api\/users .*--allow-unsafe/);
    assert.ok(!seen.legacy.some((x) => x.startsWith('POST')) && !seen.new.some((x) => x.startsWith('POST')));
    const body = path.join(dir, 'body.json');
    await writeFile(body, '{"name":"Zoe"}');
    const sent = await phoenix(['users', '--plan', planFile, 'POST', '/api/users', '--body', body, '--allow-unsafe']);
    assert.equal(sent.code, 0, sent.stderr);
    // Sent once to each side, never resampled.
    assert.deepEqual(posts.legacy, ['application/json {"name":"Zoe"}']);
    assert.deepEqual(posts.new, ['application/json {"name":"Zoe"}']);
  });

  test('a request list is compared request by request and summarized by route template', async () => {
    const list = path.join(dir, 'requests.txt');
    await writeFile(
      list,
      [
        'GET /api/users/1',
        '{"method":"GET","path":"/api/users/8"}',
        'GET /api/users/9?x=1',
        'GET /api/items',
        'GET /elsewhere',
      ].join('\n'),
    );
    const r = await phoenix(['users', '--plan', planFile, '--from-requests', list, '--json']);
    assert.equal(r.code, 1, r.stderr);
    const out = JSON.parse(r.stdout);
    assert.equal(out.total, 4);
    assert.equal(out.differing, 1);
    assert.deepEqual(out.routes, [
      { route: 'GET /api/users/:id', total: 3, equal: 2, differing: 1, kinds: { type: 1 } },
      { route: 'GET /api/items', total: 1, equal: 1, differing: 0, kinds: {} },
    ]);
    assert.deepEqual(out.skipped, [{ method: 'GET', target: '/elsewhere', reason: 'not a route of the family' }]);
    const text = await phoenix(['users', '--plan', planFile, '--from-requests', list, '--no-resample']);
    assert.match(text.stdout, /GET \/api\/users\/:id: 2\/3 equal \(type 1\)/);
  });

  test('two saved answers are compared offline under the family rules', async () => {
    const a = path.join(dir, 'legacy.json');
    const b = path.join(dir, 'new.json');
    const c = path.join(dir, 'new-same.json');
    await writeFile(a, JSON.stringify({ order: { total: '12.50', lines: [{ sku: 'x' }] }, server: 'flask' }));
    await writeFile(b, JSON.stringify({ order: { total: 12.5, lines: [{ sku: 'x' }] }, server: 'fastapi' }));
    await writeFile(c, JSON.stringify({ order: { total: '12.50', lines: [{ sku: 'x' }] }, server: 'other' }));
    // The plan's new upstream is down: any request would exit 3.
    const differ = await phoenix(['users', '--plan', deadPlanFile, '--legacy-body', a, '--new-body', b, '--json']);
    assert.equal(differ.code, 1, differ.stderr);
    const out = JSON.parse(differ.stdout);
    assert.equal(out.offline, true);
    assert.deepEqual(out.results[0].differences, [{ kind: 'type', path: '$.order.total', legacy: '12.50', new: 12.5 }]);
    assert.equal(out.results[0].legacy.ms, null);
    // No identity is needed offline: the new side's variable may be unset.
    const same = await phoenix(['users', '--plan', deadPlanFile, '--legacy-body', a, '--new-body', c], {
      PHOENIX_NEW_TOKEN: '',
    });
    assert.equal(same.code, 0, same.stderr);
    assert.match(same.stdout, /^GET \/ \(GET \/\): equal$/m);
    assert.match(same.stdout, /^all equal$/m);
  });

  test('without a family exits 2 as before; --serve takes no family or request, and needs a token and a port', async () => {
    const missing = await phoenix(['--plan', planFile]);
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /^PHX_ERR_USAGE_MISSING_ARGUMENT: missing required argument 'family'/);
    const serve = await phoenix(['--serve', '--plan', planFile, 'users']);
    assert.equal(serve.code, 2);
    assert.match(serve.stderr, /^PHX_ERR_CLI_BAD_FLAG: --serve compares what nginx mirrors .*"users"/);
    const noToken = await phoenix(['--serve', '--plan', planFile, '--port', '0'], { PHOENIX_ADMIN_TOKEN: '' });
    assert.equal(noToken.code, 1);
    assert.match(noToken.stderr, /^PHX_ERR_ADMIN_TOKEN_MISSING: no admin token: set PHOENIX_ADMIN_TOKEN/);
    // This plan has no dataPlane.comparatorUrl to take the port from.
    const noPort = await phoenix(['--serve', '--plan', planFile], { PHOENIX_ADMIN_TOKEN: 'x' });
    assert.equal(noPort.code, 1);
    assert.match(noPort.stderr, /^PHX_ERR_COMPARATOR_NO_PORT: .*--port.*dataPlane\.comparatorUrl/);
    const longWindow = await phoenix(['--serve', '--plan', planFile, '--reorder-window', '10s']);
    assert.equal(longWindow.code, 2);
    assert.match(longWindow.stderr, /^PHX_ERR_CLI_BAD_FLAG: --reorder-window: at most 5s, got "10s"/);
  });

  test('an unreachable upstream exits 3 naming the side', async () => {
    const r = await phoenix(['users', '--plan', deadPlanFile, '/api/users/5']);
    assert.equal(r.code, 3);
    assert.match(
      r.stderr,
      /^PHX_ERR_UPSTREAM_UNREACHABLE: new \(http:\/\/127\.0\.0\.1:\d+\) did not answer GET \/api\/users\/5/,
    );
  });
});
