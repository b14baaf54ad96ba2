/**
 * The router in shadow mode judges a faithful port it has never seen (examples/faithful-port):
 * with the fixture's plan as written, a fixed traffic mix through the real router flags every
 * regressed route and no equivalent one, and three runs from scratch give the same verdict.
 */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createRouterAdminClient, type FamilyStatsResponse } from '../../src/router/client.js';
import { startLocalRouter } from '../helpers/local-router.js';
import { waitFor } from '../helpers/wait.js';
import {
  judgeVerdict,
  loadExpectations,
  loadFixturePlan,
  regressedRoutes,
  send,
  shadowVerdict,
  startFixtureApps,
  trafficMix,
  type Answers,
  type Verdict,
} from './fixture.js';

/** Requests per route and run: 17 routes × 40. */
const PER_ROUTE = 40;
const RUNS = 3;

/** What a run has started and not yet stopped, newest last; `after` stops whatever a failed run left. */
const running: (() => Promise<void>)[] = [];
async function stopAll(): Promise<void> {
  for (let stop = running.pop(); stop; stop = running.pop()) await stop();
}
after(stopAll);

/** One run from scratch: fresh apps and router, the family in shadow, the mix sent, comparisons drained. */
async function shadowRun(
  run: number,
): Promise<{ verdict: Verdict; stats: FamilyStatsResponse; answers: Answers; routerUrl: string }> {
  try {
    const expectations = await loadExpectations();
    const family = expectations.family;
    const apps = await startFixtureApps(`shadow-${run}`);
    running.push(() => apps.stop());
    const plan = await loadFixturePlan(apps);
    // The router shares this process with the test's own traffic; that busy time is not its own.
    plan.router.shadowMaxBusy = 1;
    const dir = await mkdtemp(path.join(os.tmpdir(), 'phx-judgement-router-'));
    running.push(() => rm(dir, { recursive: true, force: true }));
    const router = await startLocalRouter(plan, path.join(dir, 'state.json'));
    running.push(() => router.close());
    const admin = createRouterAdminClient({ baseUrl: router.adminUrl });
    running.push(() => admin.close());

    await admin.setRoute(family, { mode: 'shadow', percent: 0, version: 1, sampleRate: 1, updatedBy: 'judgement' });
    const mix = trafficMix(PER_ROUTE);
    const answers = await send(router.url, mix);
    assert.deepEqual(
      answers.statuses.filter((s) => s >= 500),
      [],
      'every request was answered by legacy through the router',
    );
    let last: FamilyStatsResponse | undefined;
    let previous = -1;
    const stats = await waitFor(
      `${mix.length} shadow comparisons`,
      async () => {
        last = await admin.getStats(family);
        const compared = last.stats.parity.samples;
        const settled = compared === previous && compared >= mix.length;
        previous = compared;
        return settled ? last : undefined;
      },
      { timeoutMs: 30_000, intervalMs: 100 },
    ).catch((err: Error) => {
      throw new Error(`${err.message}; last figures: ${JSON.stringify(last?.stats.shadow)}`, { cause: err });
    });
    assert.equal(stats.stats.parity.samples, mix.length, 'one comparison per request sent, none dropped');
    const records = await admin.getMismatches(family, 100);
    return { verdict: shadowVerdict(expectations, stats.stats.parity, records), stats, answers, routerUrl: router.url };
  } finally {
    await stopAll();
  }
}

describe('router shadow mode on the faithful-port fixture', () => {
  const verdicts: Verdict[] = [];
  let first: { answers: Answers; routerUrl: string } | undefined;

  for (let run = 1; run <= RUNS; run++) {
    test(`run ${run}: flags exactly the regressed routes, each with its kind of difference`, async () => {
      const expectations = await loadExpectations();
      const { verdict, stats, answers, routerUrl } = await shadowRun(run);
      verdicts.push(verdict);
      first ??= { answers, routerUrl };
      const judged = judgeVerdict(expectations, verdict);
      const why = `verdict ${JSON.stringify(verdict)}; judged ${JSON.stringify(judged)}; routes ${JSON.stringify(
        stats.stats.parity.routes,
      )}; top paths ${JSON.stringify(stats.stats.parity.topPaths.map((p) => [p.route, p.kind, p.path, p.count]))}`;
      assert.deepEqual(Object.keys(verdict), regressedRoutes(expectations), why);
      assert.deepEqual(judged, { falseAlarms: [], missed: [], wrongKind: [] }, why);
    });
  }

  test("the redirects clients get point at the router's origin, not at an upstream", () => {
    assert.ok(first, 'the first run finished');
    const { answers, routerUrl } = first;
    // Legacy redirects /zones to /zones/; in shadow mode the client gets legacy's answer.
    assert.equal(answers.redirects.length, PER_ROUTE / 2, JSON.stringify(answers.redirects.slice(0, 3)));
    const origin = new URL(routerUrl).origin;
    const elsewhere = answers.redirects.filter(
      (r) => r.location === undefined || new URL(r.location, routerUrl).origin !== origin,
    );
    assert.deepEqual(elsewhere.slice(0, 3), [], `${elsewhere.length} redirects leave the router`);
    for (const r of answers.redirects)
      assert.equal(new URL(r.location ?? '', routerUrl).pathname, `${r.path}/`, 'the redirect keeps its target path');
  });

  test('repeated runs give identical verdicts', () => {
    assert.equal(verdicts.length, RUNS, 'every run produced a verdict');
    for (const v of verdicts.slice(1)) assert.deepEqual(Object.keys(v), Object.keys(verdicts[0]!));
  });
});
