import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { compareResponses, compileRules } from '../../src/parity/diff.js';
import { NoiseLearner } from '../../src/parity/noise.js';
import type { HttpSnapshot, NoiseFilter } from '../../src/parity/types.js';

const rules = compileRules({});
const ROUTE = 'GET /api/users/:id';

function json(body: unknown, status = 200): HttpSnapshot {
  return { status, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) };
}

function user(requestId: string, name: string, updated: string[]): HttpSnapshot {
  return json({ id: 7, name, request_id: requestId, sessions: updated.map((u, i) => ({ n: i, updated_at: u })) });
}

describe('noise cancellation', () => {
  test('a field that differs between two legacy answers is learned and then set aside as noise', () => {
    const learner = new NoiseLearner();
    const learned = learner.observe(
      ROUTE,
      user('r1', 'Ann', ['t1', 't2']),
      user('r2', 'Ann', ['t3', 't2']),
      rules,
      1000,
    );
    assert.deepEqual(
      learned.map((d) => d.path),
      ['$.request_id', '$.sessions[0].updated_at'],
    );
    const r = compareResponses(
      user('r3', 'Ann', ['t1', 't2']),
      user('r4', 'Ann', ['t1', 't9']),
      rules,
      learner.filterFor(ROUTE),
    );
    assert.equal(r.equal, true);
    assert.deepEqual(r.differences, []);
    assert.deepEqual(
      r.noise.map((d) => d.path),
      ['$.request_id', '$.sessions[1].updated_at'],
    );
  });

  test('a field that differs only between legacy and new is a real mismatch', () => {
    const learner = new NoiseLearner();
    learner.observe(ROUTE, user('r1', 'Ann', []), user('r2', 'Ann', []), rules);
    const r = compareResponses(user('r3', 'Ann', []), user('r4', 'Anne', []), rules, learner.filterFor(ROUTE));
    assert.equal(r.equal, false);
    assert.deepEqual(r.differences, [{ path: '$.name', kind: 'value', legacy: 'Ann', candidate: 'Anne' }]);
    assert.deepEqual(
      r.noise.map((d) => d.path),
      ['$.request_id'],
    );
  });

  test('noise is learned per route', () => {
    const learner = new NoiseLearner();
    learner.observe(ROUTE, user('r1', 'Ann', []), user('r2', 'Ann', []), rules);
    const other = compareResponses(
      user('r1', 'Ann', []),
      user('r2', 'Ann', []),
      rules,
      learner.filterFor('GET /api/orders'),
    );
    assert.deepEqual(
      other.differences.map((d) => d.path),
      ['$.request_id'],
    );
  });

  test('differences below a learned path are noise too', () => {
    const learner = new NoiseLearner();
    learner.observe(ROUTE, json({ meta: { a: 1 } }), json({ meta: 'x' }), rules);
    const r = compareResponses(
      json({ meta: { a: 1, b: 2 } }),
      json({ meta: { a: 3 } }),
      rules,
      learner.filterFor(ROUTE),
    );
    assert.deepEqual(r.differences, []);
    assert.deepEqual(
      r.noise.map((d) => [d.path, d.kind]),
      [
        ['$.meta.a', 'value'],
        ['$.meta.b', 'missing'],
      ],
    );
  });

  test('answers with different statuses teach nothing', () => {
    const learner = new NoiseLearner();
    const diffs = learner.observe(ROUTE, json({ a: 1 }), json({ error: 'boom' }, 500), rules);
    assert.ok(diffs.length > 0);
    assert.deepEqual(learner.snapshot(), {});
  });

  test('filterFor returns the same object, which sees later learning', () => {
    const learner = new NoiseLearner();
    const f = learner.filterFor(ROUTE);
    assert.equal(f, learner.filterFor(ROUTE));
    assert.equal(f.has('$.request_id'), false);
    learner.observe(ROUTE, user('r1', 'Ann', []), user('r2', 'Ann', []), rules);
    assert.equal(f.has('$.request_id'), true);
  });

  test('snapshot counts paths, keeps the first example and round-trips through load', () => {
    const learner = new NoiseLearner();
    learner.observe(ROUTE, user('r1', 'Ann', ['a']), user('r2', 'Ann', ['b']), rules, 1000);
    learner.observe(ROUTE, user('r3', 'Ann', ['a']), user('r4', 'Ann', ['a']), rules, 2000);
    const snap = learner.snapshot();
    assert.deepEqual(snap, {
      [ROUTE]: [
        {
          path: '$.request_id',
          count: 2,
          example: { a: 'r1', b: 'r2' },
          firstSeen: 1000,
          reason: 'resampled',
          kinds: ['value'],
        },
        {
          path: '$.sessions[*].updated_at',
          count: 1,
          example: { a: 'a', b: 'b' },
          firstSeen: 1000,
          reason: 'resampled',
          kinds: ['value'],
        },
      ],
    });
    const copy = new NoiseLearner();
    copy.load(snap);
    assert.deepEqual(copy.snapshot(), snap);
    assert.equal(copy.filterFor(ROUTE).has('$.sessions[*].updated_at'), true);
  });

  test('a field whose value is noise still counts when new leaves it out or changes its type', () => {
    const learner = new NoiseLearner();
    learner.observe(ROUTE, user('r1', 'Ann', ['t1']), user('r2', 'Ann', ['t2']), rules);
    const f = learner.filterFor(ROUTE);
    const legacy = json({ id: 7, request_id: 'r3', sessions: [{ n: 0, updated_at: 't1' }] });
    const candidate = json({ id: 7, sessions: [{ n: 0, updated_at: 1700000000 }] });
    const r = compareResponses(legacy, candidate, rules, f);
    assert.deepEqual(
      r.differences.map((d) => [d.path, d.kind]),
      [
        ['$.request_id', 'missing'],
        ['$.sessions[0].updated_at', 'type'],
      ],
    );
    assert.equal(f.has('$.request_id'), true, 'a learned path still hides what lies below it');
  });

  test('a field legacy itself sometimes leaves out, or gives another type, is noise in those ways too', () => {
    const learner = new NoiseLearner();
    learner.observe(ROUTE, json({ coupon: null, debug: { a: 1 } }), json({ coupon: 'X1' }), rules);
    const f = learner.filterFor(ROUTE);
    const r = compareResponses(json({ coupon: 'X2', debug: { a: 2 } }), json({ coupon: 'X3' }), rules, f);
    assert.deepEqual(r.differences, []);
    assert.deepEqual(
      r.noise.map((d) => [d.path, d.kind]),
      [
        ['$.coupon', 'value'],
        ['$.debug', 'missing'],
      ],
    );
    assert.deepEqual(
      compareResponses(json({ coupon: 'X2' }), json({}), rules, f).differences.map((d) => [d.path, d.kind]),
      [['$.coupon', 'missing']],
    );
  });

  test('noise saved before kinds were recorded keeps hiding every kind, and kinds merge on load', () => {
    const old = new NoiseLearner();
    old.load({ [ROUTE]: [{ path: '$.request_id', count: 3, firstSeen: 1, reason: 'resampled' }] });
    assert.equal(old.filterFor(ROUTE).has('$.request_id', 'missing'), true);
    const merged = new NoiseLearner();
    merged.observe(ROUTE, json({ a: 1 }), json({ a: 2 }), rules);
    merged.load({ [ROUTE]: [{ path: '$.a', count: 1, firstSeen: 1, reason: 'resampled', kinds: ['missing'] }] });
    assert.deepEqual(merged.snapshot()[ROUTE]?.[0]?.kinds, ['value', 'missing']);
    assert.equal(merged.filterFor(ROUTE).has('$.a', 'extra'), true);
    assert.equal(merged.filterFor(ROUTE).has('$.a', 'type'), false);
  });

  test('no more than maxPathsPerRoute paths are learned per route', () => {
    const learner = new NoiseLearner({ maxPathsPerRoute: 2 });
    learner.observe(ROUTE, json({ a: 1, b: 1, c: 1 }), json({ a: 2, b: 2, c: 2 }), rules);
    assert.equal(learner.snapshot()[ROUTE]?.length, 2);
  });
});

describe('lists in a random order', () => {
  const LIST = 'GET /api/tags';
  const tags = (names: string[]): HttpSnapshot => json({ total: names.length, tags: names.map((n) => ({ name: n })) });

  function learnedShuffle(): NoiseLearner {
    const learner = new NoiseLearner();
    learner.observe(LIST, tags(['a', 'b', 'c', 'd']), tags(['c', 'a', 'd', 'b']), rules, 1000);
    return learner;
  }

  test('a list that legacy answers in another order is learned as order-only noise', () => {
    const learner = learnedShuffle();
    assert.deepEqual(learner.snapshot(), {
      [LIST]: [{ path: '$.tags', count: 1, firstSeen: 1000, reason: 'resampled', kinds: ['order'], orderOnly: true }],
    });
    const f = learner.filterFor(LIST);
    assert.equal(f.has('$.tags'), false);
    assert.deepEqual([...(f.orderOnly ?? [])], ['$.tags']);
    const r = compareResponses(tags(['a', 'b', 'c', 'd']), tags(['d', 'c', 'b', 'a']), rules, f);
    assert.deepEqual(r.differences, []);
  });

  test('an item new drops from a shuffled list is still a mismatch', () => {
    const f = learnedShuffle().filterFor(LIST);
    const r = compareResponses(tags(['a', 'b', 'c', 'd']), tags(['d', 'a', 'b']), rules, f);
    assert.deepEqual(
      r.differences.map((d) => [d.path, d.kind]),
      [
        ['$.total', 'value'],
        ['$.tags[2]', 'missing'],
      ],
    );
    assert.deepEqual(r.noise, []);
  });

  test('a record changed inside a shuffled list shows the field that changed', () => {
    const f = learnedShuffle().filterFor(LIST);
    const legacy = json({
      total: 3,
      tags: [
        { name: 'a', n: 1 },
        { name: 'b', n: 2 },
        { name: 'c', n: 3 },
      ],
    });
    const candidate = json({ total: 3, tags: [{ name: 'c', n: 3 }, { name: 'b' }, { name: 'a', n: 1 }] });
    const r = compareResponses(legacy, candidate, rules, f);
    assert.deepEqual(r.differences, [{ path: '$.tags[1].n', kind: 'missing', legacy: 2 }]);
  });

  test('a top-level list in another order is learned too, and an extra item still counts', () => {
    const learner = new NoiseLearner();
    learner.observe(LIST, json([1, 2, 3]), json([3, 1, 2]), rules);
    const f = learner.filterFor(LIST);
    assert.deepEqual(compareResponses(json([1, 2, 3]), json([2, 3, 1]), rules, f).differences, []);
    assert.deepEqual(compareResponses(json([1, 2, 3]), json([2, 3, 1, 4]), rules, f).differences, [
      { path: '$[3]', kind: 'extra', candidate: 4 },
    ]);
  });

  test('a long list in another order is learned as order-only too, and a record dropped from it still counts', () => {
    const learner = new NoiseLearner();
    const records = Array.from({ length: 1200 }, (_, i) => ({ id: i, name: `n${i}`, tags: ['x', String(i % 7)] }));
    const shuffle = (xs: typeof records) =>
      xs
        .map((x) => ({ x, k: Math.random() }))
        .sort((p, q) => p.k - q.k)
        .map((p) => p.x);
    learner.observe(LIST, json({ items: shuffle(records) }), json({ items: shuffle(records) }), rules);
    const f = learner.filterFor(LIST);
    assert.deepEqual([...(f.orderOnly ?? [])], ['$.items']);
    const fewer = shuffle(records.filter((r) => r.id !== 600));
    const r = compareResponses(json({ items: records }), json({ items: fewer }), rules, f);
    assert.deepEqual(r.differences, [{ path: '$.items[600]', kind: 'missing', legacy: records[600] }]);
  });

  describe('a list in a random order with a stamp in every record', () => {
    const SEEN = 'GET /api/seen';
    let stamp = 0;
    /** Records in `order`, each with a fresh `seen_at` and `etag`, as legacy sends them. */
    const seen = (order: number[], price: (id: number) => number = (id) => id * 10): HttpSnapshot =>
      json({
        items: order.map((id) => ({
          id,
          name: `n${id}`,
          price: price(id),
          seen_at: new Date(Date.UTC(2026, 11, 3, 10) + ++stamp * 7).toISOString(),
          etag: `e${stamp}`,
        })),
      });
    function learned(): NoiseFilter {
      const learner = new NoiseLearner();
      const taught = learner.observe(SEEN, seen([1, 2, 3, 4, 5]), seen([3, 1, 5, 2, 4]), rules, 1000);
      assert.deepEqual([taught[0]?.path, taught[0]?.kind], ['$.items', 'order']);
      const paths = Object.fromEntries(learner.snapshot()[SEEN]?.map((p) => [p.path, p.orderOnly === true]) ?? []);
      assert.deepEqual(paths, { '$.items': true, '$.items[*].etag': false, '$.items[*].seen_at': false });
      return learner.filterFor(SEEN);
    }

    test('only the stamps are learned, and the records are matched by their other fields', () => {
      const r = compareResponses(seen([1, 2, 3, 4, 5]), seen([4, 2, 5, 1, 3]), rules, learned());
      assert.deepEqual(r.differences, []);
    });

    test('a price changed in one record is still a mismatch, at that record', () => {
      const r = compareResponses(
        seen([1, 2, 3, 4, 5]),
        seen([4, 2, 5, 1, 3], (id) => (id === 2 ? 21 : id * 10)),
        rules,
        learned(),
      );
      assert.deepEqual(r.differences, [{ path: '$.items[1].price', kind: 'value', legacy: 20, candidate: 21 }]);
    });

    test('a record new drops is still a mismatch', () => {
      const r = compareResponses(seen([1, 2, 3, 4, 5]), seen([4, 5, 1, 3]), rules, learned());
      assert.deepEqual(
        r.differences.map((d) => [d.path, d.kind]),
        [['$.items[1]', 'missing']],
      );
    });
  });

  test('records no one field identifies are paired by the fields that are the same on both sides together', () => {
    const SLOTS = 'GET /api/vets/:id/slots';
    let stamp = 0;
    /** Day × hour slots in `order`, each with a fresh `held_at`; neither day nor hour is unique alone. */
    const slots = (order: number[], room: (k: number) => string = () => 'A'): HttpSnapshot =>
      json({
        slots: order.map((k) => ({
          day: k < 3 ? 'mon' : 'tue',
          hour: 9 + (k % 3),
          room: room(k),
          held_at: `2026-12-03T10:00:${String(++stamp).padStart(2, '0')}Z`,
        })),
      });
    const learner = new NoiseLearner();
    learner.observe(SLOTS, slots([0, 1, 2, 3, 4, 5]), slots([4, 0, 5, 2, 3, 1]), rules, 1000);
    assert.deepEqual(Object.fromEntries(learner.snapshot()[SLOTS]?.map((p) => [p.path, p.orderOnly === true]) ?? []), {
      '$.slots': true,
      '$.slots[*].held_at': false,
    });
    const f = learner.filterFor(SLOTS);
    assert.deepEqual(compareResponses(slots([0, 1, 2, 3, 4, 5]), slots([5, 3, 1, 0, 2, 4]), rules, f).differences, []);
    const moved = compareResponses(
      slots([0, 1, 2, 3, 4, 5]),
      slots([5, 3, 1, 0, 2, 4], (k) => (k === 4 ? 'B' : 'A')),
      rules,
      f,
    );
    assert.deepEqual(moved.differences, [{ path: '$.slots[4].room', kind: 'value', legacy: 'A', candidate: 'B' }]);
  });

  test('records that only their stamps tell apart are paired in turn, and a change in one is still seen', () => {
    const LOG = 'GET /api/pets/:id/activities';
    let stamp = 0;
    /** Activities in `order`; two walks are alike but for `logged_at`, and no field is unique. */
    const KINDS: [string, number][] = [
      ['walk', 30],
      ['walk', 30],
      ['feed', 5],
      ['walk', 45],
    ];
    const activities = (order: number[], minutes: (k: number) => number = (k) => KINDS[k]![1]): HttpSnapshot =>
      json({
        activities: order.map((k) => ({
          kind: KINDS[k]![0],
          minutes: minutes(k),
          logged_at: `2026-12-03T10:00:${String(++stamp).padStart(2, '0')}Z`,
        })),
      });
    const learner = new NoiseLearner();
    learner.observe(LOG, activities([0, 1, 2, 3]), activities([3, 2, 0, 1]), rules, 1000);
    assert.deepEqual(Object.fromEntries(learner.snapshot()[LOG]?.map((p) => [p.path, p.orderOnly === true]) ?? []), {
      '$.activities': true,
      '$.activities[*].logged_at': false,
    });
    const f = learner.filterFor(LOG);
    assert.deepEqual(compareResponses(activities([0, 1, 2, 3]), activities([1, 3, 0, 2]), rules, f).differences, []);
    const changed = compareResponses(
      activities([0, 1, 2, 3]),
      activities([1, 3, 0, 2], (k) => (k === 2 ? 6 : KINDS[k]![1])),
      rules,
      f,
    );
    assert.deepEqual(
      changed.differences.map((d) => [d.path, d.legacy, d.candidate]),
      [['$.activities[2].minutes', 5, 6]],
    );
    // One field alone, repeated, pairs them too: only the stamp is learned.
    const kinds = new NoiseLearner();
    const byKind = (order: string[]): HttpSnapshot =>
      json({ feed: order.map((kind) => ({ kind, at: `2026-12-03T11:00:${String(++stamp).padStart(2, '0')}Z` })) });
    kinds.observe('GET /api/feed', byKind(['a', 'b', 'a', 'c']), byKind(['c', 'a', 'a', 'b']), rules, 1000);
    assert.deepEqual(
      kinds
        .snapshot()
        ['GET /api/feed']?.map((p) => p.path)
        .sort(),
      ['$.feed', '$.feed[*].at'],
    );
  });

  test('records told apart by a nested object are paired by it, so a change inside it still counts', () => {
    const CART = 'GET /api/carts/:id';
    let stamp = 0;
    const PRODUCTS = [
      { sku: 'A1', name: 'kibble' },
      { sku: 'B2', name: 'leash' },
      { sku: 'C3', name: 'brush' },
    ];
    /** Lines in `order`, the same quantity on each and a fresh `priced_at`; keys of `product` in either order. */
    const cart = (order: number[], name: (k: number) => string = (k) => PRODUCTS[k]!.name): HttpSnapshot =>
      json({
        lines: order.map((k) => ({
          product:
            stamp % 2 === 0 ? { sku: PRODUCTS[k]!.sku, name: name(k) } : { name: name(k), sku: PRODUCTS[k]!.sku },
          qty: 1,
          priced_at: `2026-12-03T12:00:${String(++stamp).padStart(2, '0')}Z`,
        })),
      });
    const learner = new NoiseLearner();
    learner.observe(CART, cart([0, 1, 2]), cart([2, 0, 1]), rules, 1000);
    assert.deepEqual(
      learner
        .snapshot()
        [CART]?.map((p) => p.path)
        .sort(),
      ['$.lines', '$.lines[*].priced_at'],
    );
    const changed = compareResponses(
      cart([0, 1, 2]),
      cart([1, 2, 0], (k) => (k === 1 ? 'lead' : PRODUCTS[k]!.name)),
      rules,
      learner.filterFor(CART),
    );
    assert.deepEqual(
      changed.differences.map((d) => [d.path, d.candidate]),
      [['$.lines[1].product.name', 'lead']],
    );
  });

  test('a list whose legacy answers differ in more than order becomes ordinary noise, also through load', () => {
    const learner = learnedShuffle();
    learner.observe(LIST, json({ total: 1, tags: 'none' }), json({ total: 1, tags: [] }), rules, 2000);
    const f = learner.filterFor(LIST);
    assert.equal(f.has('$.tags'), true);
    assert.equal(f.orderOnly?.size, 0);
    const fresh = learnedShuffle();
    fresh.load(learner.snapshot());
    assert.equal(fresh.filterFor(LIST).has('$.tags'), true);
    const copy = new NoiseLearner();
    copy.load(learnedShuffle().snapshot());
    assert.equal(copy.filterFor(LIST).has('$.tags'), false);
    assert.deepEqual([...(copy.filterFor(LIST).orderOnly ?? [])], ['$.tags']);
  });
});

describe('class noise in the learned-noise report', () => {
  test('class noise is listed with its class and reason, and never becomes a learned path', () => {
    const learner = new NoiseLearner();
    const now = Date.UTC(2026, 11, 1, 12);
    const a = json({ id: '0b6c3f4e-8d2a-4f1b-9c3e-2a7d5e6f8a90', name: 'Ann' });
    const b = json({ id: 'a1c2e3f4-0000-4111-8222-333344445555', name: 'Ann' });
    const r = compareResponses(a, b, rules, learner.filterFor(ROUTE), { classNoise: true, now });
    assert.equal(r.equal, true);
    assert.equal(learner.noteClassNoise(ROUTE, r.noise, now), true);
    assert.equal(learner.noteClassNoise(ROUTE, r.noise, now), false, 'a path is listed once, then counted');
    assert.deepEqual(learner.snapshot()[ROUTE], [
      {
        path: '$.id',
        count: 2,
        example: { a: '0b6c3f4e-8d2a-4f1b-9c3e-2a7d5e6f8a90', b: 'a1c2e3f4-0000-4111-8222-333344445555' },
        firstSeen: now,
        reason: 'value-class',
        valueClass: 'uuid',
      },
    ]);
    assert.equal(learner.filterFor(ROUTE).has('$.id'), false);
    // A later change of class at that path is still a difference.
    const c = json({ id: 17, name: 'Ann' });
    assert.equal(compareResponses(a, c, rules, learner.filterFor(ROUTE), { classNoise: true, now }).equal, false);
  });

  test('lessons are counted per route, and saved class noise loads back as class noise', () => {
    const learner = new NoiseLearner();
    assert.equal(learner.lessonsFor(ROUTE), 0);
    learner.observe(ROUTE, user('r1', 'Ann', []), user('r1', 'Ann', []), rules);
    assert.equal(learner.lessonsFor(ROUTE), 1);
    assert.equal(learner.snapshot()[ROUTE], undefined, 'an equal pair teaches nothing');
    const other = new NoiseLearner();
    other.load({
      [ROUTE]: [{ path: '$.id', count: 3, firstSeen: 1, reason: 'value-class', valueClass: 'uuid' }],
    });
    assert.equal(other.filterFor(ROUTE).has('$.id'), false);
    assert.equal(other.snapshot()[ROUTE]?.[0]?.valueClass, 'uuid');
  });
});
