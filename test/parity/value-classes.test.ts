import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { parseInstant } from '../../src/parity/instant.js';
import { classMask, classOf, judgeValues, VALUE_CLASSES, type ClassOptions } from '../../src/parity/value-classes.js';
import { diffRulesSchema } from '../../src/plan/schema.js';

const NOW = Date.UTC(2026, 11, 1, 12, 0, 0);
const all: ClassOptions = { mask: classMask(VALUE_CLASSES), noise: true, now: NOW, windowMs: 300_000 };
const noNoise: ClassOptions = { ...all, noise: false };

const jwtOf = (payload: object, alg = 'HS256'): string =>
  [
    Buffer.from(JSON.stringify({ alg, typ: 'JWT' })).toString('base64url'),
    Buffer.from(JSON.stringify(payload)).toString('base64url'),
    'c2lnbmF0dXJlLWJ5dGVz',
  ].join('.');

describe('value classes recognise generated values', () => {
  const cases: Array<[string, unknown, string | undefined]> = [
    ['uuid v4', '0b6c3f4e-8d2a-4f1b-9c3e-2a7d5e6f8a90', 'uuid'],
    ['uuid v7 in upper case', '01936A2B-7C3D-7E4F-8A5B-6C7D8E9F0A1B', 'uuid'],
    ['ulid', '01JE5Y8ZK3N4QW7R2T6V9XBCDF', 'ulid'],
    ['RFC 3339 with Z', '2026-12-01T11:59:30Z', 'timestamp'],
    ['ISO with offset and microseconds', '2026-12-01T12:59:30.123456+01:00', 'timestamp'],
    ['ISO with a space and no offset', '2026-12-01 11:59:30', 'timestamp'],
    ['HTTP date', 'Tue, 01 Dec 2026 11:59:30 GMT', 'timestamp'],
    ['epoch seconds near now', NOW / 1000 - 5, 'epoch'],
    ['epoch milliseconds near now', NOW - 5000, 'epoch'],
    ['epoch seconds as a numeric string', String(NOW / 1000 + 1.5), 'epoch'],
    ['hex token', '9f86d081884c7d659a2feaa0c55ad015', 'hex'],
    ['base64url token', 'Zq3_x9Kd2LmP0aVbN7cYt-4w', 'base64'],
    ['jwt', jwtOf({ sub: '42' }), 'jwt'],
    // Not generated values: words, small numbers, short or one-kind strings.
    ['a name', 'Ann Smith', undefined],
    ['a camel-case word', 'ThisIsTheOldProductName', undefined],
    ['a long all-digit string', '12345678901234567890', undefined],
    ['letters only that look like hex', 'deadbeefdeadbeefcafe', undefined],
    ['a number', 42, undefined],
    ['epoch seconds a year ago', NOW / 1000 - 365 * 86400, undefined],
    ['a date without a time', '2026-12-01', undefined],
    ['31 February', '2026-02-31T10:00:00Z', undefined],
    ['dotted text that is not a jwt', 'abcd.efgh.ijkl', undefined],
    ['a jwt-shaped string whose header has no alg', 'eyJ0eXAiOiJKV1QifQ.eyJzdWIiOiI0MiJ9.sig', undefined],
    ['null', null, undefined],
  ];
  for (const [name, value, cls] of cases) {
    test(`${name} → ${cls ?? 'no class'}`, () => {
      assert.equal(classOf(value, all), cls);
    });
  }

  test('a class switched off is not recognised', () => {
    const onlyUuid: ClassOptions = { ...all, mask: classMask(['uuid']) };
    assert.equal(classOf('0b6c3f4e-8d2a-4f1b-9c3e-2a7d5e6f8a90', onlyUuid), 'uuid');
    assert.equal(classOf('2026-12-01T11:59:30Z', onlyUuid), undefined);
    assert.equal(classOf(NOW, onlyUuid), undefined);
  });
});

describe('timestamps are compared as instants', () => {
  test('offsets, separators, fractions and HTTP dates parse to the same instant', () => {
    const want = Date.UTC(2026, 11, 1, 11, 59, 30, 250);
    assert.equal(parseInstant('2026-12-01T11:59:30.250Z')?.ms, want);
    assert.equal(parseInstant('2026-12-01T12:59:30.25+01:00')?.ms, want);
    assert.equal(parseInstant('2026-12-01 06:29:30.250-0530')?.ms, want);
    assert.equal(parseInstant('Tue, 01 Dec 2026 11:59:30 GMT')?.ms, Date.UTC(2026, 11, 1, 11, 59, 30));
  });

  test('the same instant in another format is a format difference, with or without class noise', () => {
    for (const o of [all, noNoise, { ...noNoise, now: undefined }]) {
      assert.deepEqual(judgeValues('2026-12-01T11:59:30+00:00', '2026-12-01T11:59:30Z', o), {
        kind: 'format',
        valueClass: 'timestamp',
      });
      assert.equal(judgeValues('2020-01-01T00:00:00Z', 'Wed, 01 Jan 2020 00:00:00 GMT', o)?.kind, 'format');
      assert.equal(judgeValues('2020-01-01T01:00:00+01:00', '2020-01-01T00:00:00.000Z', o)?.kind, 'format');
    }
  });

  test('a lost offset or lost precision is not the same instant', () => {
    assert.equal(judgeValues('2020-01-01T00:00:00Z', '2020-01-01T00:00:00', noNoise), undefined);
    assert.equal(judgeValues('2020-01-01T00:00:00.123456Z', '2020-01-01T00:00:00.123Z', noNoise), undefined);
  });

  test('a UUID or hex token that differs only in case is a format difference', () => {
    const u = '0b6c3f4e-8d2a-4f1b-9c3e-2a7d5e6f8a90';
    assert.deepEqual(judgeValues(u, u.toUpperCase(), noNoise), { kind: 'format', valueClass: 'uuid' });
    assert.equal(judgeValues('9f86d081884c7d65', '9F86D081884C7D65', noNoise)?.kind, 'format');
  });
});

describe('two values of one class are noise only where it is safe to say so', () => {
  const noise = (a: unknown, b: unknown, o: ClassOptions = all): string | undefined => {
    const v = judgeValues(a, b, o);
    return v?.kind === 'noise' ? v.valueClass : v?.kind;
  };

  test('fresh ids and tokens of one class are noise', () => {
    assert.equal(noise('0b6c3f4e-8d2a-4f1b-9c3e-2a7d5e6f8a90', 'a1c2e3f4-0000-4111-8222-333344445555'), 'uuid');
    assert.equal(noise('01JE5Y8ZK3N4QW7R2T6V9XBCDF', '01JE5Y90AB1CD2EF3GH4JK5MNP'), 'ulid');
    assert.equal(noise('9f86d081884c7d659a2feaa0c55ad015', '0cc175b9c0f1b6a831c399e269772661'), 'hex');
    assert.equal(noise('Zq3_x9Kd2LmP0aVbN7cYt-4w', 'Ab9_c8Dd7EeF6gHh5IiJj-4K'), 'base64');
    assert.equal(noise(jwtOf({ sub: '1' }), jwtOf({ sub: '2' })), 'jwt');
  });

  test('timestamps and epochs are noise only when both are near the request time', () => {
    assert.equal(noise('2026-12-01T11:59:30Z', '2026-12-01T11:59:31.5Z'), 'timestamp');
    assert.equal(noise(NOW / 1000 - 2, NOW / 1000), 'epoch');
    assert.equal(noise(NOW - 2000, NOW), 'epoch');
    assert.equal(noise(String(NOW / 1000 - 2), String(NOW / 1000)), 'epoch');
    // A stored created_at that differs is a regression, not noise.
    assert.equal(noise('2024-03-01T10:00:00Z', '2024-03-01T10:00:01Z'), undefined);
    // One side now, the other an hour off (a time zone bug): a regression.
    assert.equal(noise('2026-12-01T11:59:30Z', '2026-12-01T12:59:30Z'), undefined);
    assert.equal(noise(NOW / 1000, NOW / 1000 - 3600), undefined);
    // Seconds on one side, milliseconds on the other: the unit changed.
    assert.equal(noise(NOW / 1000, NOW), undefined);
    // Without the request time nothing is known to be "now".
    assert.equal(noise('2026-12-01T11:59:30Z', '2026-12-01T11:59:31Z', { ...all, now: undefined }), undefined);
  });

  test('a value whose class changes is never noise', () => {
    assert.equal(noise('0b6c3f4e-8d2a-4f1b-9c3e-2a7d5e6f8a90', '12345'), undefined);
    assert.equal(noise('0b6c3f4e-8d2a-4f1b-9c3e-2a7d5e6f8a90', 12345), undefined);
    assert.equal(noise('0b6c3f4e-8d2a-4f1b-9c3e-2a7d5e6f8a90', '01JE5Y8ZK3N4QW7R2T6V9XBCDF'), undefined);
    assert.equal(noise('2026-12-01T11:59:30Z', NOW / 1000), undefined);
    assert.equal(noise(String(NOW / 1000), NOW / 1000), undefined);
    assert.equal(noise('9f86d081884c7d659a2feaa0c55ad015', '9f86d081884c7d659a2feaa0c55ad01'), undefined);
    assert.equal(noise('Zq3_x9Kd2LmP0aVbN7cYt-4w', 'Zq3_x9Kd2LmP0aVbN7cYt-4wXY'), undefined);
  });

  test('plain values that differ are never noise', () => {
    assert.equal(noise('Ann', 'Anne'), undefined);
    assert.equal(noise(10, 11), undefined);
    assert.equal(noise('ThisIsTheOldProductName', 'ThisIsTheNewProductName'), undefined);
    assert.equal(noise('12345678901234567890', '12345678901234567891'), undefined);
  });

  test('without class noise, different values of one class are plain differences', () => {
    assert.equal(
      judgeValues('0b6c3f4e-8d2a-4f1b-9c3e-2a7d5e6f8a90', 'a1c2e3f4-0000-4111-8222-333344445555', noNoise),
      undefined,
    );
    assert.equal(judgeValues('2026-12-01T11:59:30Z', '2026-12-01T11:59:31Z', noNoise), undefined);
  });
});

describe('plan fields', () => {
  test('valueClasses defaults to every class, and an unknown class is refused naming the field', () => {
    assert.deepEqual(diffRulesSchema.parse({}).valueClasses, [...VALUE_CLASSES]);
    assert.deepEqual(diffRulesSchema.parse({ valueClasses: [] }).valueClasses, []);
    const bad = diffRulesSchema.safeParse({ valueClasses: ['uuid', 'guid'] });
    assert.equal(bad.success, false);
    assert.deepEqual(bad.error?.issues[0]?.path, ['valueClasses', 1]);
  });

  test('contract-run latency and resample gap have defaults and bounds', () => {
    const d = diffRulesSchema.parse({});
    assert.equal(d.resampleGapMs, 1100);
    assert.deepEqual(d.latency, { maxShiftMs: 50, repetitions: 5, confidence: 0.99 });
    assert.deepEqual(diffRulesSchema.parse({ latency: { maxShiftMs: 20 } }).latency, {
      maxShiftMs: 20,
      repetitions: 5,
      confidence: 0.99,
    });
    const bad = diffRulesSchema.safeParse({ latency: { confidence: 1.5 } });
    assert.deepEqual(bad.error?.issues[0]?.path, ['latency', 'confidence']);
  });
});
