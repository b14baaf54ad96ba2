import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { compareResponses, compileRules } from '../../src/parity/diff.js';
import { canonicalHtml } from '../../src/parity/html-canonical.js';
import { NoiseLearner } from '../../src/parity/noise.js';
import type { HttpSnapshot } from '../../src/parity/types.js';

const rules = compileRules({ headers: ['content-type'] });
const html = (body: string): HttpSnapshot => ({
  status: 200,
  headers: { 'content-type': 'text/html; charset=utf-8' },
  body,
});
const paths = (a: string, b: string, noise?: ReturnType<NoiseLearner['filterFor']>, post = false): string[] =>
  compareResponses(
    html(a),
    html(b),
    rules,
    noise,
    post ? { classNoise: true, request: { method: 'POST', text: () => 'member_id=3' } } : undefined,
  ).differences.map((d) => `${d.kind} ${d.path}`);

/** A page of the library in one template's spelling: `flask` as Jinja writes it, the other as a port's template does. */
function toolsPage(rows: [number, string][], renderedMs: string, flask: boolean): string {
  const row = ([id, name]: [number, string]) =>
    flask
      ? `<tr><td><a class="tool" href="/tools/${id}">${name}</a></td><td>${id}</td><td><input type="checkbox" checked></td></tr>`
      : `\n      <tr>\n        <td><a href='/tools/${id}' class=tool>${name.replace('&', '&amp;')}</a>\n        <td>${id}</td>\n        <td><input checked="checked" type="checkbox"/></td>\n      </tr>`;
  return flask
    ? `<!DOCTYPE html><html><head><title>Tools</title></head><body><!-- list --><table>${rows.map(row).join('')}</table>` +
        `<footer><p>Elm Street<br>Tool Library</p><p>rendered in ${renderedMs} ms</p></footer></body></html>`
    : `<!doctype html>\n<html>\n  <head>\n    <title>Tools</title>\n  </head>\n  <body>\n    <table>${rows.map(row).join('')}\n    </table>\n` +
        `    <footer>\n      <p>Elm Street<br/>Tool Library</p>\n      <p>rendered in ${renderedMs} ms</p>\n    </footer>\n  </body>\n</html>\n`;
}
const ROWS: [number, string][] = [
  [11, 'Drill'],
  [12, 'Nuts & Bolts Kit'],
  [13, 'Ladder'],
];

describe('HTML pages compared as documents', () => {
  test('two templates that spell one page differently are equal: attribute order and quotes, checked="checked", <br/>, entities, implied closes, comments, indentation', () => {
    assert.equal(canonicalHtml(toolsPage(ROWS, '3.1', true)).text, canonicalHtml(toolsPage(ROWS, '3.1', false)).text);
    assert.deepEqual(paths(toolsPage(ROWS, '3.1', true), toolsPage(ROWS, '3.1', false)), []);
  });

  test('a changed cell is a value difference named by where it sits; a missing row is a difference of the page', () => {
    const changed = ROWS.map(([id, name]): [number, string] => [id, id === 12 ? 'Nuts & Bolts Set' : name]);
    assert.deepEqual(paths(toolsPage(ROWS, '3.1', true), toolsPage(changed, '3.1', false)), [
      'value $body.html.body.table.tr[1].td.a.t4',
    ]);
    assert.deepEqual(paths(toolsPage(ROWS, '3.1', true), toolsPage(ROWS.slice(1), '3.1', false)), ['value $body']);
  });

  test('noise learned on one page of a route holds on every page of it, however long', () => {
    const learner = new NoiseLearner();
    learner.observe('GET /tools', html(toolsPage(ROWS, '3.1', true)), html(toolsPage(ROWS, '0.4', true)), rules);
    const longer: [number, string][] = [...ROWS, [14, 'Wheelbarrow'], [15, 'Tile cutter']];
    const noise = learner.filterFor('GET /tools');
    assert.deepEqual(paths(toolsPage(longer, '2.9', true), toolsPage(longer, '7.5', false), noise), []);
    const renamed = longer.map(([id, name]): [number, string] => [id, id === 15 ? 'Tile saw' : name]);
    assert.deepEqual(paths(toolsPage(longer, '2.9', true), toolsPage(renamed, '7.5', false), noise), [
      'value $body.html.body.table.tr[4].td.a.t2',
    ]);
  });

  test('a value of the layout learned noisy on two other routes is noise on a POST answer, which legacy is not asked twice', () => {
    const learner = new NoiseLearner();
    const a = toolsPage(ROWS, '3.1', true);
    const b = toolsPage(ROWS, '0.4', true);
    learner.observe('GET /tools', html(a), html(b), rules);
    const post = learner.filterFor('POST /tools/:id/borrow');
    assert.deepEqual(paths(a, toolsPage(ROWS, '0.4', false), post, true), ['value $body.html.body.footer.p2.t3']);
    learner.observe('GET /search', html(a), html(b), rules);
    assert.deepEqual(paths(a, toolsPage(ROWS, '0.4', false), post, true), []);
    // Only that value: a changed cell on the POST's page still counts.
    const changed = ROWS.map(([id, name]): [number, string] => [id, id === 13 ? 'Step ladder' : name]);
    assert.deepEqual(paths(a, toolsPage(changed, '0.4', false), post, true), ['value $body']);
  });

  test("a POST's page with a fresh CSRF token on each side is equal when the two frameworks draw it differently (hex against URL-safe base64)", () => {
    const form = (token: string) =>
      `<form><input type="hidden" name="csrf_token" value="${token}"><p>Choose a member.</p></form>`;
    assert.deepEqual(
      paths(form('88c7f2c6811f95522f44e523dce3d9ea'), form('B7slfinb2Qnp10qMVPGwWeB5rWrsRfBK'), undefined, true),
      [],
    );
    assert.deepEqual(paths(form('88c7f2c6811f95522f44e523dce3d9ea'), form('Choose-a-member'), undefined, true), [
      'value $body.form.input["@value"].v1',
    ]);
  });
});

describe('layout noise is a place in a page, not a place in a text', () => {
  test("a plain text's n-th value learned noisy on two routes is not noise on a third", () => {
    const text = (v: string): HttpSnapshot => ({
      status: 200,
      headers: { 'content-type': 'text/plain' },
      body: `count ${v}`,
    });
    const learner = new NoiseLearner();
    learner.observe('GET /a', text('1'), text('2'), rules);
    learner.observe('GET /b', text('1'), text('2'), rules);
    const r = compareResponses(text('1'), text('3'), rules, learner.filterFor('POST /c'));
    assert.deepEqual(
      r.differences.map((d) => `${d.kind} ${d.path}`),
      ['value $body.token2'],
    );
  });
});
