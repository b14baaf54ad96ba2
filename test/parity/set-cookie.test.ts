import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { compareResponses, compileRules } from '../../src/parity/diff.js';
import { NoiseLearner } from '../../src/parity/noise.js';
import { compareSetCookies, setCookieLines } from '../../src/parity/set-cookie.js';
import type { HttpSnapshot } from '../../src/parity/types.js';

const rules = compileRules({ headers: ['content-type', 'set-cookie'] });
const ROUTE = 'GET /account/security';
const NOW = Date.parse('2026-12-03T14:00:00Z');

/** An answer setting a fresh session cookie, expiring in a day from `at`, with `attrs`. */
function answer(sid: string, at: number, attrs: string): HttpSnapshot {
  const expires = new Date(at + 86_400_000).toUTCString();
  return {
    status: 200,
    headers: {
      'content-type': 'text/html',
      'set-cookie': [`portal_sid=${sid}; Expires=${expires}; ${attrs}`, 'theme=dark; Path=/'],
    },
    body: '<p>Security settings</p>',
  };
}

describe('Set-Cookie compared cookie by cookie and attribute by attribute', () => {
  test('a session cookie that lost HttpOnly is found though its value and Expires change on every answer', () => {
    const learner = new NoiseLearner();
    learner.observe(
      ROUTE,
      answer('a1B2c3', NOW, 'Path=/; HttpOnly; SameSite=Lax'),
      answer('z9Y8x7', NOW + 1000, 'Path=/; HttpOnly; SameSite=Lax'),
      rules,
      1000,
    );
    assert.deepEqual(
      learner.snapshot()[ROUTE]?.map((p) => p.path),
      ['header:set-cookie.portal_sid'],
      'the value is noise, not the header',
    );
    const faithful = compareResponses(
      answer('q1W2e3', NOW, 'Path=/; HttpOnly; SameSite=Lax'),
      answer('r4T5y6', NOW + 2000, 'path=/; httponly; samesite=lax'),
      rules,
      learner.filterFor(ROUTE),
    );
    assert.deepEqual(faithful.differences, []);
    const lost = compareResponses(
      answer('q1W2e3', NOW, 'Path=/; HttpOnly; SameSite=Lax'),
      answer('r4T5y6', NOW, 'Path=/; SameSite=Lax'),
      rules,
      learner.filterFor(ROUTE),
    );
    assert.deepEqual(lost.differences, [
      { path: 'header:set-cookie.portal_sid.httponly', kind: 'header', legacy: 'set' },
    ]);
  });

  test("a cookie's value is never shown; a cookie new no longer sets, or a changed attribute, is named", () => {
    const d = compareSetCookies(
      ['sid=s3cr3t; Path=/; SameSite=Lax; Secure', 'lang=en'],
      ['sid=0th3r; Path=/app; SameSite=Strict; Secure'],
      { now: NOW },
    ).differences;
    assert.deepEqual(d, [
      { path: 'header:set-cookie.sid', kind: 'header', legacy: '[redacted]', candidate: '[redacted]' },
      { path: 'header:set-cookie.sid.path', kind: 'header', legacy: '/', candidate: '/app' },
      { path: 'header:set-cookie.sid.samesite', kind: 'header', legacy: 'lax', candidate: 'strict' },
      { path: 'header:set-cookie.lang', kind: 'header', legacy: 'set' },
    ]);
  });

  test("a POST's answer, which legacy is not asked twice, may set a fresh session id on each side", () => {
    const login = (sid: string): HttpSnapshot => ({
      status: 303,
      headers: { location: '/dashboard', 'set-cookie': `portal_sid=${sid}; Path=/; HttpOnly` },
      body: '',
    });
    const a = login('Jx3kQ9_vTq2LmN8pR4sW1yZ0aB6cD5eF7gH2iJ3kL4m');
    const b = login('p0O9i8U7y6T5r4E3w2Q1-_aSdFgHjKlZxCvBnMqWeRt');
    const opts = { classNoise: true, request: { method: 'POST', text: () => '' } };
    assert.deepEqual(compareResponses(a, b, rules, undefined, opts).differences, []);
    // On a GET, legacy is asked twice instead: there the value counts until it is learned as noise.
    assert.deepEqual(
      compareResponses(a, b, rules).differences.map((d) => d.path),
      ['header:set-cookie.portal_sid'],
    );
  });

  test('Max-Age and the Expires it stands for are the same expiry; a day apart they are not', () => {
    const inAnHour = new Date(NOW + 3_600_000).toUTCString();
    assert.deepEqual(
      compareSetCookies([`a=1; Max-Age=3600`], [`a=1; Expires=${inAnHour}`], { now: NOW }).differences,
      [],
    );
    assert.deepEqual(
      compareSetCookies([`a=1; Max-Age=86400`], [`a=1; Expires=${inAnHour}`], { now: NOW }).differences.map(
        (x) => x.path,
      ),
      ['header:set-cookie.a.max-age', 'header:set-cookie.a.expires'],
    );
  });

  test('lines a proxy joined with commas are split where a cookie starts, not inside Expires', () => {
    const expires = new Date(NOW).toUTCString();
    assert.deepEqual(setCookieLines({ 'Set-Cookie': `a=1; Expires=${expires}; Path=/, b=2; HttpOnly` }), [
      `a=1; Expires=${expires}; Path=/`,
      'b=2; HttpOnly',
    ]);
  });
});
