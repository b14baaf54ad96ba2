/** A fleet's signatures and samples merged from every member's answer. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { SignatureCount } from '../../src/parity/signature-stats.js';
import type { SampleRecord, SignaturesResponse } from '../../src/router/client.js';
import { mergeSamples, mergeSignatures } from '../../src/router/merge-records.js';

function sig(id: string, count: number, o: Partial<SignatureCount> = {}): SignatureCount {
  return {
    id,
    text: `GET /api/x $.${id} value`,
    route: 'GET /api/x',
    path: `$.${id}`,
    kind: 'value',
    transition: '',
    count,
    firstSeen: 1000,
    lastSeen: 2000,
    examples: [],
    ...o,
  };
}

function answer(adminUrl: string, since: number, signatures: SignatureCount[]) {
  const value: SignaturesResponse = { family: 'users', since, decisions: [], signatures };
  return { adminUrl, value };
}

const ex = (requestId: string) => ({ requestId, path: '$.a', legacy: 1, candidate: 2 });

test('signatures seen on several members add up, with the earliest first and latest last sighting', () => {
  const merged = mergeSignatures([
    answer('http://a:9090', 100, [sig('aaaaaaaaaaaa', 3, { firstSeen: 500, lastSeen: 900, examples: [ex('r1')] })]),
    answer('http://b:9090', 200, [
      sig('bbbbbbbbbbbb', 5),
      sig('aaaaaaaaaaaa', 4, { firstSeen: 700, lastSeen: 3000, examples: [ex('r1'), ex('r2'), ex('r3'), ex('r4')] }),
    ]),
  ]);
  assert.deepEqual(merged.members, ['http://a:9090', 'http://b:9090']);
  assert.equal(merged.since, 200, 'the window every member covers');
  assert.deepEqual(
    merged.signatures.map((s) => [s.id, s.count, s.firstSeen, s.lastSeen]),
    [
      ['aaaaaaaaaaaa', 7, 500, 3000],
      ['bbbbbbbbbbbb', 5, 1000, 2000],
    ],
  );
  const a = merged.signatures[0]!;
  assert.deepEqual(
    a.examples.map((e) => e.requestId),
    ['r1', 'r2', 'r3'],
    'member order, each request once, at most 3',
  );
  assert.deepEqual(a.byMember, [
    { adminUrl: 'http://a:9090', count: 3 },
    { adminUrl: 'http://b:9090', count: 4 },
  ]);
});

test('a decision one member holds shows on the merged signature, and decisions are listed once', () => {
  const decision = { id: 'aaaaaaaaaaaa', decision: 'accept' as const, by: 'alice', at: '2026-01-01T00:00:00Z' };
  const a = answer('http://a:9090', 0, [sig('aaaaaaaaaaaa', 1)]);
  const b = answer('http://b:9090', 0, [sig('aaaaaaaaaaaa', 1, { decision: 'accept' })]);
  a.value.decisions = [decision];
  b.value.decisions = [decision];
  const merged = mergeSignatures([a, b]);
  assert.equal(merged.signatures[0]!.decision, 'accept');
  assert.deepEqual(merged.decisions, [decision]);
  assert.throws(() => mergeSignatures([]), RangeError);
});

function sample(at: number, path: string): SampleRecord {
  return { at, method: 'GET', path, query: {}, headers: {}, status: 200, route: 'GET /api/x/:id' };
}

test("samples are every member's newest first, cut to the limit over all of them", () => {
  const merged = mergeSamples(
    [
      [sample(50, '/a/5'), sample(30, '/a/3'), sample(10, '/a/1')],
      [sample(40, '/b/4'), sample(30, '/b/3')],
    ],
    4,
  );
  assert.deepEqual(
    merged.map((s) => s.path),
    ['/a/5', '/b/4', '/a/3', '/b/3'],
    'newest first; on a tie, the earlier member first',
  );
  assert.deepEqual(mergeSamples([[sample(1, '/a')]], 0), []);
});
