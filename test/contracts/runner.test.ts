import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import type { FamilyPlan } from '../../src/plan/index.js';
import { parseCaseFile } from '../../src/contracts/cases.js';
import { runContractSuite } from '../../src/contracts/runner.js';
import { hasCode } from '../../src/lib/errors.js';
import { fakeUpstream, type FakeUpstream } from '../helpers/fake-upstream.js';
import { contractFamily } from '../helpers/contract-family.js';

type Reply = { status?: number; type?: string; body: unknown; delayMs?: number };
type Routes = Record<string, (url: URL, host: string) => Reply>;

function serve(routes: Routes): Promise<FakeUpstream> {
  return fakeUpstream((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    const r = routes[url.pathname]?.(url, req.headers.host ?? '') ?? { status: 404, body: { error: 'not found' } };
    const send = (): void => {
      const text = typeof r.body === 'string' ? r.body : JSON.stringify(r.body);
      res.writeHead(r.status ?? 200, { 'content-type': r.type ?? 'application/json' });
      res.end(text);
    };
    if (r.delayMs) setTimeout(send, r.delayMs);
    else send();
  });
}

const page = (url: URL, offset = 0) => {
  const p = Number(url.searchParams.get('page') ?? 1) + offset;
  return { page: p, items: [1, 2].map((i) => ({ id: (p - 1) * 2 + i })) };
};

const legacyRoutes: Routes = {
  '/api/orders/1': () => ({
    body: { id: 1, total: 10, customer: { name: 'Ann', tier: 'gold' }, meta: { request_id: randomUUID() } },
  }),
  '/api/orders/2': () => ({ body: { id: 2, total: 20, lines: 3 } }),
  '/api/orders/3': () => ({ body: { id: 3, status: 'open' } }),
  '/api/orders/4': () => ({ body: { id: 4 } }),
  '/api/orders': (url) => ({ body: page(url) }),
  '/api/orders/export': () => ({ type: 'text/csv', body: 'id,total\n1,10\n' }),
  '/api/orders/slow': () => ({ body: { ok: true } }),
  // A link built from the Host each side is asked with, as FastAPI's `request.url_for` builds it.
  '/api/orders/links': (_url, host) => ({ body: { self: `http://${host}/api/orders/links` } }),
};

const candidateRoutes: Routes = {
  // Equal up to noise: key order, 10 vs 10.0, its own request id.
  '/api/orders/1': () => ({
    body: { meta: { request_id: randomUUID() }, customer: { tier: 'gold', name: 'Ann' }, total: 10.0, id: 1 },
  }),
  '/api/orders/2': () => ({ body: { id: 2, total: '20', lines: 3 } }),
  '/api/orders/3': () => ({ status: 201, body: { id: 3, status: 'open' } }),
  '/api/orders/4': () => ({ body: { id: 4, customer: { name: 'Bo' } } }),
  '/api/orders': (url) => ({ body: page(url, 1) }),
  '/api/orders/export': () => ({ type: 'text/plain', body: 'id,total\n1,10\n' }),
  '/api/orders/slow': () => ({ body: { ok: true }, delayMs: 1500 }),
  '/api/orders/links': (_url, host) => ({ body: { self: `http://${host}/api/orders/links` } }),
};

let legacy: Awaited<ReturnType<typeof serve>>;
let candidate: Awaited<ReturnType<typeof serve>>;
let family: FamilyPlan;

before(async () => {
  legacy = await serve(legacyRoutes);
  candidate = await serve(candidateRoutes);
  family = await contractFamily({
    tmpPrefix: 'phx-contracts-',
    plan: 'contracts-test',
    family: 'orders',
    routes: ['GET /api/orders', 'GET /api/orders/:id'],
    legacy: legacy.url,
    candidate: candidate.url,
    cases: `family: orders
cases:
  - name: noise only
    request: { path: /api/orders/1 }
    expect: { status: 200, headers: { content-type: application/json } }
  - name: changed type
    request: { path: /api/orders/2 }
  - name: wrong status
    request: { path: /api/orders/3 }
    expect: { status: 200 }
  - name: missing nested field
    request: { path: /api/orders/1, query: { v: 2 } }
  - name: page off by one
    request: { path: /api/orders, query: { page: 2 } }
  - name: content type changed
    request: { path: /api/orders/export }
  - name: schema
    request: { path: /api/orders/4 }
    expect: { parity: false, schema: { type: object, required: [id, total] } }
  - name: slow
    request: { path: /api/orders/slow }
  - name: links to itself
    request: { path: /api/orders/links }
`,
  });
});
after(async () => {
  await legacy?.close();
  await candidate?.close();
});

describe('contract runner', () => {
  test('reports every real difference by kind and path, and nothing for noise', async () => {
    const progress: number[] = [];
    const r = await runContractSuite({
      family,
      mode: 'parity',
      timeoutMs: 800,
      onProgress: (done) => progress.push(done),
    });
    const byName = Object.fromEntries(r.cases.map((c) => [c.name, c]));
    assert.equal(r.total, 9);
    assert.equal(progress.at(-1), 9);

    assert.equal(byName['noise only']!.passed, true, JSON.stringify(byName['noise only']!.failures));
    assert.ok(byName['noise only']!.noise >= 1, 'the request id was learned as noise from two legacy answers');
    assert.equal(byName['noise only']!.endpoint, 'GET /api/orders/:id');

    const type = byName['changed type']!.failures[0]!;
    assert.equal(type.kind, 'parity');
    assert.deepEqual(
      type.differences?.map((d) => [d.path, d.kind]),
      [['$.total', 'type']],
    );

    assert.deepEqual(
      byName['wrong status']!.failures.map((f) => f.kind),
      ['status', 'parity'],
    );
    assert.match(byName['wrong status']!.failures[0]!.message, /new answered 201, expected 200/);

    const missing = byName['missing nested field']!;
    assert.equal(missing.target, '/api/orders/1?v=2');
    assert.equal(missing.passed, true, 'same answers for /api/orders/1 with a query');

    const paged = byName['page off by one']!.failures[0]!;
    assert.deepEqual(
      paged.differences?.map((d) => [d.path, d.kind]),
      [
        ['$.page', 'value'],
        ['$.items[0].id', 'value'],
        ['$.items[1].id', 'value'],
      ],
    );

    const csv = byName['content type changed']!.failures[0]!;
    assert.deepEqual(
      csv.differences?.map((d) => [d.path, d.kind]),
      [['header:content-type', 'header']],
    );
    assert.equal(byName['content type changed']!.endpoint, 'GET /api/orders/:id');

    assert.equal(byName.schema!.failures[0]!.kind, 'schema');
    assert.match(byName.schema!.failures[0]!.message, /must have required property 'total'/);

    assert.equal(byName.slow!.failures[0]!.kind, 'timeout');
    // Each side names its own address in the link: the same link.
    assert.equal(byName['links to itself']!.passed, true, JSON.stringify(byName['links to itself']!.failures));
    assert.equal(r.failed, 6);
  });

  test('a missing nested field is reported as missing', async () => {
    candidateRoutes['/api/orders/1'] = () => ({
      body: { id: 1, total: 10, customer: { name: 'Ann' }, meta: { request_id: randomUUID() } },
    });
    try {
      const r = await runContractSuite({ family, mode: 'parity', timeoutMs: 800 });
      const c = r.cases.find((x) => x.name === 'noise only')!;
      assert.deepEqual(
        c.failures[0]!.differences?.map((d) => [d.path, d.kind]),
        [['$.customer.tier', 'missing']],
      );
      assert.match(c.failures[0]!.message, /\$\.customer\.tier: missing in new \(legacy "gold"\)/);
    } finally {
      candidateRoutes['/api/orders/1'] = () => ({
        body: { meta: { request_id: randomUUID() }, customer: { tier: 'gold', name: 'Ann' }, total: 10.0, id: 1 },
      });
    }
  });

  test("a run on the caller's cancellation signal with every case in flight raises no process warning", async () => {
    const warnings: Error[] = [];
    const onWarning = (w: Error): void => void warnings.push(w);
    process.on('warning', onWarning);
    try {
      const controller = new AbortController();
      const r = await runContractSuite({
        family,
        mode: 'parity',
        timeoutMs: 800,
        concurrency: 9,
        signal: controller.signal,
      });
      assert.equal(r.total, 9);
      // Warnings are emitted on the next tick.
      await new Promise((resolve) => setImmediate(resolve));
      assert.deepEqual(
        warnings.map((w) => `${w.name}: ${w.message}`),
        [],
      );
    } finally {
      process.off('warning', onWarning);
    }
  });

  test("aborting the caller's signal stops the run with the abort reason", async () => {
    const controller = new AbortController();
    const run = runContractSuite({ family, mode: 'parity', timeoutMs: 5000, signal: controller.signal });
    // Cancelled while it runs: as soon as its first request reaches legacy.
    legacy.server.once('request', () => controller.abort(new Error('cancelled by the test')));
    await assert.rejects(run, /cancelled by the test|aborted/i);
  });

  test('new-only mode checks expectations on the new service alone', async () => {
    const r = await runContractSuite({ family, mode: 'new-only', timeoutMs: 800 });
    assert.equal(r.cases.find((c) => c.name === 'changed type')!.passed, true);
    assert.equal(r.cases.find((c) => c.name === 'wrong status')!.passed, false);
    assert.equal(
      r.cases.every((c) => c.status.legacy === undefined),
      true,
    );
  });
});

describe('case files', () => {
  test('errors name the file, the line, the case and the field', () => {
    const bad = `cases:
  - name: ok
    request: { path: /a }
  - name: broken
    request: { method: FETCH, path: a }
    expect: { status: 99, colour: red }
`;
    assert.throws(
      () => parseCaseFile(bad, 'cases/x.yaml'),
      (e: unknown) => {
        assert.ok(hasCode(e, 'PHX_ERR_CASE_FILE_INVALID'));
        const msg = (e as Error).message;
        assert.match(msg, /cases\/x\.yaml:5 cases\[1\]\.request\.method \(case "broken"\): expected an HTTP method/);
        assert.match(
          msg,
          /cases\/x\.yaml:5 cases\[1\]\.request\.path \(case "broken"\): expected a path starting with "\/"/,
        );
        assert.match(msg, /cases\[1\]\.expect\.status \(case "broken"\)/);
        assert.match(msg, /cases\[1\]\.expect \(case "broken"\): unknown key "colour"/);
        return true;
      },
    );
  });

  test('duplicate names, queries in the path, another family and broken YAML are refused', () => {
    const dup =
      'family: users\ncases:\n  - { name: a, request: { path: /x?y=1 } }\n  - { name: a, request: { path: /x } }\n';
    assert.throws(
      () => parseCaseFile(dup, 'd.yaml', 'orders'),
      (e: unknown) => {
        const msg = (e as Error).message;
        return (
          /family: the file is for "users" but family "orders" lists it/.test(msg) &&
          /duplicate case name "a"/.test(msg) &&
          /put the query string in "query"/.test(msg)
        );
      },
    );
    assert.throws(
      () => parseCaseFile('cases: [\n', 'y.yaml'),
      (e: unknown) => hasCode(e, 'PHX_ERR_CASE_FILE_INVALID') && /y\.yaml:\d+ YAML/.test((e as Error).message),
    );
  });

  test('an unreadable case file is a coded error before any request', async () => {
    await assert.rejects(
      runContractSuite({ family: { ...family, contractFiles: ['/nope/missing.yaml'] }, mode: 'parity' }),
      (e: unknown) => hasCode(e, 'PHX_ERR_CASE_FILE_UNREADABLE'),
    );
  });
});
