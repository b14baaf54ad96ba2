/**
 * The gates' three outcomes with the real router and a real workflow: pass, fail (a latency-only
 * regression on one route) and not enough evidence (a canary fed by one user), each with its
 * numbers in the progress query and in the report.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { request } from 'undici';
import { approveUpdate, progressQuery, type MigrationProgress } from '../../src/workflows/messages.js';
import { renderDetails } from '../../src/workflows/details.js';
import { renderProgress } from '../../src/report/render-progress.js';
import { createRouterAdminClient } from '../../src/router/client.js';
import type { FamilyOverrides } from '../helpers/plan-builder.js';
import type { PlanOverrides, Traffic } from './support.js';
import { scenarioFile, type ScenarioContext } from './family-scenario.js';
import { recordHistory, routeOf, waitForPending, waitForProgress } from './harness.js';
import { migrationResult } from '../../src/lib/migration-outcome.js';

const suite = scenarioFile('phx-evidence-');

/**
 * A scenario with traffic at 200 requests/s (the gates judge hundreds of samples) and, unless
 * `withCases`, no contract cases (the pass scenario keeps them: the decommission checklist runs them).
 */
function scenario(
  name: string,
  o: { family?: FamilyOverrides; sticky?: PlanOverrides['sticky']; withList?: boolean; withCases?: boolean },
  body: (ctx: ScenarioContext & { traffic: Traffic }) => Promise<void>,
): Promise<void> {
  const traffic = { withList: o.withList ?? false, rate: 200 };
  const options = { family: o.family, sticky: o.sticky, cases: o.withCases ? undefined : {}, traffic };
  return suite.scenario(name, options, (ctx) => body({ ...ctx, traffic: ctx.traffic! }));
}

async function report(result: { report?: { json: string; markdown: string } }): Promise<{
  json: { progress: MigrationProgress };
  markdown: string;
}> {
  assert.ok(result.report, 'a report was written');
  return {
    json: JSON.parse(await readFile(result.report.json, 'utf8')) as { progress: MigrationProgress },
    markdown: await readFile(result.report.markdown, 'utf8'),
  };
}

describe('gates decide on evidence', { concurrency: 1 }, () => {
  test('pass: parity and the 25% step pass with their bounds, split and users in the progress and the report', async () => {
    await scenario('evidence-pass', { withCases: true }, async ({ start }) => {
      const handle = await start();
      const atStart = await waitForPending(handle, 'ramp-start');
      const parity = atStart.parity!;
      assert.equal(parity.outcome, 'pass', parity.reasons.join());
      assert.ok(parity.mismatch!.n >= 20 && parity.mismatch!.events === 0);
      assert.equal(parity.latency!.outcome, 'pass');
      assert.ok(parity.latency!.nNew >= 20);
      assert.deepEqual(parity.slowRoutes, []);
      await handle.executeUpdate(approveUpdate, { args: [{ step: 'ramp-start', approver: 'alice' }] });

      const at25 = await waitForPending(handle, 'ramp:100');
      const a = at25.analysis!;
      assert.equal(a.outcome, 'pass', a.reasons.join());
      assert.equal(a.split!.target, 25);
      assert.ok(a.split!.observed! > 0.05 && a.split!.observed! < 0.6, `observed split ${a.split!.observed}`);
      assert.ok(a.users!.distinct >= 20, `${a.users!.distinct} users`);
      assert.ok(a.errors!.upper <= 0.05 && a.errors!.n >= 52, `errors ${JSON.stringify(a.errors)}`);
      assert.match(renderProgress(at25), /pass — split .* on new \(target 25%\), \d+ users \(min 20\)/);
      await handle.executeUpdate(approveUpdate, { args: [{ step: 'ramp:100', approver: 'alice' }] });

      const result = await migrationResult(handle);
      assert.equal(result.outcome, 'completed', result.reason);
      const step = result.progress.decisions.find((d) => d.step === 'ramp:25');
      assert.match(step?.detail ?? '', /^pass — split/);
      const r = await report(result);
      assert.equal(r.json.progress.parity?.outcome, 'pass');
      assert.ok((r.json.progress.parity?.mismatch?.n ?? 0) >= 20);
      assert.match(r.markdown, /- Verdict: pass — mismatch 0\.00% \(0 of \d+\), 95% bounds/);
      assert.match(r.markdown, /\| ramp:25 \| {2}\| pass — split/);
      await recordHistory(handle, 'evidence-pass');
    });
  });

  test('fail: a latency-only regression on one route is flagged at $latency and fails the parity gate', async () => {
    const family = { parity: { timeout: '4s' } };
    await scenario('latency-regression', { family, withList: true }, async ({ stack, start }) => {
      stack.candidate.behaviour = 'slow-list';
      const handle = await start();
      const result = await migrationResult(handle);
      assert.equal(result.type, 'ParityNotReached', result.reason);
      assert.match(result.reason ?? '', /latency at \$latency on GET \/api\/users: p50/);
      const p = result.progress.parity!;
      assert.equal(p.outcome, 'fail');
      assert.equal(p.mismatch!.events, 0, 'the bodies are identical');
      assert.deepEqual(
        p.slowRoutes!.map((r) => r.route),
        ['GET /api/users'],
      );
      const slow = p.slowRoutes![0]!;
      assert.ok(slow.shiftMs! > 100 && slow.shiftMs! < 250, `shift ${slow.shiftMs} ms`);
      assert.ok(slow.pValue < 0.05);
      assert.equal((await routeOf(stack)).mode, 'legacy');

      const admin = createRouterAdminClient({ baseUrl: stack.router.adminUrl });
      try {
        const { stats } = await admin.getStats('users');
        const item = stats.parity.routes.find((r) => r.route === 'GET /api/users/:id');
        assert.equal(item?.latency.flagged, false, 'the equivalent route is not flagged');
      } finally {
        await admin.close();
      }
      const r = await report(result);
      assert.equal(r.json.progress.parity?.outcome, 'fail');
      assert.match(r.markdown, /\| GET \/api\/users \| \d+ \| [\d.]+ ms \| [\d.]+ ms \| [\d.]+ ms \| /);
      await recordHistory(handle, 'latency-regression');
    });
  });

  test('not enough evidence: a 25% step fed by one user never passes and fails with the numbers', async () => {
    const family = { ramp: { evidenceTimeout: '1500ms' } };
    await scenario('not-enough-evidence', { family, sticky: 'ip' as const }, async ({ stack, start }) => {
      const handle = await start();
      await waitForPending(handle, 'ramp-start');
      await handle.executeUpdate(approveUpdate, { args: [{ step: 'ramp-start', approver: 'alice' }] });
      const result = await migrationResult(handle);
      assert.equal(result.type, 'NotEnoughEvidence', result.reason);
      assert.match(result.reason ?? '', /^not enough traffic at 25%: .*1 user \(min 20\); observed split/);
      assert.match(result.reason ?? '', /still lacking after 3s/);
      const a = result.progress.analysis!;
      assert.equal(a.outcome, 'insufficient');
      assert.equal(a.breached, false);
      assert.deepEqual(a.users, { distinct: 1, min: 20 });
      assert.equal(a.split!.target, 25);
      assert.ok(a.split!.observed === 0 || a.split!.observed === 1, 'one user goes all one way');
      assert.ok(!result.progress.decisions.some((d) => d.step === 'ramp:25' || d.step === 'ramp:100'));
      assert.equal((await routeOf(stack)).mode, 'legacy');
      assert.match(renderProgress(result.progress), /not enough evidence — split .*1 users \(min 20\)/);
      assert.match(renderDetails(result.progress, stack.plan.families[0]!), /not enough traffic at 25%/);
      const live = await handle.query(progressQuery);
      assert.equal(live.rollback?.type, 'NotEnoughEvidence');
      const r = await report(result);
      assert.equal(r.json.progress.analysis?.outcome, 'insufficient');
      assert.match(r.markdown, /Outcome: \*\*rolled-back\*\* — NotEnoughEvidence: not enough traffic at 25%/);
      await recordHistory(handle, 'not-enough-evidence');
    });
  });

  test('not enough evidence: a decommission window that saw no request on new does not pass', async () => {
    const family = { ramp: { evidenceTimeout: '30s' }, decommission: { evidenceTimeout: '1s' } };
    await scenario('no-legacy-window', { family, withCases: true }, async ({ stack, start, traffic }) => {
      const handle = await start();
      await waitForPending(handle, 'ramp-start');
      await handle.executeUpdate(approveUpdate, { args: [{ step: 'ramp-start', approver: 'alice' }] });
      await waitForPending(handle, 'ramp:100');
      await traffic.stop();
      await handle.executeUpdate(approveUpdate, { args: [{ step: 'ramp:100', approver: 'alice' }] });
      // Without traffic the 100% step is extended; a burst of requests gives it its evidence,
      // and nothing more reaches the router afterwards, so the decommission window sees none.
      const extended = await waitForProgress(
        handle,
        'the 100% bake to be extended for evidence',
        (p) => p.percent === 100 && /^evidence/.test(p.waitingFor ?? ''),
      );
      assert.match(extended.waitingFor ?? '', /0 requests on new \(min 5\)/);
      for (let i = 0; i < 60; i++) {
        const res = await request(`${stack.router.url}/api/users/${(i % 50) + 1}`, { headers: { 'x-user': `u${i}` } });
        await res.body.dump();
      }
      const result = await migrationResult(handle);
      assert.equal(result.type, 'NotEnoughEvidence', result.reason);
      assert.match(
        result.reason ?? '',
        /^not enough evidence in the no-legacy-traffic window: not enough traffic at 100%: 0 requests on new/,
      );
      assert.match(result.reason ?? '', /still lacking after 2s/);
      assert.match(
        result.progress.decisions.find((d) => d.kind === 'stage' && d.step === 'ramp:100')?.detail ?? '',
        /^pass — split 100\.00% of 60/,
      );
      assert.equal(result.progress.checklist.find((c) => c.id === 'no-legacy-traffic')?.status, 'pending');
      assert.equal(result.progress.analysis?.newRequests, 0);
      assert.equal((await routeOf(stack)).mode, 'legacy');
    });
  });
});
