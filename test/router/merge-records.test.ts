/** A fleet's signatures, samples and record pages merged from every member's answer. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { SignatureCount } from '../../src/parity/signature-stats.js';
import type { SampleRecord, SignaturesResponse } from '../../src/router/client.js';
import {
  mergeNewestPages,
  mergePagesAfter,
  mergeSamples,
  mergeSignatures,
  type MemberRecordPage,
} from '../../src/router/merge-records.js';

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

/** A member's page of records `[seq, at]`, as the router answers it. */
function page(adminUrl: string, records: [number, number][], o: { next?: number; first?: number } = {}) {
  const items = records.map(([seq, at]) => ({ seq, at }));
  const value: MemberRecordPage<{ at: number }> = {
    items,
    next: o.next ?? items[items.length - 1]?.seq ?? 0,
    first: o.first ?? 1,
    capacity: 100,
  };
  return { adminUrl, value };
}

const ids = (items: { adminUrl: string; seq: number }[]): string[] => items.map((r) => `${r.adminUrl}#${r.seq}`);

test("the newest page is every member's newest, newest first, and its cursor each member's newest seq", () => {
  const merged = mergeNewestPages(
    [
      page(
        'a',
        [
          [9, 900],
          [8, 500],
          [7, 100],
        ],
        { next: 9 },
      ),
      page(
        'b',
        [
          [4, 700],
          [3, 500],
        ],
        { next: 4 },
      ),
    ],
    4,
  );
  assert.deepEqual(ids(merged.items), ['a#9', 'b#4', 'a#8', 'b#3']);
  assert.deepEqual(merged.next, [9, 4]);
});

test('a page after a cursor takes records in time order while keeping each member in seq order, so the next cursor skips nothing', () => {
  // Member a's seq 6 finished before 5 started was recorded: its `at` is earlier, yet 5 must come first.
  const a = page('a', [
    [5, 300],
    [6, 200],
    [7, 900],
  ]);
  const b = page('b', [
    [2, 100],
    [3, 400],
    [4, 800],
  ]);
  const first = mergePagesAfter([a, b], [4, 1], 3);
  assert.deepEqual(ids(first.items), ['b#2', 'a#5', 'a#6']);
  assert.deepEqual(first.next, [6, 2], 'each member up to the last record taken from it');
  // The same records asked again after that cursor: the rest, and then nothing more.
  const second = mergePagesAfter(
    [
      page('a', [[7, 900]]),
      page('b', [
        [3, 400],
        [4, 800],
      ]),
    ],
    first.next,
    3,
  );
  assert.deepEqual(ids(second.items), ['b#3', 'b#4', 'a#7']);
  assert.deepEqual(second.next, [7, 4]);
});

test("a member with nothing taken keeps its cursor, or takes the router's own when it had nothing; overwritten records are flagged", () => {
  const merged = mergePagesAfter(
    [page('a', [[10, 100]]), page('b', [[40, 900]], { first: 30 }), page('c', [], { next: 12 })],
    [9, 5, 50],
    1,
  );
  assert.deepEqual(ids(merged.items), ['a#10']);
  assert.deepEqual(merged.next, [10, 5, 12]);
  assert.deepEqual(
    merged.members.map((m) => m.missed),
    [false, true, false],
  );
});
