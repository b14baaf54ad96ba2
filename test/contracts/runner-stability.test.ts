import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import type { FamilyPlan } from '../../src/plan/index.js';
import { contractFamily } from '../helpers/contract-family.js';
import { batches, runContractSuite, type ContractSuiteResult } from '../../src/contracts/runner.js';
import { fakeUpstream, type FakeUpstream } from '../helpers/fake-upstream.js';

type Reply = { status?: number; type?: string; body: unknown; delayMs?: number };
type Handler = (method: string, path: string) => Reply | undefined;

function serve(handler: Handler): Promise<FakeUpstream> {
  return fakeUpstream((req, res) => {
    req.resume();
    req.on('end', () => {
      const r = handler(req.method ?? 'GET', new URL(req.url ?? '/', 'http://x').pathname) ?? {
        status: 404,
        body: { error: 'not found' },
      };
      const send = (): void => {
        res.writeHead(r.status ?? 200, { 'content-type': r.type ?? 'application/json' });
        res.end(typeof r.body === 'string' ? r.body : JSON.stringify(r.body));
      };
      if (r.delayMs) setTimeout(send, r.delayMs);
      else send();
    });
  });
}

/** Now at second resolution, as many apps write it: legacy with `+00:00`, new with `Z`. */
const secondsIso = (zulu: boolean): string =>
  new Date(Math.floor(Date.now() / 1000) * 1000).toISOString().replace('.000Z', zulu ? 'Z' : '+00:00');

/** One app, written twice: `side` picks the new service's behaviour, regressions included. */
function app(side: 'legacy' | 'new'): Handler {
  const isNew = side === 'new';
  return (method, p) => {
    if (method === 'GET' && /^\/api\/things\/\d+$/.test(p))
      return {
        body: { id: Number(p.slice(12)), name: 'lamp', fetched_at: secondsIso(isNew), request_id: randomUUID() },
      };
    if (method === 'GET' && p === '/api/things')
      return { body: { items: [{ id: 1 }, { id: 2 }], generated: Math.floor(Date.now() / 1000) } };
    // Two text routes under one wildcard pattern: noise on one must not hide the other's regression.
    if (method === 'GET' && p === '/api/things/export')
      return { type: 'text/plain', body: `id,name\n1,lamp\n# export ${randomBytes(6).toString('hex')}\n` };
    if (method === 'GET' && p === '/api/things/readme')
      return { type: 'text/plain', body: isNew ? 'Things: lamps and chairs.' : 'Things: lamps.' };
    if (method === 'GET' && p === '/api/stored/1')
      return { body: { id: 1, created_at: isNew ? '2024-03-01T11:00:00Z' : '2024-03-01T10:00:00Z' } };
    if (method === 'GET' && p === '/api/slow') return { body: { ok: true }, delayMs: isNew ? 150 : 0 };
    if (method === 'POST' && p === '/api/things')
      return {
        status: 201,
        body: {
          id: randomUUID(),
          name: 'chair',
          created_at: secondsIso(isNew),
          // The two services' clocks are a few ms apart, so these never match by chance.
          created_ms: Date.now() + (isNew ? 7 : 0),
          etag: randomBytes(16).toString('hex'),
          request_id: randomUUID(),
        },
      };
    if (method === 'POST' && p === '/api/orders')
      return { status: 201, body: { id: randomUUID(), total: isNew ? '12.50' : 12.5, request_id: randomUUID() } };
    return undefined;
  };
}

let legacy: Awaited<ReturnType<typeof serve>>;
let candidate: Awaited<ReturnType<typeof serve>>;
let family: FamilyPlan;

before(async () => {
  legacy = await serve(app('legacy'));
  candidate = await serve(app('new'));
  family = await contractFamily({
    tmpPrefix: 'phx-contracts-stable-',
    plan: 'contracts-stability',
    family: 'things',
    routes: ['/api/things/*', '/api/things', 'GET /api/stored/:id', 'GET /api/slow', 'POST /api/orders'],
    legacy: legacy.url,
    candidate: candidate.url,
    cases: `cases:
  - { name: thing, request: { path: /api/things/7 } }
  - { name: things, request: { path: /api/things } }
  - { name: export, request: { path: /api/things/export } }
  - { name: readme, request: { path: /api/things/readme } }
  - { name: stored, request: { path: /api/stored/1 } }
  - { name: slow, request: { path: /api/slow } }
  - { name: create thing, request: { method: POST, path: /api/things, body: { name: chair } } }
  - { name: create order, request: { method: POST, path: /api/orders, body: { total: 12.5 } } }
`,
  });
});
after(async () => {
  await legacy?.close();
  await candidate?.close();
});

/** What a run decided, and why, per case. */
function verdicts(r: ContractSuiteResult): Array<[string, boolean, string[]]> {
  return r.cases.map((c) => [
    c.name,
    c.passed,
    c.failures.flatMap((f) =>
      (f.differences ?? [{ path: '-', kind: f.kind }]).map((d) => `${f.kind} ${d.path} ${d.kind}`),
    ),
  ]);
}

describe('contract runner stability', () => {
  test('ten runs on an app with volatile fields give identical verdicts, flagging only the regressions', async () => {
    const expected: Array<[string, boolean, string[]]> = [
      ['thing', true, []],
      ['things', true, []],
      ['export', true, []],
      ['readme', false, ['parity $body value']],
      ['stored', false, ['parity $.created_at value']],
      ['slow', false, ['latency $latency latency']],
      ['create thing', true, []],
      ['create order', false, ['parity $.total type']],
    ];
    for (let run = 1; run <= 10; run++) {
      const r = await runContractSuite({ family, mode: 'parity', timeoutMs: 5000 });
      assert.deepEqual(verdicts(r), expected, `run ${run}`);
      if (run === 1) {
        assert.deepEqual(
          r.cases.map((c) => c.route),
          [
            'GET /api/things/:id',
            'GET /api/things',
            'GET /api/things/export',
            'GET /api/things/readme',
            'GET /api/stored/:id',
            'GET /api/slow',
            'POST /api/things',
            'POST /api/orders',
          ],
        );
        const slow = r.latency.find((l) => l.route === 'GET /api/slow')!;
        assert.equal(slow.outcome, 'fail');
        assert.ok(slow.shiftMs! >= 100, `shift ${slow.shiftMs} ms`);
        assert.ok(r.latency.filter((l) => l.route !== 'GET /api/slow').every((l) => l.outcome === 'pass'));
        const created = r.noise['POST /api/things']!;
        assert.deepEqual(
          created.map((p) => [p.path, p.reason, p.valueClass]).sort(),
          [
            ['$.created_ms', 'value-class', 'epoch'],
            ['$.etag', 'value-class', 'hex'],
            ['$.id', 'value-class', 'uuid'],
            ['$.request_id', 'value-class', 'uuid'],
            // The same second written as +00:00 and Z is a format difference, not noise; another second is noise.
            ...created.filter((p) => p.path === '$.created_at').map((p) => [p.path, p.reason, p.valueClass]),
          ].sort(),
        );
        assert.ok(
          r.noise['GET /api/things/:id']?.some((p) => p.path === '$.fetched_at' && p.reason === 'resampled'),
          'legacy asked again after the gap: its second-resolution timestamp ticked',
        );
      }
    }
  });

  test('unsafe cases run alone, in file order, between batches of safe cases', () => {
    const c = (method: string): { request: { method: 'GET' | 'POST'; path: string } } => ({
      request: { method: method as 'GET' | 'POST', path: '/x' },
    });
    assert.deepEqual(batches([c('GET'), c('GET'), c('POST'), c('POST'), c('GET'), c('POST')]), [
      [0, 1],
      [2],
      [3],
      [4],
      [5],
    ]);
    assert.deepEqual(
      batches([c('GET'), c('GET'), c('GET'), c('POST'), c('GET')], 2),
      [[0, 1], [2], [3], [4]],
      'long runs of safe cases are cut so progress keeps coming',
    );
  });
});

describe('a field legacy sends only some of the time', () => {
  test('is learned from further legacy answers asked for a differing case, so the case passes; a real change still fails', async () => {
    let calls = 0;
    // Legacy's answers carry `promo` but for every eighth: the first two answers of a run carry it,
    // and only a further one shows that legacy itself leaves it out.
    const legacyPromo = await serve((method, p) => {
      if (method !== 'GET') return undefined;
      calls++;
      const promo = calls % 8 === 0 ? {} : { promo: { code: 'SPRING' } };
      return p === '/api/offers/1' ? { body: { id: 1, ...promo } } : { body: { id: 2, price: 10, ...promo } };
    });
    const newPromo = await serve((method, p) =>
      method !== 'GET' ? undefined : p === '/api/offers/1' ? { body: { id: 1 } } : { body: { id: 2, price: 11 } },
    );
    try {
      const offers = await contractFamily({
        tmpPrefix: 'phx-contracts-promo-',
        plan: 'contracts-promo',
        family: 'offers',
        routes: ['GET /api/offers/:id'],
        legacy: legacyPromo.url,
        candidate: newPromo.url,
        cases: `cases:
  - { name: offer, request: { path: /api/offers/1 } }
  - { name: priced offer, request: { path: /api/offers/2 } }
`,
      });
      const r = await runContractSuite({
        family: offers,
        mode: 'parity',
        timeoutMs: 5000,
        latencyRepetitions: 0,
        noiseGapMs: 0,
      });
      assert.deepEqual(verdicts(r), [
        ['offer', true, []],
        ['priced offer', false, ['parity $.price value']],
      ]);
      assert.deepEqual(
        r.noise['GET /api/offers/:id']?.map((p) => [p.path, p.kinds]),
        [['$.promo', ['missing']]],
      );

      // With the family's `diff.learnNoise` off, legacy is asked once per case and nothing is learned.
      calls = 0;
      const unlearned = await runContractSuite({
        family: { ...offers, diff: { ...offers.diff, learnNoise: false } },
        mode: 'parity',
        timeoutMs: 5000,
        latencyRepetitions: 0,
        noiseGapMs: 0,
      });
      assert.equal(calls, 2);
      assert.deepEqual(verdicts(unlearned), [
        ['offer', false, ['parity $.promo missing']],
        ['priced offer', false, ['parity $.price value', 'parity $.promo missing']],
      ]);
      assert.deepEqual(unlearned.noise, {});
    } finally {
      await legacyPromo.close();
      await newPromo.close();
    }
  });
});
