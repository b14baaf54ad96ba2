import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { compareJson, compareResponses, compileRules } from '../../src/parity/diff.js';
import type { CompiledRules } from '../../src/parity/diff.js';
import { classMask, classOf, judgeValues, VALUE_CLASSES } from '../../src/parity/value-classes.js';

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

const MUTANT = '\u0000mutated';

/** Every container node of `x` with the path of keys/indices leading to it. */
function containers(
  x: Json,
  at: Array<string | number> = [],
  out: Array<{ at: Array<string | number>; node: Json[] | { [k: string]: Json } }> = [],
) {
  if (typeof x === 'object' && x !== null) {
    out.push({ at, node: x });
    if (Array.isArray(x)) x.forEach((v, i) => containers(v, [...at, i], out));
    else for (const [k, v] of Object.entries(x)) containers(v, [...at, k], out);
  }
  return out;
}

/** Applies one change to a copy of `x`; returns the copy and whether the change sits under an ignored `ts` key. */
function mutate(x: Json, pick: number, how: number): { y: Json; ignored: boolean } {
  const y = structuredClone(x);
  const nodes = containers(y);
  if (nodes.length === 0) return { y: MUTANT, ignored: false };
  const { at, node } = nodes[pick % nodes.length] as (typeof nodes)[number];
  const underTs = at.includes('ts');
  if (Array.isArray(node)) {
    if (node.length === 0 || how % 2 === 0) node.push(MUTANT);
    else node[pick % node.length] = [MUTANT];
    return { y, ignored: underTs };
  }
  const keys = Object.keys(node);
  if (how % 3 === 0 || keys.length === 0) {
    const key = how % 2 === 0 ? 'ts' : MUTANT;
    const had = Object.hasOwn(node, key);
    node[key] = had ? [node[key] as Json, MUTANT] : MUTANT;
    return { y, ignored: underTs || key === 'ts' };
  }
  const key = keys[pick % keys.length] as string;
  if (how % 3 === 1) delete node[key];
  else node[key] = { [MUTANT]: node[key] as Json };
  return { y, ignored: underTs || key === 'ts' };
}

const json = fc.jsonValue({ maxDepth: 4 }) as fc.Arbitrary<Json>;
const item = fc.dictionary(fc.constantFrom('a', 'ts', 'v'), fc.oneof(fc.constantFrom(1, 2, 'x'), json), { maxKeys: 3 });
const withTs = fc.oneof(
  json,
  fc.dictionary(fc.constantFrom('ts', 'a', 'b', 'items'), fc.oneof(json, fc.array(item, { maxLength: 5 })), {
    maxKeys: 4,
  }),
) as fc.Arbitrary<Json>;

const ruleSets: Array<[string, CompiledRules]> = [
  ['plain', compileRules({})],
  ['ignore $..ts', compileRules({ ignore: ['$..ts'] })],
  ['set arrays everywhere', compileRules({ arrays: { '$..*': { mode: 'set' } } })],
  [
    'keyed items, tolerant',
    compileRules({ arrays: { '$..items': { mode: 'keyed', key: 'a' } }, numericTolerance: 0.5, ignore: ['$.b.*'] }),
  ],
];

describe('diff properties', () => {
  for (const [name, rules] of ruleSets) {
    test(`a document always equals its copy (${name})`, () => {
      fc.assert(
        fc.property(withTs, (x) => {
          assert.deepEqual(compareJson(x, structuredClone(x), rules), {
            differences: [],
            noise: [],
            informational: [],
          });
        }),
      );
    });

    test(`comparing arbitrary documents never throws (${name})`, () => {
      fc.assert(
        fc.property(withTs, withTs, (x, y) => {
          const r = compareJson(x, y, rules);
          assert.ok(Array.isArray(r.differences));
        }),
      );
    });
  }

  test('a mutated document differs unless the mutation sits under an ignored path', () => {
    const rules = compileRules({ ignore: ['$..ts'] });
    fc.assert(
      fc.property(withTs, fc.nat(), fc.nat(), (x, pick, how) => {
        const { y, ignored } = mutate(x, pick, how);
        const { differences } = compareJson(x, y, rules);
        if (ignored) assert.deepEqual(differences, []);
        else assert.ok(differences.length > 0, `expected a difference for ${JSON.stringify(y)}`);
      }),
      { numRuns: 500 },
    );
  });

  test('a mutated document differs under set and keyed array modes too', () => {
    const rules = compileRules({ arrays: { '$..*': { mode: 'set' }, '$..items': { mode: 'keyed', key: 'a' } } });
    fc.assert(
      fc.property(withTs, fc.nat(), fc.nat(), (x, pick, how) => {
        const { y } = mutate(x, pick, how);
        assert.ok(compareJson(x, y, rules).differences.length > 0);
      }),
      { numRuns: 300 },
    );
  });

  test('class noise never hides a structural change', () => {
    const rules = compileRules({});
    const now = Date.now();
    fc.assert(
      fc.property(withTs, fc.nat(), fc.nat(), (x, pick, how) => {
        const { y } = mutate(x, pick, how);
        assert.ok(compareJson(x, y, rules, undefined, { classNoise: true, now }).differences.length > 0);
      }),
      { numRuns: 300 },
    );
  });

  test('two values are class noise only when both have the same class', () => {
    const now = Date.UTC(2026, 11, 1, 12);
    const o = { mask: classMask(VALUE_CLASSES), noise: true, now, windowMs: 300_000 };
    const hex = (n: number) => fc.stringMatching(new RegExp(`^[0-9a-f]{${n}}$`));
    const value = fc.oneof(
      fc.uuid(),
      fc.stringMatching(/^0[0-9A-HJKMNP-TV-Z]{25}$/),
      fc.integer({ min: -200_000, max: 200_000 }).map((d) => new Date(now + d).toISOString()),
      fc.integer({ min: -200, max: 200 }).map((d) => Math.floor(now / 1000) + d),
      fc.integer({ min: -200_000, max: 200_000 }).map((d) => now + d),
      hex(32),
      hex(40),
      fc.stringMatching(/^[A-Za-z0-9_-]{22}$/),
      fc.string(),
      fc.integer(),
      fc.constantFrom(null, true, false),
    );
    fc.assert(
      fc.property(value, value, (a, b) => {
        const v = judgeValues(a, b, o);
        if (v?.kind !== 'noise') return;
        assert.equal(typeof a, typeof b);
        assert.equal(classOf(a, o), v.valueClass);
        assert.equal(classOf(b, o), v.valueClass);
      }),
      { numRuns: 2000 },
    );
  });

  test('compareResponses never throws on arbitrary bodies and headers', () => {
    const rules = compileRules({ headers: ['content-type', 'etag'] });
    const snapshot = fc.record({
      status: fc.integer({ min: 100, max: 599 }),
      headers: fc.dictionary(
        fc.constantFrom('content-type', 'Content-Type', 'ETag', 'x'),
        fc.oneof(fc.string(), fc.array(fc.string())),
      ),
      body: fc.oneof(fc.string(), fc.json(), fc.uint8Array()),
    });
    fc.assert(
      fc.property(snapshot, snapshot, (a, b) => {
        const r = compareResponses(a, b, rules);
        assert.equal(r.equal, r.differences.length === 0);
      }),
    );
  });
});
