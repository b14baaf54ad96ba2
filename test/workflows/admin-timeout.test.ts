/** Activity timeouts that follow `dataPlane.adminTimeout`: unchanged at 3 s or without it, longer past it. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { forAdminTimeout } from '../../src/workflows/admin-timeout.js';

const control = { startToCloseTimeout: '10s', retry: { maximumAttempts: 5 } };

test('an input without adminTimeoutMs, or with 3 s or less, keeps the profile as runs before the field had it', () => {
  assert.equal(forAdminTimeout(control, { adminUrls: ['http://a'] }), control);
  assert.equal(forAdminTimeout(control, { adminTimeoutMs: 3000 }), control);
  assert.equal(forAdminTimeout(control, { adminTimeoutMs: 500 }), control);
  assert.equal(forAdminTimeout(control, undefined), control);
});

test('a longer admin timeout gives each attempt 3 × the extra time per call, the rest of the profile kept', () => {
  assert.deepEqual(forAdminTimeout(control, { adminTimeoutMs: 15_000 }), {
    startToCloseTimeout: 10_000 + 3 * 12_000,
    retry: { maximumAttempts: 5 },
  });
  assert.equal(forAdminTimeout({ startToCloseTimeout: '3s' }, { adminTimeoutMs: 4000 }).startToCloseTimeout, 6000);
  assert.equal(forAdminTimeout({ startToCloseTimeout: '1m' }, { adminTimeoutMs: 4000 }).startToCloseTimeout, 63_000);
});
