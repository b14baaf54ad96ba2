/**
 * The router activities on a fleet of real built-in routers: a route change reaches every member
 * or none moves, figures add up, a trip anywhere shows, and the rollback keeps trying a member
 * that is down until it answers. Each call waits as long as the input's admin timeout
 * (`dataPlane.adminTimeout`).
 */
import http from 'node:http';
import { describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import assert from 'node:assert/strict';
import { ApplicationFailure } from '@temporalio/common';
import { request } from 'undici';
import { createRouterActivities } from '../../src/activities/router.js';
import { createRouterAdminClient } from '../../src/router/client.js';
import { listen } from '../../src/router/listen.js';
import { fleetFile } from '../workflows/fleet-support.js';

const WAIT_MS = 300;
const activities = createRouterActivities({ fleetWaitMs: WAIT_MS, adminTimeoutMs: 1000 });

const fleet = fleetFile(3);
/** The last route version set; each change takes the next. */
let version = 1;

function set(mode: 'legacy' | 'shadow' | 'canary' | 'new', percent: number) {
  const { adminUrls: urls, family } = fleet;
  return activities.setRoute({ adminUrls: urls, family, mode, percent, version: ++version, updatedBy: 'test' });
}

async function send(member: number, n: number): Promise<number[]> {
  const statuses: number[] = [];
  for (let i = 0; i < n; i++) {
    const res = await request(`${fleet.members[member]!.publicUrl}/api/users/${i + 1}`, {
      headers: { 'x-user': `u${i}` },
    });
    await res.body.dump();
    statuses.push(res.statusCode);
  }
  return statuses;
}

function isMemberDown(err: unknown, member: string): boolean {
  assert.ok(err instanceof ApplicationFailure, String(err));
  assert.equal(err.type, 'FleetMemberDown');
  assert.equal(err.nonRetryable, false);
  assert.match(err.message, /^PHX_ERR_FLEET_MEMBER_DOWN: /);
  assert.ok(err.message.includes(member), err.message);
  return true;
}

describe('router activities on a fleet', { concurrency: 1 }, () => {
  test('a route change reaches every member with one version', async () => {
    const { adminUrls: urls } = fleet;
    const state = await set('canary', 25);
    assert.equal(state.version, version);
    assert.deepEqual(
      await fleet.routes(),
      urls.map(() => ['canary', 25, version]),
    );
  });

  test('a member that is down blocks a route change: it waits, then fails naming it, and no member moved', async () => {
    const { adminUrls: urls } = fleet;
    const before = await fleet.routes();
    await fleet.stop(1);
    try {
      const started = Date.now();
      await assert.rejects(set('canary', 50), (err) => isMemberDown(err, urls[1]!));
      assert.ok(Date.now() - started >= WAIT_MS, 'it waited for the member first');
      const now = await fleet.routes().catch(() => undefined);
      assert.equal(now, undefined, 'member 1 is still down');
      for (const i of [0, 2]) {
        const { route } = await fleet.state(i);
        assert.deepEqual([route.mode, route.percent, route.version], before[i]);
      }
    } finally {
      await fleet.start(1);
    }
  });

  test('a member back within the wait lets the change through on every member', async () => {
    const { adminUrls: urls, family } = fleet;
    const slow = createRouterActivities({ fleetWaitMs: 5000, adminTimeoutMs: 1000 });
    await fleet.stop(2);
    const back = sleep(600).then(() => fleet.start(2));
    const state = await slow.setRoute({
      adminUrls: urls,
      family,
      mode: 'canary',
      percent: 50,
      version: ++version,
      updatedBy: 'test',
    });
    await back;
    assert.equal(state.version, version);
    assert.deepEqual(
      await fleet.routes(),
      urls.map(() => ['canary', 50, version]),
    );
  });

  test("the fleet's figures are every member's summed, and a trip on one member trips the fleet", async () => {
    const { adminUrls: urls, family } = fleet;
    await set('legacy', 0);
    await activities.resetFamilyStats({ adminUrls: urls, family });
    await send(0, 7);
    await send(1, 5);
    const f = await activities.readFamilyFigures({ adminUrls: urls, family });
    assert.equal(f.stats.backends.legacy.requests, 12);
    assert.equal(f.guard.tripped, false);

    await set('canary', 50);
    fleet.candidate.behaviour = 'errors';
    try {
      // Member 2 alone sees new fail, until its guard sends the family to legacy there.
      const admin = createRouterAdminClient({ baseUrl: urls[2]! });
      for (let i = 0; i < 40 && !(await admin.getGuard(family)).tripped; i++) await send(2, 4);
      await admin.close();
    } finally {
      fleet.candidate.behaviour = 'same';
    }
    const tripped = await activities.readFamilyFigures({ adminUrls: urls, family });
    assert.equal(tripped.guard.tripped, true);
    assert.ok(tripped.guard.reason?.startsWith(`member ${urls[2]}: `), tripped.guard.reason);
    assert.equal((await fleet.state(0)).guard.tripped, false, 'member 0 never tripped itself');
  });

  test('the rollback sets legacy on every member that answers at once, and keeps failing until the last one does', async () => {
    const { adminUrls: urls, family } = fleet;
    await activities.routeToLegacy({ adminUrls: urls, family, minVersion: ++version, reason: 'reset' });
    await set('canary', 25);
    await fleet.stop(1);
    const minVersion = ++version;
    await assert.rejects(
      activities.routeToLegacy({ adminUrls: urls, family, minVersion, reason: 'test rollback' }),
      (err) => isMemberDown(err, urls[1]!),
    );
    for (const i of [0, 2]) {
      const { route, guard } = await fleet.state(i);
      assert.deepEqual([route.mode, route.version, guard.tripped], ['legacy', minVersion, false]);
    }
    // Back from its state file, the member still has the canary until the rollback's retry reaches it.
    await fleet.start(1);
    assert.deepEqual((await fleet.state(1)).route.mode, 'canary');
    const state = await activities.routeToLegacy({ adminUrls: urls, family, minVersion, reason: 'test rollback' });
    assert.equal(state.version, minVersion);
    assert.deepEqual(
      await fleet.routes(),
      urls.map(() => ['legacy', 0, minVersion]),
    );
  });

  test('preflight names a member that is down, and reports a member not on legacy', async () => {
    const fam = fleet.plan.families[0]!;
    const { adminUrls: urls, family } = fleet;
    await fleet.stop(2);
    try {
      const r = await activities.checkPreflight({ adminUrls: urls, family: fam });
      assert.equal(r.router.ok, false);
      assert.equal(r.router.member, urls[2]);
      assert.match(r.router.error ?? '', /did not answer/);
    } finally {
      await fleet.start(2);
    }
    const admin = createRouterAdminClient({ baseUrl: urls[1]! });
    await admin.setRoute(family, { mode: 'shadow', percent: 0, version: ++version });
    await admin.close();
    const r = await activities.checkPreflight({ adminUrls: urls, family: fam });
    assert.equal(r.router.ok, true);
    assert.deepEqual([r.route?.mode, r.route?.version], ['shadow', version]);
  });

  test("each admin call waits as long as the input's admin timeout: a slow member fails the change at 1 s, and passes at 5 s", async () => {
    const { adminUrls: urls, family } = fleet;
    // Member 2's admin API answers 3 s late, as an nginx data plane may while nginx reloads. Well
    // apart from both timeouts: undici fires a timeout of a second or more up to 0.5 s late.
    const slow = await slowFront(urls[2]!, 3000);
    const members = [urls[0]!, urls[1]!, slow.url];
    try {
      const before = (await fleet.state(2)).route;
      const late = ++version;
      const started = Date.now();
      await assert.rejects(
        activities.setRoute({ adminUrls: members, family, mode: 'canary', percent: 10, version: late, updatedBy: 't' }),
        (err) => isMemberDown(err, slow.url),
      );
      assert.ok(Date.now() - started < 2500, 'the worker default (1 s here) bounded each health check');
      assert.deepEqual((await fleet.state(2)).route.version, before.version, 'no member moved');
      const state = await activities.setRoute({
        adminUrls: members,
        adminTimeoutMs: 5000,
        family,
        mode: 'canary',
        percent: 10,
        version: ++version,
        updatedBy: 't',
      });
      assert.equal(state.version, version);
      assert.deepEqual(
        await fleet.routes(),
        urls.map(() => ['canary', 10, version]),
      );
    } finally {
      await slow.close();
    }
  });
});

/** An HTTP front for one member's admin API that answers `delayMs` late (the member itself is real). */
async function slowFront(target: string, delayMs: number): Promise<{ url: string; close(): Promise<void> }> {
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      void (async () => {
        await sleep(delayMs);
        const body = Buffer.concat(chunks);
        const r = await request(`${target}${req.url ?? '/'}`, {
          method: req.method as 'GET',
          headers: body.length > 0 ? { 'content-type': 'application/json' } : {},
          body: body.length > 0 ? body : undefined,
        });
        const text = await r.body.text();
        res.writeHead(r.statusCode, { 'content-type': 'application/json' }).end(text);
      })().catch(() => res.destroy());
    });
  });
  const port = await listen(server, 0, '127.0.0.1');
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
