import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { signatureOf, shortHash } from '../../src/parity/signature.js';

const R = 'GET /api/things/:id';

describe('signatureOf', () => {
  test('a type change names both JSON types and folds array indices', () => {
    const s = signatureOf(R, { path: '$.items[3].price', kind: 'type', legacy: 3, candidate: '3' });
    assert.equal(s.text, 'GET /api/things/:id $.items[*].price type number→string');
    assert.equal(s.path, '$.items[*].price');
    assert.equal(s.transition, 'number→string');
    assert.match(s.id, /^[0-9a-f]{12}$/);
  });

  test('the same difference on other items and values has the same id; another route does not', () => {
    const a = signatureOf(R, { path: '$.items[id=1].name', kind: 'missing', legacy: 'x' });
    const b = signatureOf(R, { path: '$.items[id=99].name', kind: 'missing', legacy: 'y' });
    const c = signatureOf('POST /api/things', { path: '$.items[id=1].name', kind: 'missing', legacy: 'x' });
    assert.equal(a.id, b.id);
    assert.notEqual(a.id, c.id);
    assert.equal(a.text, 'GET /api/things/:id $.items[*].name missing');
  });

  test('values that vary make no transition for value differences', () => {
    const a = signatureOf(R, { path: '$.n', kind: 'value', legacy: 1, candidate: 2 });
    const b = signatureOf(R, { path: '$.n', kind: 'value', legacy: 7, candidate: 9 });
    assert.equal(a.id, b.id);
    assert.equal(a.text, 'GET /api/things/:id $.n value');
  });

  test('status, header media types, extra, format, order, redirect and latency', () => {
    const text = (d: Parameters<typeof signatureOf>[1]): string => signatureOf('POST /api/things', d).text;
    assert.equal(
      text({ path: '$status', kind: 'status', legacy: 200, candidate: 201 }),
      'POST /api/things status 200→201',
    );
    assert.equal(
      text({
        path: 'header:content-type',
        kind: 'header',
        legacy: 'text/csv; charset=utf-8',
        candidate: 'text/plain',
      }),
      'POST /api/things header content-type text/csv→text/plain',
    );
    assert.equal(
      text({ path: 'header:x-trace', kind: 'header', candidate: 'a' }),
      'POST /api/things header x-trace absent→present',
    );
    assert.equal(text({ path: '$.id', kind: 'extra', candidate: 5 }), 'POST /api/things $.id extra');
    assert.equal(
      text({
        path: '$.created',
        kind: 'format',
        legacy: '2024-05-01T10:00:00+00:00',
        candidate: '2024-05-01T10:00:00Z',
        valueClass: 'timestamp',
      }),
      'POST /api/things $.created format +00:00→Z',
    );
    assert.equal(
      text({
        path: '$.t',
        kind: 'format',
        legacy: '2024-05-01T10:00:00.120Z',
        candidate: 1714557600,
        valueClass: 'timestamp',
      }),
      'POST /api/things $.t format .fffZ→epoch',
    );
    assert.equal(text({ path: '$.tags', kind: 'order' }), 'POST /api/things $.tags order');
    assert.equal(text({ path: '$redirect', kind: 'redirect' }), 'POST /api/things redirect');
    assert.equal(text({ path: '$latency', kind: 'latency' }), 'POST /api/things latency');
  });

  test('ids are stable across runs and differ for different texts', () => {
    assert.equal(shortHash('GET /a $.x missing'), shortHash('GET /a $.x missing'));
    const ids = new Set(Array.from({ length: 2000 }, (_, i) => shortHash(`GET /r${i} $.f${i % 7} missing`)));
    assert.equal(ids.size, 2000);
  });
});
