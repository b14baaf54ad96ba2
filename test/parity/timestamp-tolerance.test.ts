import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { compareJson, compareResponses, compileRules } from '../../src/parity/diff.js';
import { NoiseLearner } from '../../src/parity/noise.js';
import { writtenAlike } from '../../src/parity/time-layout.js';
import { validatePlan } from '../../src/plan/load.js';
import { diffRulesSchema } from '../../src/plan/schema.js';
import type { PlanInput } from '../../src/plan/schema.js';
import type { HttpSnapshot } from '../../src/parity/types.js';

/** The request time of these comparisons: the stamps below were stored two weeks earlier or later. */
const NOW = Date.UTC(2026, 11, 1, 12, 0, 0);
const at = { now: NOW };
const family = compileRules({});

function kinds(r: { differences: Array<{ path: string; kind: string }> }): string[] {
  return r.differences.map((d) => `${d.path} ${d.kind}`);
}

function text(body: string): HttpSnapshot {
  return { status: 200, headers: { 'content-type': 'text/plain' }, body: Buffer.from(body) };
}

describe('timestamps within the tolerance', () => {
  test('a stored stamp a second apart, written alike, is equal at the default (1s)', () => {
    assert.equal(family.rules.timestampTolerance, 1000);
    const r = compareJson(
      { loans: [{ due_at: '2026-12-15T09:59:59Z', loaned_at: '2026-11-16T09:59:59.250Z' }] },
      { loans: [{ due_at: '2026-12-15T10:00:00Z', loaned_at: '2026-11-16T10:00:00.100Z' }] },
      family,
      undefined,
      at,
    );
    assert.deepEqual(kinds(r), []);
    assert.deepEqual(r.informational, []);
    assert.deepEqual(r.noise, [], 'equal, not noise: nothing to learn from it');
  });

  test('written another way (offset, precision, separator), it is an informational format difference', () => {
    const r = compareJson(
      { a: '2026-12-15T10:00:00+00:00', b: '2026-12-15T10:00:00.000Z', c: '2026-12-15T10:00:00Z' },
      { a: '2026-12-15T10:00:01Z', b: '2026-12-15T10:00:01Z', c: '2026-12-15 10:00:01Z' },
      family,
      undefined,
      at,
    );
    assert.deepEqual(kinds(r), []);
    assert.deepEqual(
      r.informational.map((d) => [d.path, d.kind, d.valueClass]),
      [
        ['$.a', 'format', 'timestamp'],
        ['$.b', 'format', 'timestamp'],
        ['$.c', 'format', 'timestamp'],
      ],
    );
    const blocking = compileRules({ blocking: ['format'] });
    assert.deepEqual(
      kinds(compareJson({ a: '2026-12-15T10:00:00+00:00' }, { a: '2026-12-15T10:00:01Z' }, blocking, undefined, at)),
      ['$.a format'],
    );
  });

  test('another offset for a nearby instant is another layout, not the same one', () => {
    const r = compareJson(
      { a: '2026-12-15T11:00:00+01:00' },
      { a: '2026-12-15T10:00:01+00:00' },
      family,
      undefined,
      at,
    );
    assert.deepEqual(
      r.informational.map((d) => d.kind),
      ['format'],
    );
  });

  test('at a `format` path, a nearby instant in another format is equal, not even informational', () => {
    const rules = compileRules({ format: ['$..due_at'] });
    const r = compareJson(
      { loans: [{ due_at: '2026-12-15T09:59:59+00:00' }] },
      { loans: [{ due_at: '2026-12-15T10:00:00Z' }] },
      rules,
      undefined,
      at,
    );
    assert.deepEqual(kinds(r), []);
    assert.deepEqual(r.informational, []);
  });

  test('HTTP dates across midnight are written alike', () => {
    const r = compareJson(
      { d: 'Tue, 15 Dec 2026 23:59:59 GMT' },
      { d: 'Wed, 16 Dec 2026 00:00:00 GMT' },
      family,
      undefined,
      at,
    );
    assert.deepEqual(kinds(r), []);
    assert.deepEqual(r.informational, []);
  });

  test('items of a set-compared array pair up when their stamps are within the tolerance', () => {
    const rules = compileRules({ arrays: { $: { mode: 'set' } } });
    const r = compareJson(
      [
        { id: 'b', at: '2026-12-15T10:00:00Z' },
        { id: 'a', at: '2026-12-15T09:00:00Z' },
      ],
      [
        { id: 'a', at: '2026-12-15T09:00:01Z' },
        { id: 'b', at: '2026-12-15T10:00:01Z' },
      ],
      rules,
      undefined,
      at,
    );
    assert.deepEqual(kinds(r), []);
  });

  test('a text body that is one timestamp is judged the same way', () => {
    assert.equal(compareResponses(text('2026-12-15T10:00:00Z'), text('2026-12-15T10:00:01Z'), family).equal, true);
    assert.equal(compareResponses(text('2026-12-15T10:00:00Z'), text('2026-12-15T10:00:02Z'), family).equal, false);
  });
});

describe('noise learning', () => {
  test('a stamp that ticked between two legacy answers is learned as noise, whatever the tolerance', () => {
    const json = (body: unknown): HttpSnapshot => ({
      status: 200,
      headers: { 'content-type': 'application/json' },
      body: Buffer.from(JSON.stringify(body)),
    });
    const learner = new NoiseLearner();
    const found = learner.observe(
      'GET /api/clock',
      json({ served_at: '2026-12-01T11:59:59Z' }),
      json({ served_at: '2026-12-01T12:00:00Z' }),
      family,
    );
    assert.deepEqual(kinds({ differences: found }), ['$.served_at value']);
    assert.equal(learner.filterFor('GET /api/clock').has('$.served_at'), true);
  });
});

describe('beyond the tolerance, or not two timestamps', () => {
  test('a stamp further apart than the tolerance is a value difference', () => {
    const r = compareJson(
      { a: '2026-12-15T10:00:00Z', b: '2026-12-15T10:00:00.000Z', c: '2026-12-15T10:00:00+00:00' },
      { a: '2026-12-15T10:00:02Z', b: '2026-12-15T10:00:01.001Z', c: '2026-12-15T10:00:02Z' },
      family,
      undefined,
      at,
    );
    assert.deepEqual(kinds(r), ['$.a value', '$.b value', '$.c value']);
  });

  test('a due date off by a day is flagged at the widest tolerance the plan accepts', () => {
    const widest = compileRules({
      timestampTolerance: diffRulesSchema.parse({ timestampTolerance: '5m' }).timestampTolerance,
    });
    assert.equal(widest.rules.timestampTolerance, 300_000);
    const r = compareJson(
      { due_at: '2026-12-15T10:00:00+00:00' },
      { due_at: '2026-12-16T10:00:00Z' },
      widest,
      undefined,
      { classNoise: true, now: NOW },
    );
    assert.deepEqual(kinds(r), ['$.due_at value']);
    const hour = compareJson(
      { due_at: '2026-12-15T10:00:00Z' },
      { due_at: '2026-12-15T11:00:00Z' },
      widest,
      undefined,
      at,
    );
    assert.deepEqual(kinds(hour), ['$.due_at value'], 'a time-zone slip of an hour too');
  });

  test('a zoned and a local time are never within the tolerance', () => {
    const r = compareJson({ a: '2026-12-15T10:00:00Z' }, { a: '2026-12-15T10:00:00.500' }, family, undefined, at);
    assert.deepEqual(kinds(r), ['$.a value']);
  });

  test('a class change stays a type or value difference', () => {
    const epoch = Math.floor(Date.UTC(2026, 11, 1, 11, 59, 59) / 1000);
    const r = compareJson(
      { as_string: '2026-12-01T11:59:59Z', as_text: '2026-12-01T11:59:59Z' },
      { as_string: epoch, as_text: 'yesterday' },
      family,
      undefined,
      at,
    );
    assert.deepEqual(kinds(r), ['$.as_string type', '$.as_text value']);
  });

  test('numbers that are not epochs near the request time are untouched', () => {
    const wide = compileRules({ timestampTolerance: 300_000 });
    const r = compareJson(
      // A count, a size in bytes that looks like epoch seconds of 2020, and a price.
      { count: 1000, bytes: 1_600_000_000, price: 12.5 },
      { count: 1001, bytes: 1_600_000_001, price: 12.75 },
      wide,
      undefined,
      at,
    );
    assert.deepEqual(kinds(r), ['$.count value', '$.bytes value', '$.price value']);
    // Without a request time no number is an epoch.
    const s = NOW / 1000;
    assert.deepEqual(kinds(compareJson({ t: s }, { t: s + 1 }, wide)), ['$.t value']);
  });

  test('epochs near the request time within the tolerance are equal; another unit is still a value difference', () => {
    const s = NOW / 1000 - 30;
    const r = compareJson(
      { s, ms: NOW - 30_000, text: String(s), far: s, units: s },
      { s: s + 1, ms: NOW - 29_200, text: String(s + 1), far: s + 2, units: (s + 1) * 1000 },
      family,
      undefined,
      at,
    );
    assert.deepEqual(kinds(r), ['$.far value', '$.units value']);
    assert.deepEqual(r.informational, []);
  });

  test('0 switches it off, and so does switching the time classes off', () => {
    const off = compileRules({ timestampTolerance: 0 });
    const none = compileRules({ valueClasses: [] });
    const untimed = compileRules({ valueClasses: ['uuid', 'hex'] });
    for (const rules of [off, none, untimed])
      assert.deepEqual(
        kinds(compareJson({ a: '2026-12-15T09:59:59Z' }, { a: '2026-12-15T10:00:00Z' }, rules, undefined, at)),
        ['$.a value'],
      );
  });

  test('where a request cannot be resampled, "now" stamps further apart are still class noise', () => {
    const r = compareJson(
      { created_at: '2026-12-01T11:59:50Z' },
      { created_at: '2026-12-01T11:59:58Z' },
      family,
      undefined,
      { classNoise: true, now: NOW },
    );
    assert.deepEqual(kinds(r), []);
    assert.deepEqual(
      r.noise.map((d) => d.valueClass),
      ['timestamp'],
    );
  });
});

/** `ms` written as RFC 3339 in one of a few layouts: `Z` or an offset, with or without milliseconds. */
function rfc3339(ms: number, offsetMin: number, fraction: boolean): string {
  const local = new Date(ms + offsetMin * 60_000).toISOString();
  const body = fraction ? local.slice(0, 23) : local.slice(0, 19);
  if (offsetMin === 0 && fraction) return `${body}Z`;
  const sign = offsetMin < 0 ? '-' : '+';
  const abs = Math.abs(offsetMin);
  return `${body}${sign}${String(Math.floor(abs / 60)).padStart(2, '0')}:${String(abs % 60).padStart(2, '0')}`;
}

describe('timestamp tolerance, for any two stamps', () => {
  test('further apart than the tolerance is a value difference; within it, never a real difference', () => {
    const layout = fc.record({ offsetMin: fc.constantFrom(0, 60, -300, 330), fraction: fc.boolean() });
    fc.assert(
      fc.property(
        // Stored instants well away from the request time, so class noise never applies.
        fc.integer({ min: Date.UTC(2020, 0, 1), max: Date.UTC(2026, 0, 1) }),
        fc.integer({ min: -8000, max: 8000 }),
        fc.integer({ min: 0, max: 5000 }),
        layout,
        layout,
        (t, shift, tolerance, la, lb) => {
          const a = rfc3339(t, la.offsetMin, la.fraction);
          const b = rfc3339(t + shift, lb.offsetMin, lb.fraction);
          const gap = Math.abs(Date.parse(a) - Date.parse(b));
          const rules = compileRules({ timestampTolerance: tolerance });
          const r = compareJson({ at: a }, { at: b }, rules, undefined, { classNoise: true, now: NOW });
          if (a === b) return;
          if (gap > tolerance) assert.deepEqual(kinds(r), ['$.at value'], `${a} ${b} tolerance ${tolerance}`);
          else if (tolerance > 0) {
            assert.deepEqual(kinds(r), [], `${a} ${b} tolerance ${tolerance}`);
            const alike = la.offsetMin === lb.offsetMin && la.fraction === lb.fraction;
            assert.equal(r.informational.length, alike ? 0 : 1, `${a} ${b}`);
          }
        },
      ),
      { numRuns: 500 },
    );
  });
});

describe('writtenAlike', () => {
  test('only digits of the date and time (and HTTP day and month names) may differ', () => {
    assert.equal(writtenAlike('2026-12-15T10:00:00Z', '2026-12-15T10:00:01Z'), true);
    assert.equal(writtenAlike('2026-12-15T10:00:00.120+01:00', '2026-12-15T10:00:01.999+01:00'), true);
    assert.equal(writtenAlike('2026-12-15T10:00:00+01:00', '2026-12-15T10:00:00+02:00'), false);
    assert.equal(writtenAlike('2026-12-15T10:00:00-01:00', '2026-12-15T10:00:00+01:00'), false);
    assert.equal(writtenAlike('2026-12-15T10:00:00Z', '2026-12-15t10:00:00Z'), false);
    assert.equal(writtenAlike('2026-12-15T10:00:00.1Z', '2026-12-15T10:00:00Z'), false);
    assert.equal(writtenAlike('Tue, 15 Dec 2026 23:59:59 GMT', 'Wed, 16 Dec 2026 00:00:00 GMT'), true);
    assert.equal(writtenAlike('Tue, 15 Dec 2026 23:59:59 GMT', 'Tue, 15 Dec 2026 23:59:59 UTC'), false);
    assert.equal(writtenAlike('1764590400', '1764590401'), true);
    assert.equal(writtenAlike('1764590400', '1764590400.5'), false);
  });
});

describe('diff.timestampTolerance in the plan', () => {
  test('takes a duration or milliseconds, defaults to 1s, and refuses what is not one', () => {
    assert.equal(diffRulesSchema.parse({}).timestampTolerance, 1000);
    assert.equal(diffRulesSchema.parse({ timestampTolerance: '2s' }).timestampTolerance, 2000);
    assert.equal(diffRulesSchema.parse({ timestampTolerance: '250ms' }).timestampTolerance, 250);
    assert.equal(diffRulesSchema.parse({ timestampTolerance: 0 }).timestampTolerance, 0);
    for (const [bad, message] of [
      ['1 second', /expected a duration such as "30s"/],
      [-1, /expected a duration/],
      ['6m', /expected at most "5m": a wider tolerance would hide time-zone and date changes/],
      ['1d', /at most "5m"/],
    ] as const) {
      const r = diffRulesSchema.safeParse({ timestampTolerance: bad });
      assert.equal(r.success, false, String(bad));
      assert.deepEqual(r.error?.issues[0]?.path, ['timestampTolerance']);
      assert.match(r.error?.issues[0]?.message ?? '', message);
    }
  });

  const plan: PlanInput = {
    version: 1,
    name: 'p',
    legacy: 'http://127.0.0.1:1',
    approvers: ['ana'],
    diff: { timestampTolerance: '3s' },
    families: [
      {
        name: 'a',
        routes: ['GET /a', 'GET /b'],
        new: 'http://127.0.0.1:2',
        routeDiff: { 'GET /b': { timestampTolerance: 0 } },
      },
      { name: 'c', routes: ['GET /c'], new: 'http://127.0.0.1:2', diff: { timestampTolerance: '10s' } },
    ],
  };

  test('is set for every family, a family, or a route, as numericTolerance is', async () => {
    const loaded = await validatePlan(plan);
    const [a, c] = loaded.families;
    assert.equal(a?.diff.timestampTolerance, 3000);
    assert.equal(c?.diff.timestampTolerance, 10_000);
    const route = compileRules(a.diff, a.routeDiff['GET /b']);
    assert.equal(route.rules.timestampTolerance, 0);
    const stamps = [{ t: '2026-12-15T10:00:00Z' }, { t: '2026-12-15T10:00:03Z' }] as const;
    assert.deepEqual(kinds(compareJson(...stamps, compileRules(a.diff), undefined, at)), []);
    assert.deepEqual(kinds(compareJson(...stamps, route, undefined, at)), ['$.t value']);
  });

  test('a bad value is refused naming the field, at the family and at a route', async () => {
    const bad: PlanInput = {
      ...plan,
      diff: {},
      families: [
        {
          name: 'a',
          routes: ['GET /a'],
          new: 'http://127.0.0.1:2',
          diff: { timestampTolerance: '1 hour' },
          routeDiff: { 'GET /a': { timestampTolerance: '1h' } },
        },
      ],
    };
    await assert.rejects(validatePlan(bad), (e: unknown) => {
      const problems = (e as { problems: Array<{ path: string; message: string }> }).problems;
      assert.deepEqual(
        problems.map((p) => p.path),
        ['families[0].diff.timestampTolerance', 'families[0].routeDiff.GET /a.timestampTolerance'],
      );
      return true;
    });
  });
});
