/**
 * A route that is only slower (the faithful-port fixture's energy route: identical body, 150 ms
 * later) leaves mismatch records through the real router: once the route is flagged slower, each
 * of its comparisons is recorded with a `latency` difference carrying both times and the route's
 * figures, without counting as a mismatch. An equivalent route gets no record, and accepting the
 * route's latency signature stops the records.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createRouterAdminClient, type MismatchRecord, type RouterAdminClient } from '../../src/router/client.js';
import { startRouter, type RunningRouter } from '../../src/router/server.js';
import { waitFor } from '../helpers/wait.js';
import {
  fixtureRoute,
  loadExpectations,
  loadFixturePlan,
  send,
  startFixtureApps,
  type FixtureApps,
  type TrafficRequest,
} from './fixture.js';

const SLOW = 'GET /api/greenhouses/:id/energy';
const EQUIVALENT = 'GET /api/greenhouses/:id';
/** Slower only for `days=14`, one request in four: flagged by its tail. */
const TAIL = 'GET /api/greenhouses/:id/forecast';

let apps: FixtureApps;
let router: RunningRouter;
let admin: RouterAdminClient;
let dir: string;
let family: string;
let routeOf: (key: string) => string;

/** `n` requests to the slow route and `n` to the equivalent one, interleaved. */
function mix(n: number): TrafficRequest[] {
  const out: TrafficRequest[] = [];
  for (let i = 0; i < n; i++) {
    const gh = (i % 6) + 1;
    out.push(
      { method: 'GET', path: `/api/greenhouses/${gh}/energy`, grower: `g${i % 12}` },
      { method: 'GET', path: `/api/greenhouses/${gh}`, grower: `g${i % 12}` },
    );
  }
  return out;
}

/** Sends the mix and waits until every comparison is in the statistics and records. */
async function sendAndDrain(n: number): Promise<void> {
  const answers = await send(router.url, mix(n));
  assert.deepEqual(
    answers.statuses.filter((s) => s !== 200),
    [],
    'legacy answered every request',
  );
  await admin.waitForComparisons(family, 30_000);
}

/** The records after `cursor`, and the cursor after them. */
async function recordsAfter(cursor: number): Promise<{ records: MismatchRecord[]; next: number }> {
  const records: MismatchRecord[] = [];
  let next = cursor;
  for (;;) {
    const page = await admin.pageMismatches(family, next, 100);
    assert.ok(next === 0 || page.first <= next + 1, 'no record was overwritten before it was read');
    if (page.items.length === 0) return { records, next };
    records.push(...page.items);
    next = page.next;
  }
}

const latencyOf = (m: MismatchRecord) => m.differences.find((d) => d.kind === 'latency');

async function slowRoute() {
  const { stats } = await admin.getStats(family);
  return stats.parity.routes.find((r) => routeOf(r.route) === SLOW);
}

before(async () => {
  const expectations = await loadExpectations();
  family = expectations.family;
  routeOf = fixtureRoute(expectations);
  apps = await startFixtureApps('latency-records');
  const plan = await loadFixturePlan(apps);
  // The router shares this process with the test's own traffic; that busy time is not its own.
  plan.router.shadowMaxBusy = 1;
  dir = await mkdtemp(path.join(os.tmpdir(), 'phx-latency-records-'));
  router = await startRouter({
    plan,
    port: 0,
    adminPort: 0,
    insecureAdmin: true,
    stateFile: path.join(dir, 'state.json'),
  });
  admin = createRouterAdminClient({ baseUrl: router.adminUrl });
  await admin.setRoute(family, { mode: 'shadow', percent: 0, version: 1, sampleRate: 1, updatedBy: 'judgement' });
});

after(async () => {
  await admin?.close();
  await router?.close();
  await apps?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('mismatch records of a latency-only regression', () => {
  let cursor = 0;

  test('once the slow route is flagged, each of its comparisons is recorded with a latency difference; the equivalent route has none', async () => {
    // The default tolerance judges a route from 20 samples on each side.
    await sendAndDrain(24);
    const flagged = await slowRoute();
    assert.ok(flagged?.latency.flagged, `the energy route is flagged slower: ${JSON.stringify(flagged)}`);
    assert.equal(flagged.mismatches, 0, 'its answers agree: slowness is not a mismatch');
    // The router thread tells the shadow thread a few times a second; wait until records show it.
    await waitFor(
      'a record with a latency difference',
      async () => {
        await sendAndDrain(1);
        const got = await recordsAfter(cursor);
        cursor = got.next;
        return got.records.some((m) => latencyOf(m) !== undefined);
      },
      { timeoutMs: 15_000, intervalMs: 100 },
    );

    const start = (await admin.getStats(family)).stats.parity;
    await sendAndDrain(10);
    const { records, next } = await recordsAfter(cursor);
    cursor = next;
    const slow = records.filter((m) => routeOf(m.route) === SLOW);
    assert.equal(slow.length, 10, 'one record per comparison on the slow route');
    for (const m of slow) {
      const d = latencyOf(m);
      assert.ok(d, `a latency difference in ${JSON.stringify(m.differences)}`);
      assert.equal(d.path, '$latency');
      assert.deepEqual(
        m.differences.filter((x) => x.kind !== 'latency'),
        [],
        'no other difference: the answers are identical',
      );
      const legacy = d.legacy as { ms: number; p50: number; p95: number };
      const candidate = d.candidate as { ms: number; p50: number; p95: number; shiftMs: number; pValue: number };
      assert.equal(legacy.ms, m.legacyMs, "the record's legacy time");
      assert.equal(candidate.ms, m.newMs, "the record's new time");
      // New sleeps 150 ms on this route; one request's legacy time depends on the machine's load.
      assert.ok(candidate.ms >= 150, `new ${candidate.ms} ms`);
      assert.ok(candidate.p50 - legacy.p50 > 100, `route p50 ${legacy.p50} → ${candidate.p50} ms`);
      assert.ok(candidate.shiftMs > 100 && candidate.pValue < 0.05, JSON.stringify(candidate));
    }
    assert.deepEqual(
      records.filter((m) => routeOf(m.route) === EQUIVALENT),
      [],
      'the equivalent route leaves no record',
    );
    const now = (await admin.getStats(family)).stats.parity;
    assert.equal(now.samples - start.samples, 20, 'every request compared');
    assert.equal(now.mismatches, start.mismatches, 'latency records do not count into the mismatch rate');
    assert.ok((now.byKind.latency ?? 0) > 0, 'the latency difference is counted by kind');
  });

  test('an accepted latency signature stops the records', async () => {
    const flagged = await slowRoute();
    const id = flagged?.latency.signature;
    assert.ok(id, `the flagged route has a latency signature: ${JSON.stringify(flagged?.latency)}`);
    await admin.setTriage(family, [
      {
        id,
        decision: 'accept',
        reason: 'the new energy model is slower by design',
        by: 'alice',
        at: new Date().toISOString(),
      },
    ]);
    // Comparisons judged before the decision reached the shadow thread may still be on their way.
    await admin.waitForComparisons(family, 30_000);
    cursor = (await recordsAfter(cursor)).next;

    await sendAndDrain(10);
    const { records } = await recordsAfter(cursor);
    assert.deepEqual(
      records.map((m) => `${m.route} ${m.differences.map((d) => d.kind).join(',')}`),
      [],
      'no record on either route once the slowness is accepted',
    );
    const still = await slowRoute();
    assert.equal(still?.latency.flagged, true, 'the route is still measured slower');
    assert.equal(still?.latency.decision, 'accept');
  });
});

/** `n` forecast requests from the `from`-th, `days` cycling 1, 3, 7, 14. */
function forecasts(n: number, from: number): TrafficRequest[] {
  return Array.from({ length: n }, (_, k) => {
    const i = from + k;
    return {
      method: 'GET' as const,
      path: `/api/greenhouses/${(i % 6) + 1}/forecast?days=${[1, 3, 7, 14][i % 4]}`,
      grower: `g${i % 12}`,
    };
  });
}

describe('mismatch records of a route slower in its tail only', () => {
  test('once the route is flagged for its tail, only the requests in that tail (days=14) carry the latency difference', async () => {
    const sendForecasts = async (n: number, from: number) => {
      await send(router.url, forecasts(n, from));
      await admin.waitForComparisons(family, 30_000);
    };
    await sendForecasts(40, 0);
    const route = (await admin.getStats(family)).stats.parity.routes.find((r) => routeOf(r.route) === TAIL);
    assert.equal(route?.latency.flagged, true, JSON.stringify(route?.latency));
    assert.equal(route.latency.tailOnly, true, 'its typical request is not slower');
    let cursor = (await recordsAfter(0)).next;
    await waitFor(
      'a latency record on the forecast route',
      async () => {
        await sendForecasts(4, 100);
        const got = await recordsAfter(cursor);
        cursor = got.next;
        return got.records.some((m) => routeOf(m.route) === TAIL && latencyOf(m) !== undefined);
      },
      { timeoutMs: 15_000, intervalMs: 100 },
    );

    await sendForecasts(16, 200);
    const records = (await recordsAfter(cursor)).records.filter((m) => routeOf(m.route) === TAIL);
    const days = (m: MismatchRecord) => new URLSearchParams(m.query).get('days');
    assert.equal(
      records.filter((m) => days(m) === '14').length,
      4,
      'each two-week forecast (120 ms slower on new) is recorded',
    );
    for (const m of records) assert.ok(latencyOf(m), `a latency difference in ${JSON.stringify(m.differences)}`);
    // New answers the other forecasts as fast as legacy: at most a stall of the machine reaches the tail.
    const others = records.filter((m) => days(m) !== '14');
    assert.ok(
      others.length <= 1,
      `${others.length} of 12 other forecasts recorded: ${others.map((m) => m.newMs).join(', ')}`,
    );
  });
});
