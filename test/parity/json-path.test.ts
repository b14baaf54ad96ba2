import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { ancestorPaths, normalizePath, parsePath } from '../../src/parity/json-path.js';
import { hasCode } from '../../src/lib/errors.js';

describe('parsePath', () => {
  test('parses keys, indices, wildcards, quoted names and any-depth', () => {
    assert.deepEqual(parsePath('$'), []);
    assert.deepEqual(parsePath('$.items[3].price'), [
      { t: 'key', name: 'items' },
      { t: 'index', index: 3 },
      { t: 'key', name: 'price' },
    ]);
    assert.deepEqual(parsePath('$..request_id'), [{ t: 'descend' }, { t: 'key', name: 'request_id' }]);
    assert.deepEqual(parsePath('$.a.*[*]'), [{ t: 'key', name: 'a' }, { t: 'any' }, { t: 'any' }]);
    assert.deepEqual(parsePath(`$["a.b"]['c']..[0]`), [
      { t: 'key', name: 'a.b' },
      { t: 'key', name: 'c' },
      { t: 'descend' },
      { t: 'index', index: 0 },
    ]);
  });

  for (const bad of ['items', '$.', '$.a[', '$.a[x]', '$..', '$a', '$.a["b]']) {
    test(`refuses ${JSON.stringify(bad)} with PHX_ERR_PARITY_BAD_PATH`, () => {
      assert.throws(
        () => parsePath(bad),
        (e: unknown) => hasCode(e, 'PHX_ERR_PARITY_BAD_PATH'),
      );
    });
  }
});

describe('normalizePath', () => {
  test('folds indices and keyed items to [*] and keeps quoted names', () => {
    assert.equal(normalizePath('$.items[3].price'), '$.items[*].price');
    assert.equal(normalizePath('$.items[id=42].price'), '$.items[*].price');
    assert.equal(normalizePath('$.items[sku="a]b"][0]'), '$.items[*][*]');
    assert.equal(normalizePath('$["x[1]"][2]'), '$["x[1]"][*]');
    assert.equal(normalizePath('$.a.b'), '$.a.b');
    assert.equal(normalizePath('header:etag'), 'header:etag');
  });
});

describe('ancestorPaths', () => {
  test('lists proper ancestors nearest first, stepping over quoted names', () => {
    assert.deepEqual(ancestorPaths('$.a[*].b'), ['$.a[*]', '$.a', '$']);
    assert.deepEqual(ancestorPaths('$["x.y"].z'), ['$["x.y"]', '$']);
    assert.deepEqual(ancestorPaths('$'), []);
    assert.deepEqual(ancestorPaths('$status'), []);
    assert.deepEqual(ancestorPaths('header:content-type'), []);
  });
});
