import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { compareResponses, compileRules } from '../../src/parity/diff.js';
import { NoiseLearner } from '../../src/parity/noise.js';
import { countValues, textTokens } from '../../src/parity/text-tokens.js';
import type { HttpSnapshot } from '../../src/parity/types.js';

const rules = compileRules({ headers: ['content-type'] });
const ROUTE = 'GET /bills';

/** A rendered bills page: a CSRF token, a nonce, an element id and a time that change per render. */
function page(render: { csrf: string; nonce: string; at: string; id: string }, rows: [string, string][]): HttpSnapshot {
  const body = [
    '<html><head><meta name="csrf-token" content="' + render.csrf + '">',
    `<script nonce="${render.nonce}">init()</script></head><body>`,
    `<table id="t-${render.id}">`,
    ...rows.map(([month, amount]) => `  <tr><td>${month}</td><td>${amount}</td></tr>`),
    '</table>',
    `<footer>rendered at ${render.at}</footer></body></html>`,
  ].join('\n');
  return { status: 200, headers: { 'content-type': 'text/html; charset=utf-8' }, body };
}

const ROWS: [string, string][] = [
  ['2026-09', '81.20'],
  ['2026-10', '88.50'],
  ['2026-11', '92.10'],
];
let n = 0;
/** A fresh render's volatile values. */
function render(): { csrf: string; nonce: string; at: string; id: string } {
  n++;
  return {
    csrf: `IjA${n}ZmQ4YjM5Nz${n}kYTAwNGE1ZGM4.Z2Tj0w.q${n}Xk8u2`,
    nonce: `n0nce${n}Rk2pQ`,
    at: `14:0${n % 10}:${10 + n}`,
    id: `8f${n}a2c`,
  };
}

/** A learner that saw two legacy renders of the page. */
function learned(): NoiseLearner {
  const learner = new NoiseLearner();
  learner.observe(ROUTE, page(render(), ROWS), page(render(), ROWS), rules, 1000);
  return learner;
}

describe('text bodies compared value by value', () => {
  test('two renders of a page differ only in their values, which are learned one by one, not the whole body', () => {
    const learner = learned();
    const paths = learner.snapshot()[ROUTE]?.map((p) => p.path) ?? [];
    assert.ok(paths.length > 0 && !paths.includes('$body'), paths.join(', '));
    // A third render against a faithful new page: equal, its volatile values set aside as noise.
    const r = compareResponses(page(render(), ROWS), page(render(), ROWS), rules, learner.filterFor(ROUTE));
    assert.deepEqual(r.differences, []);
    assert.ok(r.noise.length > 0);
  });

  test("a table row missing on new's page is a difference of the body, though every render's tokens differ", () => {
    const learner = learned();
    const r = compareResponses(page(render(), ROWS), page(render(), ROWS.slice(1)), rules, learner.filterFor(ROUTE));
    assert.deepEqual(
      r.differences.map((d) => [d.path, d.kind]),
      [['$body', 'value']],
    );
  });

  test('an amount changed in one row is a value difference at that value, with both values', () => {
    const learner = learned();
    const changed = ROWS.map(([m, a]): [string, string] => [m, a === '88.50' ? '88.5' : a]);
    const r = compareResponses(page(render(), ROWS), page(render(), changed), rules, learner.filterFor(ROUTE));
    assert.equal(r.differences.length, 1, JSON.stringify(r.differences));
    // Named by where it sits in the page: the second cell of the row.
    assert.match(r.differences[0]!.path, /^\$body\..*\.tr\[\d+\]\.td2\.t1$/);
    assert.deepEqual([r.differences[0]!.legacy, r.differences[0]!.candidate], ['88.50', '88.5']);
  });

  test('a page answered to a POST, which legacy is not asked twice, has its fresh tokens judged by value class', () => {
    const form = (csrf: string, error: string): HttpSnapshot => ({
      status: 200,
      headers: { 'content-type': 'text/html' },
      body: `<form><input type="hidden" name="csrf" value="${csrf}"><p>${error}</p></form>`,
    });
    const opts = { classNoise: true, request: { method: 'POST', text: () => 'zip=' } };
    const a = form('9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08', 'Enter a postcode');
    const b = form('2c26b46b68ffc68ff99b453c1d30413413422d706483bfa0f98a5e886266e7ae', 'Enter a postcode');
    assert.deepEqual(compareResponses(a, b, rules, undefined, opts).differences, []);
    const c = form('2c26b46b68ffc68ff99b453c1d30413413422d706483bfa0f98a5e886266e7ae', 'Enter a valid postcode');
    assert.deepEqual(
      compareResponses(a, c, rules, undefined, opts).differences.map((d) => d.path),
      ['$body'],
    );
  });

  test("a POST's page with its own fresh CSRF token and nonce on each side is equal; an order number that changed is not", () => {
    const opts = { classNoise: true, request: { method: 'POST', text: () => 'zip=' } };
    const form = (csrf: string, nonce: string, order: string, next = '/bills/2024-10'): HttpSnapshot => ({
      status: 200,
      headers: { 'content-type': 'text/html' },
      body: `<script nonce="${nonce}"></script><input name="csrf" value="${csrf}"><p>Order ${order}</p><a href="${next}">`,
    });
    const a = form('22b4f4f986323097.ced788918e4d7f8e5d98532e0b1f847d', 'GTcDigVBjBH7xOY8', 'ORD-2024-000123');
    const b = form('cbae933a9a85b129.7a45f849e7d37714e17abb0e1e62a46c', 'cKOW3F_YH-RO0n7W', 'ORD-2024-000123');
    assert.deepEqual(compareResponses(a, b, rules, undefined, opts).differences, []);
    // A nonce drawn without a digit is still a nonce; a word is not.
    const letters = form('cbae933a9a85b129.7a45f849e7d37714e17abb0e1e62a46c', 'TEWbUODADtZUnmli', 'ORD-2024-000123');
    assert.deepEqual(compareResponses(a, letters, rules, undefined, opts).differences, []);
    const word = (w: string): HttpSnapshot => ({
      status: 200,
      headers: { 'content-type': 'text/html' },
      body: `<p>${w}</p>`,
    });
    assert.equal(compareResponses(word('Northumberland'), word('Worcestershire'), rules, undefined, opts).equal, false);
    const c = form('cbae933a9a85b129.7a45f849e7d37714e17abb0e1e62a46c', 'cKOW3F_YH-RO0n7W', 'ORD-2024-000124');
    assert.deepEqual(
      compareResponses(a, c, rules, undefined, opts).differences.map((d) => [d.legacy, d.candidate]),
      [['ORD-2024-000123', 'ORD-2024-000124']],
    );
    // A link is no token, whatever its characters.
    const d = form(
      'cbae933a9a85b129.7a45f849e7d37714e17abb0e1e62a46c',
      'cKOW3F_YH-RO0n7W',
      'ORD-2024-000123',
      '/bills/2024-11',
    );
    assert.deepEqual(
      compareResponses(a, d, rules, undefined, opts).differences.map((x) => [x.legacy, x.candidate]),
      [['/bills/2024-10', '/bills/2024-11']],
    );
  });

  test('two templates of one page indented each their own way are equal; whitespace in plain text still counts', () => {
    const html = (body: string): HttpSnapshot => ({ status: 200, headers: { 'content-type': 'text/html' }, body });
    const flask = html('<ul>\n    <li>Outage in <b>Leeds</b></li>\n    <li>Done</li>\n</ul>\n');
    const jinja = html('<ul>\n  <li>Outage in <b>Leeds</b></li>\n  <li>Done</li>\n</ul>');
    assert.deepEqual(compareResponses(flask, jinja, rules).differences, []);
    // A word still counts, whatever the indentation.
    const moved = html('<ul>\n<li>Outage in <b>York</b></li>\n<li>Done</li>\n</ul>');
    assert.deepEqual(
      compareResponses(flask, moved, rules).differences.map((d) => [d.legacy, d.candidate]),
      [['Leeds', 'York']],
    );
    const text = (body: string): HttpSnapshot => ({ status: 200, headers: { 'content-type': 'text/plain' }, body });
    assert.deepEqual(
      compareResponses(text('a  b'), text('a b'), rules).differences.map((d) => d.path),
      ['$body'],
    );
  });

  test('values are the runs of letters, digits and _-+=.:/; markup, punctuation and whitespace are the skeleton', () => {
    const t = textTokens('<a href="/bills/2026-10?x=1">October</a> due 2026-11-15T00:00:00Z: 88.50 EUR');
    assert.deepEqual(t.values, [
      'a',
      'href=',
      '/bills/2026-10',
      'x=1',
      'October',
      '/a',
      'due',
      '2026-11-15T00:00:00Z:',
      '88.50',
      'EUR',
    ]);
    assert.equal(t.skeleton, '<\u0001 \u0001"\u0001?\u0001">\u0001<\u0001> \u0001 \u0001 \u0001 \u0001');
  });

  test('a word changed in place is a value difference; a nonce with no digit in it is learned like any value', () => {
    const learner = new NoiseLearner();
    const status = (nonce: string, word: string): HttpSnapshot => ({
      status: 200,
      headers: { 'content-type': 'text/html' },
      body: `<script nonce="${nonce}"></script><td class="status">${word}</td>`,
    });
    learner.observe(ROUTE, status('qWeRtYuIoPaSdFgH', 'Paid'), status('zXcVbNmLkJhGfDsA', 'Paid'), rules, 1000);
    assert.deepEqual(
      learner.snapshot()[ROUTE]?.map((p) => p.path),
      ['$body.script["@nonce"].v1'],
    );
    const r = compareResponses(
      status('aSdFgHjKlQwErTyU', 'Paid'),
      status('pOiUyTrEwQlKjHgF', 'Due'),
      rules,
      learner.filterFor(ROUTE),
    );
    assert.deepEqual(
      r.differences.map((d) => [d.path, d.legacy, d.candidate]),
      [['$body.td.t1', 'Paid', 'Due']],
    );
  });
});

describe('countValues', () => {
  test('counts exactly the values textTokens splits out, on every character class boundary', () => {
    const texts = [
      '',
      '<a href="/bills/2024-10?x=1&y=2">Paid: 88.50 EUR</a>',
      'a,b;c d\te\n_f+g=h.i:j/k@l#m',
      '&amp; café — 1,250 seats [ok] {x} (y) |z| ~w` "q" \'r\' é9',
      Array.from({ length: 128 }, (_, c) => String.fromCharCode(c)).join(''),
    ];
    for (const t of texts) assert.equal(countValues(t), textTokens(t).values.length, JSON.stringify(t));
  });
});
