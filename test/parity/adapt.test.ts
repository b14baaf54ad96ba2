import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { applyAdapter, compileAdapters } from '../../src/parity/adapt.js';
import type { CompiledAdapter } from '../../src/parity/adapt.js';
import type { AdapterOp } from '../../src/plan/schema.js';
import type { HttpSnapshot } from '../../src/parity/types.js';
import { hasCode } from '../../src/lib/errors.js';

function adapter(ops: AdapterOp[], route = 'GET /api/orders/:id'): CompiledAdapter {
  const set = compileAdapters([{ route, ops }]);
  const a = set.find('GET', '/api/orders/1');
  assert.ok(a);
  return a;
}

function res(
  body: unknown,
  headers: HttpSnapshot['headers'] = { 'content-type': 'application/json', 'Content-Length': '999' },
): HttpSnapshot {
  return { status: 200, headers, body: Buffer.from(JSON.stringify(body)) };
}

function bodyOf(s: HttpSnapshot): unknown {
  return JSON.parse(typeof s.body === 'string' ? s.body : Buffer.from(s.body).toString('utf8'));
}

describe('adapter route matching', () => {
  test('find matches method and path pattern, ignores the query, and returns the first match', () => {
    const set = compileAdapters([
      { route: 'GET /api/orders/:id', ops: [{ op: 'wrap', key: 'a' }] },
      { route: '/api/orders/*', ops: [{ op: 'wrap', key: 'b' }] },
    ]);
    assert.equal(set.size, 2);
    assert.equal(set.find('GET', '/api/orders/12?x=1')?.route, 'GET /api/orders/:id');
    assert.equal(set.find('POST', '/api/orders/12')?.route, '/api/orders/*');
    assert.equal(set.find('get', '/api/orders/12')?.route, 'GET /api/orders/:id');
    assert.equal(set.find('GET', '/api/users/1'), undefined);
  });

  test('a bad route or op is refused with a stable code', () => {
    assert.throws(
      () => compileAdapters([{ route: 'GET api', ops: [{ op: 'wrap', key: 'a' }] }]),
      (e: unknown) => hasCode(e, 'PHX_ERR_PARITY_BAD_ADAPTER'),
    );
    assert.throws(
      () => compileAdapters([{ route: 'GET /a', ops: [{ op: 'rename', from: '$.items[*].a', to: '$.b' }] }]),
      (e: unknown) => hasCode(e, 'PHX_ERR_PARITY_BAD_ADAPTER'),
    );
  });
});

describe('adapter ops', () => {
  test('rename moves a field and fixes content-length', () => {
    const out = applyAdapter(
      adapter([{ op: 'rename', from: '$.order_id', to: '$.id' }]),
      res({ order_id: 5, total: 1 }),
    );
    assert.deepEqual(bodyOf(out), { total: 1, id: 5 });
    const bytes = Buffer.byteLength(JSON.stringify({ total: 1, id: 5 }));
    assert.deepEqual(out.headers, { 'content-type': 'application/json', 'content-length': String(bytes) });
  });

  test('rename works inside arrays and into new nested objects', () => {
    const a = adapter([
      { op: 'rename', from: '$.items[*].order_id', to: '$.items[*].id' },
      { op: 'rename', from: '$.total', to: '$.summary.total' },
    ]);
    const out = applyAdapter(a, res({ items: [{ order_id: 1 }, { order_id: 2, x: 0 }, { other: 3 }], total: 9 }));
    assert.deepEqual(bodyOf(out), { items: [{ id: 1 }, { x: 0, id: 2 }, { other: 3 }], summary: { total: 9 } });
  });

  test('unwrap replaces the body with the value at a path, wrap puts it under a key', () => {
    assert.deepEqual(
      bodyOf(applyAdapter(adapter([{ op: 'unwrap', path: '$.data' }]), res({ data: [1, 2], meta: {} }))),
      [1, 2],
    );
    assert.deepEqual(bodyOf(applyAdapter(adapter([{ op: 'wrap', key: 'result' }]), res([1]))), { result: [1] });
  });

  test('remove deletes fields, array items and fields at any depth', () => {
    const out = applyAdapter(
      adapter([
        { op: 'remove', path: '$.internal' },
        { op: 'remove', path: '$.list[1]' },
        { op: 'remove', path: '$..secret' },
      ]),
      res({ internal: 1, list: ['a', 'b', 'c'], deep: { secret: 1, keep: { secret: 2, ok: true } } }),
    );
    assert.deepEqual(bodyOf(out), { list: ['a', 'c'], deep: { keep: { ok: true } } });
  });

  test('set writes a value at a path, creating objects, and on every array item', () => {
    const out = applyAdapter(
      adapter([
        { op: 'set', path: '$.meta.version', value: 1 },
        { op: 'set', path: '$.items[*].currency', value: 'EUR' },
      ]),
      res({ items: [{ p: 1 }, { p: 2 }] }),
    );
    assert.deepEqual(bodyOf(out), {
      items: [
        { p: 1, currency: 'EUR' },
        { p: 2, currency: 'EUR' },
      ],
      meta: { version: 1 },
    });
  });

  test('status maps only the given status; header adds or replaces regardless of name case', () => {
    const a = adapter([
      { op: 'status', from: 201, to: 200 },
      { op: 'header', name: 'Content-Type', value: 'application/json; charset=utf-8' },
      { op: 'header', name: 'X-Legacy', value: '1' },
    ]);
    const input: HttpSnapshot = { status: 201, headers: { 'content-type': 'application/json' }, body: '{"a":1}' };
    const out = applyAdapter(a, input);
    assert.equal(out.status, 200);
    assert.deepEqual(out.headers, { 'content-type': 'application/json; charset=utf-8', 'x-legacy': '1' });
    assert.equal(out.body, '{"a":1}', 'a body no op touches is passed through untouched');
    assert.equal(applyAdapter(a, { ...input, status: 404 }).status, 404);
  });

  test('the input snapshot is never mutated and a non-JSON body is left as is', () => {
    const input = res({ order_id: 5 });
    const before = structuredClone({ headers: input.headers, body: bodyOf(input) });
    applyAdapter(adapter([{ op: 'rename', from: '$.order_id', to: '$.id' }]), input);
    assert.deepEqual({ headers: input.headers, body: bodyOf(input) }, before);
    const html: HttpSnapshot = { status: 200, headers: { 'content-type': 'text/html' }, body: '<p>hi</p>' };
    const out = applyAdapter(
      adapter([
        { op: 'wrap', key: 'a' },
        { op: 'status', from: 200, to: 203 },
      ]),
      html,
    );
    assert.deepEqual(out, { ...html, status: 203 });
  });
});
