import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { applyAdapter, compileAdapters } from '../../src/parity/adapt.js';
import { compareResponses, compileRules } from '../../src/parity/diff.js';
import { holdsLongIntegers, parseExactJson, stringifyExactJson } from '../../src/parity/exact-json.js';
import { NoiseLearner } from '../../src/parity/noise.js';
import { signatureOf } from '../../src/parity/signature.js';
import type { HttpSnapshot } from '../../src/parity/types.js';
import { capture, prepareRequest, type Variables } from '../../src/contracts/variables.js';
import type { LoadedCase } from '../../src/contracts/cases.js';

const rules = compileRules({});
const ROUTE = 'GET /api/orders/:id';

/** A JSON answer written as given: the literals are the test's, not JSON.stringify's. */
function raw(text: string): HttpSnapshot {
  return { status: 200, headers: { 'content-type': 'application/json' }, body: text };
}

describe('integers past 2^53', () => {
  test('a 64-bit id whose last digit changed is a value difference, reported digit for digit', () => {
    const r = compareResponses(
      raw('{"id":7,"tracking_no":9007199254740997}'),
      raw('{"id":7,"tracking_no":9007199254740996}'),
      rules,
    );
    assert.deepEqual(r.differences, [
      { path: '$.tracking_no', kind: 'value', legacy: '9007199254740997', candidate: '9007199254740996' },
    ]);
    // Whatever carries the difference on (records, reports, workflow payloads) writes it as JSON.
    assert.doesNotThrow(() => JSON.stringify(r));
  });

  test('the same long integers, in any key order and inside shuffled records, are equal', () => {
    const legacy = raw(
      '{"items":[{"id":18446744073709551615,"n":1},{"id":-9223372036854775808,"n":2}],"total":12345678901234567890}',
    );
    const candidate = raw(
      '{"total":12345678901234567890,"items":[{"n":1,"id":18446744073709551615},{"n":2,"id":-9223372036854775808}]}',
    );
    assert.equal(compareResponses(legacy, candidate, rules).equal, true);
  });

  test('in a set of records, the one whose long id changed is found', () => {
    const legacy = raw('[{"id":9007199254740992,"qty":1},{"id":9007199254740994,"qty":2}]');
    const candidate = raw('[{"id":9007199254740994,"qty":2},{"id":9007199254740993,"qty":1}]');
    const r = compareResponses(legacy, candidate, compileRules({ arrays: { $: { mode: 'set' } } }));
    assert.deepEqual(
      r.differences.map((d) => [d.path, d.kind, d.legacy, d.candidate]),
      [['$[0].id', 'value', '9007199254740992', '9007199254740993']],
    );
  });

  test('a long integer turned into a string is a type difference that reads number→string', () => {
    const r = compareResponses(raw('{"id":9007199254740997}'), raw('{"id":"9007199254740997"}'), rules);
    assert.deepEqual(
      r.differences.map((d) => [d.path, d.kind]),
      [['$.id', 'type']],
    );
    assert.match(signatureOf(ROUTE, r.differences[0]!).text, /type number→string/);
  });

  test('a long integer against a short one is a value difference, not a type change', () => {
    const r = compareResponses(raw('{"id":9007199254740997}'), raw('{"id":5}'), rules);
    assert.deepEqual(r.differences, [{ path: '$.id', kind: 'value', legacy: '9007199254740997', candidate: 5 }]);
  });

  test('a snowflake id new on every answer is learned as noise, and a changed long field still counts', () => {
    const learner = new NoiseLearner();
    const answer = (id: string, ref: string): HttpSnapshot => raw(`{"event_id":${id},"order_ref":${ref}}`);
    learner.observe(
      ROUTE,
      answer('1796311234567890001', '9007199254740997'),
      answer('1796311234567890457', '9007199254740997'),
      rules,
    );
    const r = compareResponses(
      answer('1796311234567899999', '9007199254740997'),
      answer('1796311234567812345', '9007199254740998'),
      rules,
      learner.filterFor(ROUTE),
    );
    assert.deepEqual(
      r.differences.map((d) => d.path),
      ['$.order_ref'],
    );
    assert.deepEqual(
      r.noise.map((d) => d.path),
      ['$.event_id'],
    );
  });

  test('long digit runs inside strings and safe 16-digit numbers are left as they are', () => {
    const text =
      '{"card":"4111111111111111","quoted":"a \\"1234567890123456789\\" b","n":1234567890123456,"f":1.5e300}';
    const doc = parseExactJson(text) as Record<string, unknown>;
    assert.deepEqual(doc, JSON.parse(text));
    assert.equal(typeof doc.n, 'number');
  });

  test('the check for long integers finds a run of 16 digits wherever it lies, and no fraction', () => {
    const at = (k: number, digits: string): string => `${'x'.repeat(k)}${digits}"`;
    for (let k = 0; k < 40; k++) {
      assert.equal(holdsLongIntegers(at(k, '9007199254740993')), true, `at ${k}`);
      assert.equal(holdsLongIntegers(at(k, '900719925474099')), false, `15 digits at ${k}`);
      assert.equal(holdsLongIntegers(at(k, '0.30000000000000004')), false, `a fraction at ${k}`);
    }
    assert.equal(holdsLongIntegers('-9007199254740993'), true);
    assert.equal(holdsLongIntegers('{"a":[1,2,3],"b":"12345678"}'), false);
  });

  test('parsing and writing back keeps every digit, in nested arrays and negative values too', () => {
    const text = '{"a":[1,-18446744073709551615,{"b":9007199254740993}],"c":"x","d":2.5,"e":-9007199254740991}';
    const doc = parseExactJson(text) as { a: [number, bigint, { b: bigint }]; e: number };
    assert.equal(doc.a[1], -18446744073709551615n);
    assert.equal(doc.a[2].b, 9007199254740993n);
    assert.equal(typeof doc.e, 'number');
    assert.equal(stringifyExactJson(doc), text);
    assert.throws(() => parseExactJson('{"a":12345678901234567890'), SyntaxError);
  });

  test("an adapter that edits a body keeps a long id's digits in what it serves", () => {
    const adapter = compileAdapters([
      { route: 'GET /api/orders/:id', ops: [{ op: 'rename', from: '$.trackingNo', to: '$.tracking_no' }] },
    ]).find('GET', '/api/orders/7');
    const out = applyAdapter(adapter!, raw('{"trackingNo":9007199254740997,"items":[{"sku":18446744073709551615}]}'));
    assert.equal(String(out.body), '{"items":[{"sku":18446744073709551615}],"tracking_no":9007199254740997}');
  });

  test('a contract captures a long id from an answer and sends it on digit for digit', () => {
    const vars: Variables = new Map();
    assert.deepEqual(capture({ order: '$.id' }, raw('{"id":9007199254740997}'), vars), []);
    const c = {
      name: 'read the order',
      file: 'orders.yaml',
      index: 1,
      request: { method: 'POST', path: '/api/orders/${order}/notes', body: { order: '${order}', text: 'hi' } },
      expect: { status: 201 },
    } as unknown as LoadedCase;
    const r = prepareRequest(c, vars, undefined, 'legacy');
    assert.equal(r.target, '/api/orders/9007199254740997/notes');
    assert.equal(r.body, '{"order":9007199254740997,"text":"hi"}');
  });
});
