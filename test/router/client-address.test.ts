import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { compileTrust, forwardedClient } from '../../src/router/client-address.js';

const trust = compileTrust(['10.0.0.0/8', '127.0.0.1', 'fd00::/8'])!;

describe('client address from forwarding headers', () => {
  test('the rightmost X-Forwarded-For entry that is not a trusted proxy is the client', () => {
    assert.equal(forwardedClient({ 'x-forwarded-for': '203.0.113.9' }, trust), '203.0.113.9');
    // A client may write anything on the left; the hops our proxies appended are on the right.
    assert.equal(
      forwardedClient({ 'x-forwarded-for': '1.1.1.1, 203.0.113.9, 10.1.2.3, 127.0.0.1' }, trust),
      '203.0.113.9',
    );
    assert.equal(forwardedClient({ 'x-forwarded-for': '2001:db8::7, fd00::1' }, trust), '2001:db8::7');
    assert.equal(forwardedClient({ 'x-forwarded-for': '[2001:db8::7]:443' }, trust), '2001:db8::7');
    assert.equal(forwardedClient({ 'x-forwarded-for': '198.51.100.4:5555' }, trust), '198.51.100.4');
  });

  test('a chain of trusted proxies only gives its leftmost entry; an empty header gives none', () => {
    assert.equal(forwardedClient({ 'x-forwarded-for': '10.0.0.5, 10.0.0.6' }, trust), '10.0.0.5');
    assert.equal(forwardedClient({ 'x-forwarded-for': '' }, trust), undefined);
    assert.equal(forwardedClient({}, trust), undefined);
  });

  test('Forwarded: for= is read when there is no X-Forwarded-For', () => {
    assert.equal(
      forwardedClient({ forwarded: 'for=198.51.100.17;proto=https, For="[2001:db8:cafe::17]:4711"' }, trust),
      '2001:db8:cafe::17',
    );
    assert.equal(forwardedClient({ forwarded: 'for=198.51.100.17, for=10.9.9.9;by=10.0.0.1' }, trust), '198.51.100.17');
    assert.equal(
      forwardedClient({ forwarded: 'for=198.51.100.17', 'x-forwarded-for': '203.0.113.1' }, trust),
      '203.0.113.1',
      'X-Forwarded-For first',
    );
  });

  test('trusted ranges match IPv4, IPv6 and IPv4-mapped IPv6 peers', () => {
    assert.equal(trust.has('10.200.0.1'), true);
    assert.equal(trust.has('::ffff:10.200.0.1'), true);
    assert.equal(trust.has('fd12::1'), true);
    assert.equal(trust.has('127.0.0.2'), false);
    assert.equal(trust.has('not-an-ip'), false);
    assert.equal(compileTrust([]), undefined);
  });
});
