/**
 * Migrations surviving a worker SIGKILLed while shadow traffic is being judged and while a
 * rollback is under way. Real worker processes, real router, real servers.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { startRouter } from '../../src/router/server.js';
import { abortSignal } from '../../src/workflows/messages.js';
import { waitFor } from '../helpers/wait.js';
import { bake25 } from '../helpers/plan-builder.js';
import { driveTraffic, startStack, taskQueue } from '../workflows/support.js';
import {
  approveThrough,
  killWorker,
  routeOf,
  scheduledActivities,
  spawnWorker,
  startMigration,
  waitForProgress,
} from '../workflows/harness.js';
import { scenarioFile } from '../workflows/family-scenario.js';
import { migrationResult } from '../../src/lib/migration-outcome.js';

/** The suite's Temporal and a report folder; each test spawns (and kills) its own worker processes. */
const suite = scenarioFile('phx-faults-');

describe('a worker killed with SIGKILL', { concurrency: 1 }, () => {
  test('during shadow: the restarted worker goes on judging parity and finishes; shadow was switched on once', async () => {
    const stack = await startStack({ family: { parity: { minSamples: 800, timeout: '90s' } } });
    // 800 samples: at 200 requests per second the parity wait is seconds, not minutes.
    const traffic = driveTraffic(stack.router.url, { rate: 200 });
    const tq = taskQueue('kill-shadow');
    let worker: ChildProcess = await spawnWorker(suite.t.address, tq, suite.reportDir);
    try {
      const handle = await startMigration(suite.t.client, stack, tq);
      const atKill = await waitForProgress(handle, 'the parity wait', (p) => p.stage === 'parity', 60_000);
      await killWorker(worker);
      assert.equal((await routeOf(stack)).mode, 'shadow', 'the router keeps shadowing with no worker');
      worker = await spawnWorker(suite.t.address, tq, suite.reportDir);
      await approveThrough(handle, ['ramp-start', 'ramp:100']);
      const result = await migrationResult(handle);
      assert.equal(result.outcome, 'completed', result.reason);
      assert.ok(
        (result.progress.parity?.samples ?? 0) >= 800,
        `parity judged on ${result.progress.parity?.samples} samples`,
      );
      assert.ok(atKill.stage === 'parity');
      const shadowOn = (await scheduledActivities(handle)).filter((a) => a.summary.startsWith('shadow at'));
      assert.equal(shadowOn.length, 1, 'shadow was switched on once');
      assert.equal((await routeOf(stack)).mode, 'new');
    } finally {
      await killWorker(worker);
      await traffic.stop();
      await stack.close();
    }
  });

  test('during a rollback: the restarted worker completes it and the family ends on legacy', async (ctx) => {
    const stack = await startStack({ family: bake25('60s') });
    const traffic = driveTraffic(stack.router.url);
    const tq = taskQueue('kill-rollback');
    let worker: ChildProcess = await spawnWorker(suite.t.address, tq, suite.reportDir);
    let router = stack.router;
    try {
      const handle = await startMigration(suite.t.client, stack, tq);
      await approveThrough(handle, ['ramp-start']);
      await waitForProgress(handle, 'the 25% bake', (p) => p.percent === 25 && p.stage === 'ramp', 60_000);
      await traffic.stop();
      // With the router's admin API down, "route to legacy" keeps failing and retrying: the
      // rollback is in flight when the worker dies.
      await router.close();
      await handle.signal(abortSignal, { reason: 'fault test', by: 'alice' });
      await waitForProgress(handle, 'the rollback to start', (p) => p.stage === 'rolling-back');
      await killWorker(worker);
      router = await startRouter({
        plan: stack.plan,
        port: router.port,
        adminPort: router.adminPort,
        insecureAdmin: true,
        stateFile: router.stateFile,
      });
      assert.equal((await routeOf(stack)).percent, 25, 'restored from the state file, still at 25%');
      worker = await spawnWorker(suite.t.address, tq, suite.reportDir);
      const restartedAt = Date.now();
      await waitFor('the family back on legacy', async () => (await routeOf(stack)).mode === 'legacy', {
        timeoutMs: 30_000,
      });
      const legacyMs = Date.now() - restartedAt;
      const result = await migrationResult(handle);
      ctx.diagnostic(
        `after a new worker polled (the router was back before): family on legacy in ${legacyMs} ms, workflow rolled back in ${Date.now() - restartedAt} ms`,
      );
      assert.equal(result.progress.stage, 'rolled-back');
      assert.ok(result.progress.rollback?.completedAt, 'the rollback completed');
      const route = await routeOf(stack);
      assert.equal(route.mode, 'legacy');
      assert.equal(route.percent, 0);
    } finally {
      await killWorker(worker);
      await traffic.stop();
      await router.close();
      await stack.legacy.close();
      await stack.candidate.close();
    }
  });
});
