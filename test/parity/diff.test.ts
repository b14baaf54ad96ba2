import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { brotliCompressSync, deflateSync, gzipSync } from 'node:zlib';
import { compareJson, compareResponses, compileRules } from '../../src/parity/diff.js';
import type { HttpSnapshot } from '../../src/parity/types.js';
import { hasCode } from '../../src/lib/errors.js';
import { alignItems } from '../../src/parity/align-items.js';

const plain = compileRules({});

function json(
  body: unknown,
  status = 200,
  headers: HttpSnapshot['headers'] = { 'content-type': 'application/json' },
): HttpSnapshot {
  return { status, headers, body: Buffer.from(JSON.stringify(body)) };
}

/** Each difference as `[path, kind]`, the pair most comparisons here are judged by. */
const kinds = (r: { differences: readonly { path: string; kind: string }[] }): string[][] =>
  r.differences.map((d) => [d.path, d.kind]);

describe('compareJson reports every difference with its path and kind', () => {
  test('missing, extra, type and value at exact paths', () => {
    const legacy = { id: 1, name: 'a', tags: ['x'], nested: { deep: { n: 1 } }, gone: true };
    const candidate = { id: '1', name: 'b', tags: {}, nested: { deep: { n: 2 } }, added: null };
    const { differences } = compareJson(legacy, candidate, plain);
    assert.deepEqual(differences, [
      { path: '$.id', kind: 'type', legacy: 1, candidate: '1' },
      { path: '$.name', kind: 'value', legacy: 'a', candidate: 'b' },
      { path: '$.tags', kind: 'type', legacy: ['x'], candidate: {} },
      { path: '$.nested.deep.n', kind: 'value', legacy: 1, candidate: 2 },
      { path: '$.gone', kind: 'missing', legacy: true },
      { path: '$.added', kind: 'extra', candidate: null },
    ]);
  });

  test('null against a value is a type difference', () => {
    const { differences } = compareJson({ a: null, b: 0 }, { a: 0, b: null }, plain);
    assert.deepEqual(
      differences.map((d) => [d.path, d.kind]),
      [
        ['$.a', 'type'],
        ['$.b', 'type'],
      ],
    );
  });

  test('ordered arrays of different lengths give missing and extra per index', () => {
    assert.deepEqual(compareJson({ a: [1, 2, 3] }, { a: [1, 2] }, plain).differences, [
      { path: '$.a[2]', kind: 'missing', legacy: 3 },
    ]);
    assert.deepEqual(compareJson([{ x: 1 }], [{ x: 1 }, { x: 2 }], plain).differences, [
      { path: '$[1]', kind: 'extra', candidate: { x: 2 } },
    ]);
  });

  test('odd keys are quoted in paths', () => {
    const { differences } = compareJson({ 'a.b': 1, 'x y': [0] }, { 'a.b': 2, 'x y': [1] }, plain);
    assert.deepEqual(
      differences.map((d) => d.path),
      ['$["a.b"]', '$["x y"][0]'],
    );
  });

  test('a reordered ordered array is one order difference at the array path', () => {
    const legacy = { items: [{ id: 1 }, { id: 2 }, { id: 3 }] };
    const candidate = { items: [{ id: 3 }, { id: 1 }, { id: 2 }] };
    assert.deepEqual(compareJson(legacy, candidate, plain).differences, [
      { path: '$.items', kind: 'order', legacy: legacy.items, candidate: candidate.items },
    ]);
  });

  test('changed items in an ordered array stay value differences, not order', () => {
    const { differences } = compareJson([1, 2, 3], [2, 1, 4], plain);
    assert.deepEqual(
      differences.map((d) => [d.path, d.kind]),
      [
        ['$[0]', 'value'],
        ['$[1]', 'value'],
        ['$[2]', 'value'],
      ],
    );
  });

  test('records in another order that also changed: the order, then each change at its record, paired by id', () => {
    const legacy = {
      items: [
        { name: 'a', id: 1, qty: 1 },
        { name: 'b', id: 2, qty: 2 },
        { name: 'c', id: 3, qty: 3 },
      ],
    };
    const candidate = {
      items: [
        { name: 'c', id: 3, qty: 3 },
        { name: 'a', id: 1, qty: 1 },
        { name: 'b', id: 2, qty: 5 },
      ],
    };
    assert.deepEqual(
      compareJson(legacy, candidate, plain).differences.map((d) => [d.path, d.kind, d.candidate]),
      [
        ['$.items', 'order', candidate.items],
        ['$.items[1].qty', 'value', 5],
      ],
    );
  });

  test('records are not paired by a field that is not unique or not on both sides, nor when their id leaves them in place', () => {
    const byPosition = (legacy: unknown[], candidate: unknown[]): string[] =>
      compareJson({ items: legacy }, { items: candidate }, plain).differences.map((d) => d.path);
    // `kind` repeats; `id` differs between the sides.
    assert.deepEqual(
      byPosition(
        [
          { kind: 'x', id: 1 },
          { kind: 'x', id: 2 },
        ],
        [
          { kind: 'x', id: 3 },
          { kind: 'x', id: 1 },
        ],
      ),
      ['$.items[0].id', '$.items[1].id'],
    );
    // `id` leaves every record where it was: two names swapped in place are two changed names,
    // not a reordering by `name` (the first field that identifies the records decides).
    assert.deepEqual(
      byPosition(
        [
          { id: 1, name: 'a' },
          { id: 2, name: 'b' },
        ],
        [
          { id: 1, name: 'b' },
          { id: 2, name: 'a' },
        ],
      ),
      ['$.items[0].name', '$.items[1].name'],
    );
  });

  test('records sharing only a category are paired in turn between two answers of one service, never between legacy and new', () => {
    // A page off by one: other pets, whose species happen to come in another order.
    const legacy = {
      items: [
        { id: 31, name: 'kiwi', species: 'cat' },
        { id: 32, name: 'rex', species: 'dog' },
        { id: 33, name: 'mia', species: 'cat' },
      ],
    };
    const candidate = {
      items: [
        { id: 30, name: 'ola', species: 'cat' },
        { id: 31, name: 'kiwi', species: 'cat' },
        { id: 32, name: 'rex', species: 'dog' },
      ],
    };
    const paths = (options?: { sameService: boolean }): string[] =>
      compareJson(legacy, candidate, plain, undefined, options).differences.map((d) => `${d.kind} ${d.path}`);
    // Between legacy and new the shift itself is what differs: one record before the page, one after it.
    assert.deepEqual(paths(), ['extra $.items[0]', 'missing $.items[2]']);
    assert.deepEqual(paths({ sameService: true }).slice(0, 2), ['order $.items', 'value $.items[0].id']);
  });

  test('documents nested deeper than the call stack compare without throwing', () => {
    const deep = (leaf: number): unknown => JSON.parse('['.repeat(20_000) + String(leaf) + ']'.repeat(20_000));
    assert.deepEqual(compareJson(deep(1), deep(1), plain).differences, []);
    const { differences } = compareJson(deep(1), deep(2), plain);
    assert.equal(differences.length, 1);
    assert.equal(differences[0]?.kind, 'value');
    assert.ok(differences[0]?.path.startsWith('$[0][0]'));
  });

  test('JSON numbers compare by value: 1 equals 1.0', () => {
    assert.deepEqual(
      compareJson(JSON.parse('{"n":1,"m":[2.50]}'), JSON.parse('{"n":1.0,"m":[2.5]}'), plain).differences,
      [],
    );
  });
});

describe('ordered lists that differ by a few items dropped, added or changed', () => {
  const tickets = (from: number, to: number): { id: number; title: string; tags: string[] }[] =>
    Array.from({ length: to - from }, (_, k) => ({ id: from + k, title: `ticket ${from + k}`, tags: ['open'] }));
  const report = (legacy: unknown, candidate: unknown): string[] =>
    compareJson(legacy, candidate, plain).differences.map((d) => `${d.kind} ${d.path}`);

  test('a page off by one is the record before the page and the one it lost, not every field of every record', () => {
    assert.deepEqual(report({ items: tickets(11, 21) }, { items: tickets(10, 20) }), [
      'extra $.items[0]',
      'missing $.items[9]',
    ]);
  });

  test('a record dropped from the middle of a long list is one missing item; one added is one extra item', () => {
    const all = tickets(1, 41);
    assert.deepEqual(
      report(
        all,
        all.filter((t) => t.id !== 17),
      ),
      ['missing $[16]'],
    );
    assert.deepEqual(report(all, [...all.slice(0, 5), { id: 99, title: 'x', tags: [] }, ...all.slice(5)]), [
      'extra $[5]',
    ]);
  });

  test('a record changed beside a shift is still compared with its own: its field, not the whole record', () => {
    const legacy = tickets(1, 21);
    const candidate = tickets(0, 20).map((t) => (t.id === 8 ? { ...t, tags: ['closed'] } : t));
    assert.deepEqual(report(legacy, candidate), ['extra $[0]', 'value $[7].tags[0]', 'missing $[19]']);
  });

  test('records changed in place, even every one of them, are reported at their positions', () => {
    const legacy = tickets(1, 11);
    assert.deepEqual(
      report(
        legacy,
        legacy.map((t) => (t.id % 3 === 0 ? { ...t, title: t.title.toUpperCase() } : t)),
      ),
      ['value $[2].title', 'value $[5].title', 'value $[8].title'],
    );
    const withoutTags = report(
      legacy,
      legacy.map(({ id, title }) => ({ id, title })),
    );
    assert.equal(withoutTags.length, 10);
    assert.ok(withoutTags.every((d, i) => d === `missing $[${i}].tags`));
  });

  test('aligned records still honour noise: a noisy field does not break the match and is reported as noise', () => {
    const stamped = (ts: string) => (t: { id: number; title: string; tags: string[] }) => ({ ...t, ts });
    const noise = { has: (p: string) => p === '$.items[*].ts' };
    const r = compareJson(
      { items: tickets(11, 21).map(stamped('a')) },
      { items: tickets(10, 20).map(stamped('b')) },
      plain,
      noise,
    );
    assert.deepEqual(
      r.differences.map((d) => `${d.kind} ${d.path}`),
      ['extra $.items[0]', 'missing $.items[9]'],
    );
    assert.equal(r.noise.length, 9);
    assert.ok(r.noise.every((d) => d.path.endsWith('.ts')));
  });

  test('lists that share too little are compared by position', () => {
    assert.deepEqual(report(['a', 'b'], ['b', 'c']), ['value $[0]', 'value $[1]']);
    const shuffled = tickets(1, 31).map((t, i) => ({ ...t, id: (i * 7) % 31 }));
    assert.equal(report(tickets(1, 31), shuffled).length > 10, true);
  });
});

describe('alignItems', () => {
  const align = (a: string, b: string, maxEdits = 8): string | undefined =>
    alignItems(a.length, b.length, (i, j) => a[i] === b[j], maxEdits)
      ?.map((s) => (s.op === 'same' ? '=' : s.op === 'drop' ? `-${a[s.i]}` : `+${b[s.j]}`))
      .join('');

  test('finds the fewest items dropped and added', () => {
    assert.equal(align('abcdef', 'xabcde'), '+x=====-f');
    assert.equal(align('abcdef', 'abdef'), '==-c===');
    assert.equal(align('', 'ab'), '+a+b');
    assert.equal(align('ab', ''), '-a-b');
    assert.equal(align('abc', 'abc'), '===');
  });

  test('gives up past maxEdits', () => {
    assert.equal(align('abcdef', 'uvwxyz', 8), undefined);
    assert.equal(align('abcd', 'xabcdy', 1), undefined);
    assert.equal(align('abcd', 'xabcdy', 2), '+x====+y');
  });
});

describe('ignore rules', () => {
  // One layout for both sides, so what differs between them is only what is passed here.
  const doc = (at: string, ids: string[], updated: string[], price: number, a: Record<string, number>) => ({
    meta: { generated_at: at, version: 1 },
    request_id: ids[0],
    data: { request_id: ids[1], list: [{ request_id: ids[2], v: 1 }] },
    items: [
      { id: 1, updated_at: updated[0], price: 10 },
      { id: 2, updated_at: updated[1], price },
    ],
    a,
  });
  const legacy = doc('2024-01-01', ['r1', 'r2', 'r3'], ['t1', 't2'], 20, { x: 1, y: 2 });
  const candidate = doc('2025-05-05', ['q1', 'q2', 'q3'], ['u1', 'u2'], 21, { x: 9, z: 3 });

  test('without rules every one of those fields differs', () => {
    assert.deepEqual(
      compareJson(legacy, candidate, plain).differences.map((d) => d.path),
      [
        '$.meta.generated_at',
        '$.request_id',
        '$.data.request_id',
        '$.data.list[0].request_id',
        '$.items[0].updated_at',
        '$.items[1].updated_at',
        '$.items[1].price',
        '$.a.x',
        '$.a.y',
        '$.a.z',
      ],
    );
  });

  test('exact, any-depth, array wildcard and child wildcard paths are ignored', () => {
    const rules = compileRules({ ignore: ['$.meta.generated_at', '$..request_id', '$.items[*].updated_at', '$.a.*'] });
    assert.deepEqual(compareJson(legacy, candidate, rules).differences, [
      { path: '$.items[1].price', kind: 'value', legacy: 20, candidate: 21 },
    ]);
  });

  test('an ignored subtree hides missing and extra fields below it', () => {
    const rules = compileRules({ ignore: ['$.debug'] });
    assert.deepEqual(compareJson({ debug: { a: 1 } }, { debug: 'x', more: 1 }, rules).differences, [
      { path: '$.more', kind: 'extra', candidate: 1 },
    ]);
  });

  test('ignoring $ ignores the whole body', () => {
    assert.deepEqual(compareJson({ a: 1 }, [2], compileRules({ ignore: ['$'] })).differences, []);
  });

  test('a bad ignore path is refused with a stable code', () => {
    assert.throws(
      () => compileRules({ ignore: ['$.a[x]'] }),
      (e: unknown) => hasCode(e, 'PHX_ERR_PARITY_BAD_PATH'),
    );
  });
});

describe('numeric tolerance', () => {
  test('absolute tolerance accepts differences up to the bound and no further', () => {
    const rules = compileRules({ numericTolerance: 0.01 });
    assert.deepEqual(compareJson({ p: 10.005 }, { p: 10.01 }, rules).differences, []);
    assert.equal(compareJson({ p: 10 }, { p: 10.02 }, rules).differences.length, 1);
  });

  test('relative tolerance scales with the value', () => {
    const rules = compileRules({ relativeTolerance: 0.01 });
    assert.deepEqual(compareJson({ p: 1000 }, { p: 1009 }, rules).differences, []);
    assert.deepEqual(compareJson({ p: 1 }, { p: 1.02 }, rules).differences, [
      { path: '$.p', kind: 'value', legacy: 1, candidate: 1.02 },
    ]);
  });
});

describe('array modes', () => {
  test('set arrays ignore order and report unmatched items by index', () => {
    const rules = compileRules({ arrays: { '$.tags': { mode: 'set' } } });
    assert.deepEqual(compareJson({ tags: ['a', 'b', 'c'] }, { tags: ['c', 'a', 'b'] }, rules).differences, []);
    assert.deepEqual(compareJson({ tags: ['a', 'b', 'b'] }, { tags: ['b', 'd', 'a'] }, rules).differences, [
      { path: '$.tags[2]', kind: 'missing', legacy: 'b' },
      { path: '$.tags[1]', kind: 'extra', candidate: 'd' },
    ]);
  });

  test('a long set pairs exact items by hash and still matches the rest under the rules', () => {
    const rules = compileRules({ arrays: { '$.items': { mode: 'set' } }, numericTolerance: 0.01 });
    const items = Array.from({ length: 40 }, (_, i) => ({ id: i, price: i + 0.5, ['__proto__']: { i } }));
    const moved = [...items].reverse().map((x) => (x.id === 7 ? { ...x, price: 7.505 } : x));
    assert.deepEqual(compareJson({ items }, { items: moved }, rules).differences, []);
    const changed = moved.map((x) => (x.id === 9 ? { ...x, price: 10 } : x));
    assert.deepEqual(compareJson({ items }, { items: changed }, rules).differences, [
      { path: '$.items[9].price', kind: 'value', legacy: 9.5, candidate: 10 },
    ]);
  });

  test('set matching honours ignore rules inside the items', () => {
    const rules = compileRules({ arrays: { '$..roles': { mode: 'set' } }, ignore: ['$..roles[*].at'] });
    const legacy = {
      user: {
        roles: [
          { r: 'admin', at: 1 },
          { r: 'dev', at: 2 },
        ],
      },
    };
    const candidate = {
      user: {
        roles: [
          { r: 'dev', at: 9 },
          { r: 'admin', at: 8 },
        ],
      },
    };
    assert.deepEqual(compareJson(legacy, candidate, rules).differences, []);
  });

  test('keyed arrays match items by key and name them in paths', () => {
    const rules = compileRules({ arrays: { '$.items': { mode: 'keyed', key: 'id' } } });
    const legacy = {
      items: [
        { id: 42, price: 1 },
        { id: 7, price: 2 },
        { id: 'x y', price: 3 },
      ],
    };
    const candidate = {
      items: [
        { id: 7, price: 2 },
        { id: 'x y', price: 3 },
        { id: 42, price: 5 },
        { id: 8, price: 0 },
      ],
    };
    assert.deepEqual(compareJson(legacy, candidate, rules).differences, [
      { path: '$.items[id=42].price', kind: 'value', legacy: 1, candidate: 5 },
      { path: '$.items[id=8]', kind: 'extra', candidate: { id: 8, price: 0 } },
    ]);
    assert.deepEqual(compareJson({ items: [{ id: 1 }, { id: 'x y' }] }, { items: [{ id: 1 }] }, rules).differences, [
      { path: '$.items[id="x y"]', kind: 'missing', legacy: { id: 'x y' } },
    ]);
  });

  test('keyed arrays pair items with duplicate keys in order', () => {
    const rules = compileRules({ arrays: { $: { mode: 'keyed', key: 'k' } } });
    const legacy = [{ k: 1, v: 'a' }, { k: 1, v: 'b' }, { v: 'no key' }];
    assert.deepEqual(compareJson(legacy, structuredClone(legacy), rules).differences, []);
    assert.deepEqual(compareJson(legacy, [{ k: 1, v: 'a' }, { k: 1, v: 'c' }, { v: 'no key' }], rules).differences, [
      { path: '$[k=1].v', kind: 'value', legacy: 'b', candidate: 'c' },
    ]);
  });

  test('keyed rule without a key is refused', () => {
    assert.throws(
      () => compileRules({ arrays: { '$.items': { mode: 'keyed' } } }),
      (e: unknown) => hasCode(e, 'PHX_ERR_PARITY_BAD_RULE'),
    );
  });

  test('route overrides replace the family field they name', () => {
    const family = { ignore: ['$.a'], numericTolerance: 1 };
    const rules = compileRules(family, { ignore: ['$.b'] });
    assert.deepEqual(compareJson({ a: 1, b: 1, c: 1 }, { a: 5, b: 5, c: 1.5 }, rules).differences, [
      { path: '$.a', kind: 'value', legacy: 1, candidate: 5 },
    ]);
    assert.deepEqual(rules.rules.ignore, ['$.b']);
    assert.equal(rules.rules.numericTolerance, 1);
  });
});

describe('compareResponses', () => {
  // The whole result for two JSON answers that match, so nothing extra may appear in it.
  const JSON_EQUAL = { equal: true, differences: [], noise: [], informational: [], text: false };
  test('status and header differences have their own paths', () => {
    const r = compareResponses(json({ a: 1 }, 200), json({ a: 1 }, 201, { 'Content-Type': 'text/html' }), plain);
    assert.equal(r.equal, false);
    assert.deepEqual(r.differences, [
      { path: '$status', kind: 'status', legacy: 200, candidate: 201 },
      { path: 'header:content-type', kind: 'header', legacy: 'application/json', candidate: 'text/html' },
    ]);
  });

  test('a charset-only content-type difference is equal; case of names and values does not matter', () => {
    const a = json({ a: 1 }, 200, { 'content-type': 'application/json' });
    const b = json({ a: 1 }, 200, { 'Content-Type': 'Application/JSON; charset=utf-8' });
    assert.deepEqual(compareResponses(a, b, plain), JSON_EQUAL);
  });

  test('other compared headers must match and a header absent on one side is reported', () => {
    const rules = compileRules({ headers: ['content-type', 'Cache-Control'] });
    const a = json({}, 200, { 'content-type': 'application/json', 'cache-control': 'no-store' });
    const b = json({}, 200, { 'content-type': 'application/json' });
    assert.deepEqual(compareResponses(a, b, rules).differences, [
      { path: 'header:cache-control', kind: 'header', legacy: 'no-store' },
    ]);
  });

  test('two redirects compare by where they point, not by the page a framework writes along', () => {
    const rules = compileRules({ headers: ['content-type', 'location'] });
    const flask: HttpSnapshot = {
      status: 303,
      headers: { 'Content-Type': 'text/html; charset=utf-8', Location: '/account' },
      body: '<!doctype html>\n<title>Redirecting...</title>\n<h1>Redirecting...</h1>\n<a href="/account">/account</a>',
    };
    const starlette = (location: string): HttpSnapshot => ({ status: 303, headers: { location }, body: '' });
    assert.deepEqual(compareResponses(flask, starlette('/account'), rules).differences, []);
    assert.deepEqual(compareResponses(flask, starlette('/dashboard'), rules).differences, [
      { path: 'header:location', kind: 'header', legacy: '/account', candidate: '/dashboard' },
    ]);
    // A redirect against a page is still a difference of status, type and body.
    const page: HttpSnapshot = { status: 200, headers: { 'content-type': 'text/html' }, body: '<p>saved</p>' };
    assert.deepEqual(
      compareResponses(flask, page, rules).differences.map((d) => d.path),
      ['$status', 'header:location', '$body'],
    );
  });

  test('JSON bodies are compared structurally, whether bytes or strings', () => {
    const a: HttpSnapshot = {
      status: 200,
      headers: { 'content-type': 'application/json' },
      body: '{"a": 1, "b": [1,2]}',
    };
    const b: HttpSnapshot = {
      status: 200,
      headers: { 'content-type': 'application/json' },
      body: Buffer.from('{"b":[1,2],"a":2}'),
    };
    const r = compareResponses(a, b, plain);
    assert.equal(r.text, false);
    assert.deepEqual(r.differences, [{ path: '$.a', kind: 'value', legacy: 1, candidate: 2 }]);
  });

  test('bodies are sniffed as JSON without a JSON content type', () => {
    const a: HttpSnapshot = { status: 200, headers: {}, body: ' {"a":1}' };
    const b: HttpSnapshot = { status: 200, headers: {}, body: '{"a":1.0}' };
    assert.deepEqual(compareResponses(a, b, plain), JSON_EQUAL);
  });

  test('invalid JSON on one side under a JSON content type is a type difference at $', () => {
    const a = json({ a: 1 });
    const b: HttpSnapshot = { status: 200, headers: { 'content-type': 'application/json' }, body: '<html>oops</html>' };
    assert.deepEqual(compareResponses(a, b, plain).differences, [
      { path: '$', kind: 'type', legacy: { a: 1 }, candidate: '<html>oops</html>' },
    ]);
  });

  test('text bodies compare exactly by default, or trimmed with whitespace collapsed', () => {
    const a: HttpSnapshot = { status: 200, headers: { 'content-type': 'text/plain' }, body: 'hello  world\n' };
    const b: HttpSnapshot = { status: 200, headers: { 'content-type': 'text/plain' }, body: ' hello world' };
    const exact = compareResponses(a, b, plain);
    assert.equal(exact.text, true);
    assert.deepEqual(exact.differences, [
      { path: '$body', kind: 'value', legacy: 'hello  world\n', candidate: ' hello world' },
    ]);
    const normalized = compareResponses(a, b, compileRules({ text: 'normalized' }));
    assert.deepEqual(normalized, { equal: true, differences: [], noise: [], informational: [], text: true });
    assert.equal(
      compareResponses(a, { ...b, body: 'hello there' }, compileRules({ text: 'normalized' })).differences.length,
      1,
    );
  });

  test('bodies compare as the client reads them: a gzip, deflate or br answer against a plain one', () => {
    const legacy = json({ a: 1, items: [1, 2, 3] });
    for (const [coding, encode] of [
      ['gzip', gzipSync],
      ['deflate', deflateSync],
      ['br', brotliCompressSync],
    ] as const) {
      const encoded = (body: unknown): HttpSnapshot => ({
        status: 200,
        headers: { 'content-type': 'application/json', 'Content-Encoding': coding },
        body: encode(Buffer.from(JSON.stringify(body))),
      });
      assert.deepEqual(compareResponses(legacy, encoded({ items: [1, 2, 3], a: 1 }), plain), JSON_EQUAL, coding);
      assert.deepEqual(
        kinds(compareResponses(legacy, encoded({ a: 1, items: [1, 2, 4] }), plain)),
        [['$.items[2]', 'value']],
        `a real difference under ${coding} is still found`,
      );
    }
    // Two codings, applied in order: undone in reverse.
    const twice: HttpSnapshot = {
      status: 200,
      headers: { 'content-type': 'application/json', 'content-encoding': 'deflate, gzip' },
      body: gzipSync(deflateSync(Buffer.from('{"a":1,"items":[1,2,3]}'))),
    };
    assert.deepEqual(compareResponses(legacy, twice, plain), JSON_EQUAL);
    // A body that does not decode is compared as sent, and differs.
    const broken: HttpSnapshot = { ...twice, headers: { 'content-encoding': 'gzip' }, body: Buffer.from('not gzip') };
    assert.equal(compareResponses(legacy, broken, plain).equal, false);
  });

  test('the content type of two empty 204 answers is not compared; of other answers it is', () => {
    const a: HttpSnapshot = { status: 204, headers: { 'content-type': 'text/html; charset=utf-8' }, body: '' };
    const b: HttpSnapshot = { status: 204, headers: {}, body: '' };
    assert.deepEqual(compareResponses(a, b, plain), { ...JSON_EQUAL, text: true });
    assert.deepEqual(kinds(compareResponses({ ...a, status: 200 }, { ...b, status: 200 }, plain)), [
      ['header:content-type', 'header'],
    ]);
  });

  test('identical bytes are equal even when they are not valid JSON', () => {
    const a: HttpSnapshot = {
      status: 200,
      headers: { 'content-type': 'application/json' },
      body: Buffer.from('{oops'),
    };
    assert.deepEqual(compareResponses(a, { ...a, body: Buffer.from('{oops') }, plain), JSON_EQUAL);
  });
});

describe('value classes in comparisons', () => {
  const now = Date.UTC(2026, 11, 1, 12, 0, 0);
  // The comparison with class noise on, at this suite's clock.
  const withNoise = (l: HttpSnapshot, c: HttpSnapshot, rules = plain): ReturnType<typeof compareResponses> =>
    compareResponses(l, c, rules, undefined, { classNoise: true, now });
  const posted = (id: string, at: string, extra: Record<string, unknown> = {}): HttpSnapshot =>
    json({ id, created_at: at, name: 'Ann', ...extra }, 201);

  test('the same instant in another format is informational, or blocking when the plan says so', () => {
    const l = json({ at: '2026-12-01T11:00:00+00:00', n: 1 });
    const c = json({ at: '2026-12-01T11:00:00Z', n: 1 });
    const r = compareResponses(l, c, plain);
    assert.equal(r.equal, true);
    assert.deepEqual(r.differences, []);
    assert.deepEqual(r.informational, [
      {
        path: '$.at',
        kind: 'format',
        legacy: '2026-12-01T11:00:00+00:00',
        candidate: '2026-12-01T11:00:00Z',
        valueClass: 'timestamp',
      },
    ]);
    const blocking = compareResponses(l, c, compileRules({ blocking: ['format'] }));
    assert.equal(blocking.equal, false);
    assert.deepEqual(kinds(blocking), [['$.at', 'format']]);
    assert.deepEqual(blocking.informational, []);
  });

  test('without class noise, fresh ids and timestamps in a POST answer are value differences', () => {
    // Ten seconds apart: within `timestampTolerance` (1s) they would be equal.
    const r = compareResponses(
      posted('0b6c3f4e-8d2a-4f1b-9c3e-2a7d5e6f8a90', '2026-12-01T11:59:50Z'),
      posted('a1c2e3f4-0000-4111-8222-333344445555', '2026-12-01T12:00:00Z'),
      plain,
    );
    assert.deepEqual(kinds(r), [
      ['$.id', 'value'],
      ['$.created_at', 'value'],
    ]);
  });

  test('with class noise they are noise with their class, and a real change still counts', () => {
    const r = withNoise(
      posted('0b6c3f4e-8d2a-4f1b-9c3e-2a7d5e6f8a90', '2026-12-01T11:59:59Z', {
        request_id: 'f'.repeat(8) + '0123456789abcdef',
      }),
      posted('a1c2e3f4-0000-4111-8222-333344445555', '2026-12-01T12:00:00Z', {
        request_id: '0123456789abcdef' + 'e'.repeat(8),
        name: 'Bo',
      }),
      plain,
    );
    assert.equal(r.equal, false);
    assert.deepEqual(r.differences, [{ path: '$.name', kind: 'value', legacy: 'Ann', candidate: 'Bo' }]);
    assert.deepEqual(
      r.noise.map((d) => [d.path, d.valueClass]),
      [
        ['$.id', 'uuid'],
        ['$.created_at', 'timestamp'],
        ['$.request_id', 'hex'],
      ],
    );
  });

  test('a value whose class changes is never noise: a UUID becoming an integer, a number becoming a string', () => {
    const r = withNoise(
      json({ id: '0b6c3f4e-8d2a-4f1b-9c3e-2a7d5e6f8a90', at: now / 1000, ref: 'a1c2e3f4-0000-4111-8222-333344445555' }),
      json({ id: 17, at: String(now / 1000), ref: 'order-17' }),
      plain,
    );
    assert.deepEqual(kinds(r), [
      ['$.id', 'type'],
      ['$.at', 'type'],
      ['$.ref', 'value'],
    ]);
    assert.deepEqual(r.noise, []);
  });

  test('a stored timestamp that differs is a regression even with class noise on', () => {
    const r = withNoise(
      json({ created_at: '2024-03-01T10:00:00Z' }),
      json({ created_at: '2024-03-01T11:00:00Z' }),
      plain,
    );
    assert.deepEqual(kinds(r), [['$.created_at', 'value']]);
  });

  test('class noise inside set arrays lets items match', () => {
    const rules = compileRules({ arrays: { '$.items': { mode: 'set' } } });
    const r = withNoise(
      json({
        items: [
          { id: '0b6c3f4e-8d2a-4f1b-9c3e-2a7d5e6f8a90', n: 1 },
          { id: 'b1c2e3f4-0000-4111-8222-333344445555', n: 2 },
        ],
      }),
      json({
        items: [
          { id: 'c1c2e3f4-0000-4111-8222-333344445555', n: 2 },
          { id: 'd1c2e3f4-0000-4111-8222-333344445555', n: 1 },
        ],
      }),
      rules,
    );
    assert.equal(r.equal, true, JSON.stringify(r.differences));
  });

  test('a text body holding one generated value is judged by its class', () => {
    const text = (body: string): HttpSnapshot => ({ status: 201, headers: { 'content-type': 'text/plain' }, body });
    const r = withNoise(
      text('0b6c3f4e-8d2a-4f1b-9c3e-2a7d5e6f8a90\n'),
      text('a1c2e3f4-0000-4111-8222-333344445555\n'),
      plain,
    );
    assert.equal(r.equal, true);
    assert.deepEqual(
      r.noise.map((d) => [d.path, d.valueClass]),
      [['$body', 'uuid']],
    );
    assert.equal(withNoise(text('a'), text('b')).equal, false);
  });

  test('valueClasses: [] switches classes off: no format and no class noise', () => {
    const off = compileRules({ valueClasses: [] });
    const r = withNoise(
      json({ at: '2026-12-01T11:00:00+00:00', id: '0b6c3f4e-8d2a-4f1b-9c3e-2a7d5e6f8a90' }),
      json({ at: '2026-12-01T11:00:00Z', id: 'a1c2e3f4-0000-4111-8222-333344445555' }),
      off,
    );
    assert.deepEqual(kinds(r), [
      ['$.at', 'value'],
      ['$.id', 'value'],
    ]);
  });
});

describe('time-only class noise', () => {
  const now = Date.UTC(2026, 11, 1, 12, 0, 0);
  test("classNoise 'time' sets aside 'now' timestamps and epochs but not ids or tokens", () => {
    const r = compareResponses(
      json({ served_at: '2026-12-01T11:59:59Z', at: now / 1000 - 1, id: '0b6c3f4e-8d2a-4f1b-9c3e-2a7d5e6f8a90' }),
      json({ served_at: '2026-12-01T12:00:00Z', at: now / 1000, id: 'a1c2e3f4-0000-4111-8222-333344445555' }),
      plain,
      undefined,
      { classNoise: 'time', now },
    );
    assert.deepEqual(
      r.noise.map((d) => [d.path, d.valueClass]),
      [
        ['$.served_at', 'timestamp'],
        ['$.at', 'epoch'],
      ],
    );
    assert.deepEqual(kinds(r), [['$.id', 'value']]);
  });
});
