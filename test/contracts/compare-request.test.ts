/**
 * `phoenix comparator --from-requests` compares a list of requests on a family's two upstreams
 * (`RequestComparator`): like the shadow path, it confirms a kind of difference new to its route
 * with legacy before counting it, a few times per route. Real servers, free ports.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { ServerResponse } from 'node:http';
import { RequestComparator } from '../../src/contracts/compare-request.js';
import type { FamilyPlan } from '../../src/plan/index.js';
import { contractFamily } from '../helpers/contract-family.js';
import { fakeUpstream, type FakeUpstream } from '../helpers/fake-upstream.js';

let legacy: FakeUpstream;
let candidate: FakeUpstream;
let family: FamilyPlan;
let comparator: RequestComparator;
const legacyCalls = { search: 0, item: 0 };

const send = (res: ServerResponse, body: unknown): void => {
  res.writeHead(200, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
};

before(async () => {
  // legacy's search sends its promotion on every third answer only: its first two answers agree.
  legacy = await fakeUpstream((req, res) => {
    if (req.url?.startsWith('/api/search'))
      return send(res, { hits: [1, 2], ...(++legacyCalls.search % 3 === 0 ? { promo: 'spring' } : {}) });
    legacyCalls.item++;
    send(res, { id: 1, price: 10 });
  });
  candidate = await fakeUpstream((req, res) => {
    if (req.url?.startsWith('/api/search')) return send(res, { hits: [1, 2], promo: 'spring' });
    send(res, { id: 1, price: 11 });
  });
  family = await contractFamily({
    tmpPrefix: 'phx-compare-request-',
    plan: 'compare-request',
    family: 'shop',
    routes: ['GET /api/search', 'GET /api/items/:id'],
    legacy: legacy.url,
    candidate: candidate.url,
    cases: 'family: shop\ncases:\n  - name: one item\n    request: { path: /api/items/1 }\n',
  });
  comparator = new RequestComparator(family);
});

after(async () => {
  await comparator?.close();
  await legacy?.close();
  await candidate?.close();
});

describe('comparing a list of requests', () => {
  test('a field legacy sends only some of the time is confirmed as noise, though its first two answers agreed', async () => {
    const [verdict] = await comparator.compare([{ method: 'GET', target: '/api/search?q=a' }]);
    assert.deepEqual(verdict?.differences, []);
    assert.equal(legacyCalls.search, 4, 'one answer, one resample, two confirmations');
  });

  test('a changed price counts on every request, and legacy confirms it only a few times', async () => {
    const verdicts = await comparator.compare(
      Array.from({ length: 5 }, () => ({ method: 'GET', target: '/api/items/1' })),
    );
    assert.deepEqual(
      verdicts.map((v) => v.differences.map((d) => d.path)),
      Array.from({ length: 5 }, () => ['$.price']),
    );
    // 5 answers, 5 resamples, and 3 confirmations of 2 answers.
    assert.equal(legacyCalls.item, 16);
  });
});
