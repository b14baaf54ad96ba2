import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { compareResponses, compileRules } from '../../src/parity/diff.js';
import type { CompareOptions } from '../../src/parity/diff.js';
import type { HttpSnapshot } from '../../src/parity/types.js';

const rules = compileRules({ headers: ['content-type', 'location'] });
const POST: CompareOptions = {
  classNoise: true,
  request: { method: 'POST', text: () => '/api/orders {"user_id":5,"items":[{"product_id":3,"quantity":2}]}' },
  now: Date.now(),
};

function created(body: unknown, location?: string): HttpSnapshot {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (location !== undefined) headers.location = location;
  return { status: 201, headers, body: body === undefined ? '' : JSON.stringify(body) };
}

const order = (id: number, extra: Record<string, unknown> = {}) => ({
  id,
  user_id: 5,
  url: `/api/orders/${id}`,
  items: [{ id: id * 10, order_id: id, product_id: 3, quantity: 2 }],
  ...extra,
});

describe('ids a POST creates (serial class)', () => {
  test('the ids each side gives a created record, and every reference to them, are noise on a POST', () => {
    const r = compareResponses(
      created(order(1043), '/api/orders/1043'),
      created(order(17), '/api/orders/17'),
      rules,
      undefined,
      POST,
    );
    assert.deepEqual(r.differences, []);
    assert.deepEqual(r.noise.map((d) => [d.path, d.valueClass]).sort(), [
      ['$.id', 'serial'],
      ['$.items[0].id', 'serial'],
      ['$.items[0].order_id', 'serial'],
      ['$.url', 'serial'],
      ['header:location', 'serial'],
    ]);
  });

  test("a created record's location, a path on one side and a URL at its own origin on the other, is noise on a POST", () => {
    const ownHosts = { legacy: '127.0.0.1:5700', candidate: '127.0.0.1:8700' };
    const r = compareResponses(
      created(order(1030), '/api/orders/1030'),
      created(order(90), 'http://127.0.0.1:8700/api/orders/90'),
      rules,
      undefined,
      { ...POST, ownHosts },
    );
    assert.deepEqual(r.differences, []);
    assert.ok(r.noise.some((d) => d.path === 'header:location' && d.valueClass === 'serial'));
    // Another path than the record's still counts.
    const other = compareResponses(
      created(order(1030), '/api/orders/1030'),
      created(order(90), 'http://127.0.0.1:8700/api/order/90'),
      rules,
      undefined,
      { ...POST, ownHosts },
    );
    assert.deepEqual(
      other.differences.map((d) => d.path),
      ['header:location'],
    );
  });

  test('the same answers to a read are a different record, and count', () => {
    const r = compareResponses(created(order(1043)), created(order(17)), rules, undefined, {
      ...POST,
      request: { method: 'GET', text: () => '/api/orders/1043' },
    });
    assert.deepEqual(
      r.differences.map((d) => d.path),
      ['$.id', '$.url', '$.items[0].id', '$.items[0].order_id'],
    );
  });

  test('beside a created id, a changed type, a missing field and any other changed value still count', () => {
    const legacy = created(order(1043, { total: 12.5, note: 'gift' }));
    const candidate = created({
      ...order(17, { total: 13.5 }),
      user_id: 6,
      items: [{ id: '170', order_id: 17, product_id: 3, quantity: 2 }],
    });
    const r = compareResponses(legacy, candidate, rules, undefined, POST);
    assert.deepEqual(
      r.differences.map((d) => [d.path, d.kind]),
      [
        ['$.user_id', 'value'],
        ['$.items[0].id', 'type'],
        ['$.total', 'value'],
        ['$.note', 'missing'],
      ],
    );
  });

  test('a created record only named by its location header is noise; another path in it is not', () => {
    assert.deepEqual(
      compareResponses(
        created(undefined, '/api/orders/1043'),
        created(undefined, '/api/orders/17'),
        rules,
        undefined,
        POST,
      ).differences,
      [],
    );
    assert.deepEqual(
      compareResponses(
        created(undefined, '/api/orders/1043'),
        created(undefined, '/api/order/17'),
        rules,
        undefined,
        POST,
      ).differences.map((d) => d.path),
      ['header:location'],
    );
  });

  test('any id key names a created record (hold_id, holdId), but an id the request sent must come back the same', () => {
    const sent: CompareOptions = {
      ...POST,
      request: { method: 'POST', text: () => '/api/holds?event=12 {"event_id":7,"seat":"7-B2"}' },
    };
    const r = compareResponses(
      created({ hold_id: 462423188, holdId: 19224074, event_id: 7, ticket_id: 12 }),
      created({ hold_id: 976, holdId: 977, event_id: 8, ticket_id: 13 }),
      rules,
      undefined,
      sent,
    );
    assert.deepEqual(
      r.differences.map((d) => d.path),
      ['$.event_id', '$.ticket_id'],
    );
    assert.deepEqual(
      r.noise.map((d) => d.path),
      ['$.hold_id', '$.holdId'],
    );
    const paid = compareResponses(created({ paid: 10 }), created({ paid: 11 }), rules, undefined, POST);
    assert.equal(paid.differences.length, 1, 'paid is no id key');
  });

  test("new's small counter may meet a number the client sent; legacy's id in the request is no created id", () => {
    const sent: CompareOptions = {
      ...POST,
      request: { method: 'POST', text: () => '/api/appointments {"pet_id":6,"vet_id":2}' },
    };
    const made = compareResponses(
      created({ id: 5001, vet_id: 2 }),
      created({ id: 2, vet_id: 2 }),
      rules,
      undefined,
      sent,
    );
    assert.deepEqual(made.differences, []);
    const echoed = compareResponses(created({ id: 6 }), created({ id: 7 }), rules, undefined, sent);
    assert.deepEqual(
      echoed.differences.map((d) => d.path),
      ['$.id'],
    );
  });

  test('ids that do not pair one to one are no numbering, and count', () => {
    const legacy = created({ a: { id: 15 }, b: { id: 16 } });
    const candidate = created({ a: { id: 17 }, b: { id: 17 } });
    assert.equal(compareResponses(legacy, candidate, rules, undefined, POST).differences.length, 2);
  });

  test('valueClasses without serial compare created ids as any value', () => {
    const plain = compileRules({ valueClasses: ['uuid', 'timestamp'] });
    const r = compareResponses(created({ id: 1043 }), created({ id: 17 }), plain, undefined, POST);
    assert.deepEqual(
      r.differences.map((d) => d.path),
      ['$.id'],
    );
  });
});
