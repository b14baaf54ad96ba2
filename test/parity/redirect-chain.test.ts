import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { permanenceChanged } from '../../src/parity/redirect-chain.js';

describe('permanenceChanged', () => {
  test('a permanent redirect made temporary, or the reverse, to the same target is a change', () => {
    assert.equal(permanenceChanged(['301 /tools/1'], ['307 /tools/1'], '/t/1'), true);
    assert.equal(permanenceChanged(['302 /login?next=/a'], ['308 /login?next=/a'], '/a'), true);
    assert.equal(permanenceChanged(['301 /a', '301 /b'], ['301 /a', '302 /b'], '/start'), true);
  });

  test('how each framework writes the same kind of redirect, or its trailing-slash redirect, is not', () => {
    assert.equal(permanenceChanged(['302 /tools/1'], ['307 /tools/1'], '/t/1'), false);
    assert.equal(permanenceChanged(['301 /tools/1'], ['308 /tools/1'], '/t/1'), false);
    assert.equal(permanenceChanged(['308 /zones/'], ['307 /zones/'], '/zones'), false);
    assert.equal(permanenceChanged(['308 /zones'], ['307 /zones'], '/zones/?page=2'), false);
  });

  test('chains that differ otherwise are left to diff.blocking', () => {
    assert.equal(permanenceChanged(['301 /tools/1'], ['307 /tools/2'], '/t/1'), false);
    assert.equal(permanenceChanged(['308 /zones/'], [], '/zones'), false);
  });
});
