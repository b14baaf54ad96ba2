import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { compareJson, compareResponses, compileRules } from '../../src/parity/diff.js';
import { applyAdapter, compileAdapters } from '../../src/parity/adapt.js';
import { validatePlan } from '../../src/plan/load.js';
import { diffRulesSchema } from '../../src/plan/schema.js';
import type { PlanInput } from '../../src/plan/schema.js';
import type { HttpSnapshot } from '../../src/parity/types.js';
import { hasCode } from '../../src/lib/errors.js';

function json(body: unknown, status = 200): HttpSnapshot {
  return { status, headers: { 'content-type': 'application/json' }, body: Buffer.from(JSON.stringify(body)) };
}

function kinds(r: { differences: Array<{ path: string; kind: string }> }): string[] {
  return r.differences.map((d) => `${d.path} ${d.kind}`);
}

describe('present: the value may differ, but it must exist with the same JSON type', () => {
  const rules = compileRules({ present: ['$.token', '$.items[*].etag'] });

  test('different values of the same type are equal', () => {
    const r = compareJson(
      { token: 'abc', items: [{ etag: 'x', n: 1 }] },
      { token: 'zzz-other', items: [{ etag: 'y', n: 1 }] },
      rules,
    );
    assert.deepEqual(kinds(r), []);
    assert.deepEqual(r.informational, []);
  });

  test('absent on new, or another JSON type, is still a difference', () => {
    assert.deepEqual(kinds(compareJson({ token: 'abc' }, {}, rules)), ['$.token missing']);
    assert.deepEqual(kinds(compareJson({ token: 'abc' }, { token: 12 }, rules)), ['$.token type']);
    assert.deepEqual(kinds(compareJson({ token: 'abc' }, { token: null }, rules)), ['$.token type']);
    assert.deepEqual(kinds(compareJson({ token: { a: 1 } }, { token: [1] }, rules)), ['$.token type']);
  });

  test('paths it does not name are compared as before', () => {
    const r = compareJson(
      { token: 'a', items: [{ etag: 'x', n: 1 }] },
      { token: 'b', items: [{ etag: 'x', n: 2 }] },
      rules,
    );
    assert.deepEqual(kinds(r), ['$.items[0].n value']);
  });
});

describe('type: only the JSON types count, down the subtree', () => {
  const rules = compileRules({ type: ['$.stats'], ignore: ['$.stats.debug'] });

  test('other values and array lengths are equal; types, keys and ignore still apply', () => {
    const legacy = { stats: { count: 3, names: ['a', 'b'], debug: 1, when: null } };
    assert.deepEqual(
      kinds(compareJson(legacy, { stats: { count: 9, names: ['c'], debug: 'x', when: null } }, rules)),
      [],
    );
    assert.deepEqual(kinds(compareJson(legacy, { stats: { count: '3', names: [1], when: null, more: true } }, rules)), [
      '$.stats.count type',
      '$.stats.names[0] type',
      '$.stats.more extra',
    ]);
    assert.deepEqual(kinds(compareJson(legacy, { stats: { count: 1, names: [] } }, rules)), ['$.stats.when missing']);
  });
});

describe('format: timestamps compared as instants', () => {
  const rules = compileRules({ format: ['$..created_at'] });

  test('the same instant in another format is equal, and not even informational', () => {
    const r = compareJson(
      { loan: { created_at: '2026-12-01T10:00:00+00:00' } },
      { loan: { created_at: '2026-12-01T10:00:00Z' } },
      rules,
    );
    assert.deepEqual(kinds(r), []);
    assert.deepEqual(r.informational, []);
    // Without the rule the value class files it as informational.
    const plain = compareJson({ at: '2026-12-01T10:00:00+00:00' }, { at: '2026-12-01T10:00:00Z' }, compileRules({}));
    assert.equal(plain.informational.length, 1);
  });

  test('a different instant, or a blocking format elsewhere, still differs', () => {
    // Further apart than `timestampTolerance` (1s), which makes nearby instants equal at a format path.
    const r = compareJson({ created_at: '2026-12-01T10:00:00+00:00' }, { created_at: '2026-12-01T10:00:05Z' }, rules);
    assert.equal(r.differences.length, 1);
    const blocking = compileRules({ format: ['$.a'], blocking: ['format'] });
    const b = compareJson(
      { a: '2026-12-01T10:00:00+00:00', b: '2026-12-01T10:00:00+00:00' },
      { a: '2026-12-01T10:00:00Z', b: '2026-12-01T10:00:00Z' },
      blocking,
    );
    assert.deepEqual(kinds(b), ['$.b format']);
  });

  test('a zoned and a local time are never the same instant', () => {
    assert.equal(
      compareJson({ created_at: '2026-12-01T10:00:00Z' }, { created_at: '2026-12-01T10:00:00' }, rules).differences
        .length,
      1,
    );
  });
});

describe('status mappings', () => {
  test('a mapped pair compares equal; other pairs and the reverse still differ', () => {
    const rules = compileRules({}, { status: { '200': 201, '404': [410, 404] } });
    assert.equal(compareResponses(json({ a: 1 }, 200), json({ a: 1 }, 201), rules).equal, true);
    assert.equal(compareResponses(json({ a: 1 }, 404), json({ a: 1 }, 410), rules).equal, true);
    const other = compareResponses(json({ a: 1 }, 200), json({ a: 1 }, 202), rules);
    assert.deepEqual(kinds(other), ['$status status']);
    assert.deepEqual(kinds(compareResponses(json({ a: 1 }, 201), json({ a: 1 }, 200), rules)), ['$status status']);
  });

  test('bad mappings are refused naming the field', () => {
    assert.equal(diffRulesSchema.safeParse({ status: { '200': 201 } }).success, true);
    const badKey = diffRulesSchema.safeParse({ status: { ok: 201 } });
    assert.equal(badKey.success, false);
    const badValue = diffRulesSchema.safeParse({ status: { '200': 999 } });
    assert.equal(badValue.success, false);
    assert.deepEqual(badValue.error?.issues[0]?.path.slice(0, 2), ['status', '200']);
  });
});

describe('error-shape equivalence through the adapters', () => {
  const ops = [
    { op: 'rename', from: '$.detail', to: '$.error.message', onStatus: '4xx' },
    { op: 'status', from: 403, to: 401 },
  ] as const;
  const set = compileAdapters([{ route: 'GET /api/loans/:id', ops: [...ops] }]);
  const adapter = set.find('GET', '/api/loans/7');
  assert.ok(adapter);

  test("new's error body is mapped onto legacy's shape only for error statuses", () => {
    const notFound = applyAdapter(adapter, json({ detail: 'loan not found' }, 404));
    const legacy = json({ error: { message: 'loan not found' } }, 404);
    assert.equal(compareResponses(legacy, notFound, compileRules({})).equal, true);
    const ok = json({ id: 7, detail: 'kept' }, 200);
    const same = applyAdapter(adapter, ok);
    assert.equal(same.body, ok.body, 'a 200 is not re-serialised');
  });

  test('onStatus sees the status as earlier ops left it', () => {
    const a = compileAdapters([
      {
        route: 'GET /x',
        ops: [
          { op: 'status', from: 403, to: 401 },
          { op: 'set', path: '$.seen', value: 401, onStatus: 401 },
          { op: 'set', path: '$.wasForbidden', value: true, onStatus: '403' },
        ],
      },
    ]).find('GET', '/x');
    assert.ok(a);
    const out = applyAdapter(a, json({ detail: 'no' }, 403));
    assert.equal(out.status, 401);
    assert.deepEqual(JSON.parse(Buffer.from(out.body as Uint8Array).toString('utf8')), { detail: 'no', seen: 401 });
  });

  test('a bad status condition is refused with the adapter named', () => {
    assert.throws(
      () => compileAdapters([{ route: 'GET /x', ops: [{ op: 'wrap', key: 'k', onStatus: '500-400' }] }]),
      (e: unknown) => hasCode(e, 'PHX_ERR_PARITY_BAD_ADAPTER') && /ends before it starts/.test((e as Error).message),
    );
  });
});

describe('plan-level diff defaults', () => {
  const base: PlanInput = {
    version: 1,
    name: 'p',
    legacy: 'http://127.0.0.1:1',
    approvers: ['ana'],
    diff: { ignore: ['$..request_id'], format: ['$..created_at'], headers: ['content-type', 'etag'] },
    families: [
      { name: 'a', routes: ['GET /a'], new: 'http://127.0.0.1:2' },
      {
        name: 'b',
        routes: ['GET /b', 'POST /b'],
        new: 'http://127.0.0.1:2',
        diff: { ignore: ['$.b'] },
        routeDiff: { 'POST /b': { status: { 200: 201 } } },
      },
    ],
  };

  test('families inherit every field they do not set, and their own fields win', async () => {
    const plan = await validatePlan(base);
    const [a, b] = plan.families;
    assert.deepEqual(a?.diff.ignore, ['$..request_id']);
    assert.deepEqual(a?.diff.format, ['$..created_at']);
    assert.deepEqual(b?.diff.ignore, ['$.b']);
    assert.deepEqual(b?.diff.headers, ['content-type', 'etag']);
    assert.deepEqual(b?.diff.numericTolerance, 0);
  });

  test('a route override changes only the fields it names', async () => {
    const plan = await validatePlan(base);
    const b = plan.families[1]!;
    assert.deepEqual(Object.keys(b.routeDiff['POST /b'] ?? {}), ['status']);
    const rules = compileRules(b.diff, b.routeDiff['POST /b']);
    assert.deepEqual(rules.rules.ignore, ['$.b']);
    assert.deepEqual(rules.rules.format, ['$..created_at']);
    assert.equal(compareResponses(json({ b: 1 }, 200), json({ b: 2 }, 201), rules).equal, true);
  });

  test('a bad plan-level rule is reported once, at diff', async () => {
    await assert.rejects(validatePlan({ ...base, diff: { present: ['token'] } }), (e: unknown) => {
      const problems = (e as { problems: Array<{ path: string }> }).problems;
      return problems.length === 1 && problems[0]?.path === 'diff.present[0]';
    });
  });
});
