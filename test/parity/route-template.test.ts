import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { isIdSegment, RouteKeys, routeTemplate } from '../../src/parity/route-template.js';

describe('route templates', () => {
  test('a plain pattern stays as it is', () => {
    assert.equal(routeTemplate('GET /api/users/:id', 'GET', '/api/users/7'), 'GET /api/users/:id');
    assert.equal(routeTemplate('GET|HEAD /api/users', 'HEAD', '/api/users?page=2'), 'GET|HEAD /api/users');
  });

  test("a pattern naming several methods takes the request's, so a form's POST learns no noise from its page's GET", () => {
    assert.equal(routeTemplate('GET|POST /login', 'GET', '/login'), 'GET /login');
    assert.equal(routeTemplate('GET|POST /login', 'POST', '/login?next=/bills'), 'POST /login');
    assert.equal(routeTemplate('GET|HEAD|POST /api/users/:id', 'HEAD', '/api/users/7'), 'HEAD /api/users/:id');
    assert.equal(routeTemplate('GET|POST /api/things/*', 'POST', '/api/things/42'), 'POST /api/things/:id');
  });

  test('the path under a trailing wildcard becomes a template: ids to :id, literal segments kept', () => {
    assert.equal(routeTemplate('GET /api/things/*', 'GET', '/api/things/42/history'), 'GET /api/things/:id/history');
    assert.equal(
      routeTemplate('GET /api/things/*', 'GET', '/api/things/0b6c3f4e-8d2a-4f1b-9c3e-2a7d5e6f8a90?x=1'),
      'GET /api/things/:id',
    );
    assert.equal(routeTemplate('GET /api/things/*', 'GET', '/api/things/export'), 'GET /api/things/export');
    assert.equal(routeTemplate('GET /api/things/*', 'GET', '/api/things'), 'GET /api/things');
    assert.equal(routeTemplate('GET /api/things/*', 'GET', '/api/things/'), 'GET /api/things/');
  });

  test('a pattern without a method takes the request method; parameters before the wildcard keep their names', () => {
    assert.equal(routeTemplate('/api/orders/*', 'POST', '/api/orders/17/lines'), 'POST /api/orders/:id/lines');
    assert.equal(routeTemplate('/api/orders/:oid', 'DELETE', '/api/orders/17'), 'DELETE /api/orders/:oid');
    assert.equal(
      routeTemplate('GET /api/users/:uid/*', 'GET', '/api/users/9/files/01JE5Y8ZK3N4QW7R2T6V9XBCDF'),
      'GET /api/users/:uid/files/:id',
    );
    assert.equal(routeTemplate('*', 'GET', '/x'), '*');
  });

  test('two text routes of one prefix family get different keys', () => {
    const a = routeTemplate('/api/things/*', 'GET', '/api/things/report');
    const b = routeTemplate('/api/things/*', 'GET', '/api/things/readme');
    assert.notEqual(a, b);
  });

  test('id-like segments: integers, UUIDs, ULIDs, long hex, tokens with digits; words are not', () => {
    for (const s of [
      '42',
      '0b6c3f4e-8d2a-4f1b-9c3e-2a7d5e6f8a90',
      '01JE5Y8ZK3N4QW7R2T6V9XBCDF',
      '9f86d081884c7d65',
      'INV-2024-0001',
      'ord_8f3K2x9Q',
    ])
      assert.equal(isIdSegment(s), true, s);
    for (const s of ['history', 'v2', 'export.csv', 'by-name', '', 'oauth']) assert.equal(isIdSegment(s), false, s);
  });

  test('keys are bounded per pattern; past the bound the pattern itself is the key', () => {
    const keys = new RouteKeys(2);
    assert.equal(keys.keyFor('/docs/*', 'GET', '/docs/intro'), 'GET /docs/intro');
    assert.equal(keys.keyFor('/docs/*', 'GET', '/docs/setup'), 'GET /docs/setup');
    assert.equal(keys.keyFor('/docs/*', 'GET', '/docs/faq'), 'GET /docs/*');
    assert.equal(keys.keyFor('/docs/*', 'GET', '/docs/intro'), 'GET /docs/intro', 'known templates keep their key');
    assert.equal(keys.keyFor('GET /a/:id', 'GET', '/a/1'), 'GET /a/:id');
  });
});
