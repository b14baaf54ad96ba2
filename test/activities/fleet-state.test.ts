import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ApplicationFailure } from '@temporalio/common';
import { fleetGuard, fleetRoute, memberDown, membersOf, preflightRoute } from '../../src/activities/fleet-state.js';
import type { GuardState, RouteState } from '../../src/router/types.js';

const A = 'http://10.0.0.1:9090';
const B = 'http://10.0.0.2:9090';
const route = (mode: RouteState['mode'], percent: number, version: number): RouteState => ({
  family: 'users',
  mode,
  percent,
  version,
  sampleRate: 0.1,
});
const guard = (tripped: boolean, trips: number, reason?: string, trippedAt?: number): GuardState => ({
  family: 'users',
  tripped,
  trips,
  ...(reason ? { reason, trippedAt } : {}),
});

test('runs started before fleets drive their one router; a fleet drives every member', () => {
  assert.deepEqual(membersOf({ adminUrl: A }), [A]);
  assert.deepEqual(membersOf({ adminUrl: A, adminUrls: [A, B] }), [A, B]);
  assert.deepEqual(membersOf({ adminUrls: [B] }), [B]);
  assert.throws(
    () => membersOf({}),
    (e) => e instanceof ApplicationFailure && e.type === 'InvalidInput' && e.nonRetryable,
  );
});

test("the fleet's route is the one every member has acknowledged: the lowest version", () => {
  const r = fleetRoute([
    { url: A, value: route('canary', 25, 7) },
    { url: B, value: route('shadow', 0, 6) },
  ]);
  assert.deepEqual([r.mode, r.version], ['shadow', 6]);
});

test('preflight reports a member off legacy, with the highest version any member holds', () => {
  const r = preflightRoute([
    { url: A, value: route('legacy', 0, 9) },
    { url: B, value: route('canary', 10, 4) },
  ]);
  assert.deepEqual([r.mode, r.percent, r.version], ['canary', 10, 9]);
  assert.equal(
    preflightRoute([
      { url: A, value: route('legacy', 0, 3) },
      { url: B, value: route('legacy', 0, 5) },
    ]).version,
    5,
  );
});

test('a trip on any member trips the fleet, naming the member', () => {
  const g = fleetGuard([
    { url: A, value: guard(false, 1) },
    { url: B, value: guard(true, 2, '3 consecutive failures on new', 1000) },
  ]);
  assert.equal(g.tripped, true);
  assert.equal(g.trips, 3);
  assert.equal(g.trippedAt, 1000);
  assert.match(g.reason!, /member http:\/\/10\.0\.0\.2:9090: 3 consecutive failures on new/);
  assert.equal(
    fleetGuard([
      { url: A, value: guard(false, 0) },
      { url: B, value: guard(false, 1) },
    ]).tripped,
    false,
  );
});

test('a member that did not answer is a retryable failure naming it, with a stable code', () => {
  const f = memberDown([{ url: B, error: 'ECONNREFUSED' }], 'route canary 25% of "users" waits for it');
  assert.equal(f.type, 'FleetMemberDown');
  assert.equal(f.nonRetryable, false);
  assert.match(f.message, /^PHX_ERR_FLEET_MEMBER_DOWN: fleet member http:\/\/10\.0\.0\.2:9090 \(ECONNREFUSED\)/);
});
