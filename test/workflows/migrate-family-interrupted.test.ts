/** `migrateFamily` interrupted mid-ramp: paused and resumed, and its worker killed and restarted. */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { approveUpdate, pauseSignal, progressQuery, resumeSignal } from '../../src/workflows/messages.js';
import { bake25 } from '../helpers/plan-builder.js';
import { driveTraffic, startStack, taskQueue } from './support.js';
import {
  killWorker,
  recordHistory,
  routeOf,
  scheduledActivities,
  spawnWorker as spawnHarnessWorker,
  startMigration,
  waitForPending,
  waitForProgress,
} from './harness.js';
import { migrationResult } from '../../src/lib/migration-outcome.js';
import { scenarioFile } from './family-scenario.js';

const suite = scenarioFile('phx-reports-');

describe('migrateFamily paused', () => {
  test('pause holds the current percent past the bake; resume continues', async () => {
    await suite.scenario('pause', { family: bake25('2s') }, async ({ stack, start }) => {
      const handle = await start();
      await waitForPending(handle, 'ramp-start');
      await handle.executeUpdate(approveUpdate, { args: [{ step: 'ramp-start', approver: 'alice' }] });
      await waitForProgress(handle, 'the 25% bake', (p) => p.percent === 25 && p.stage === 'ramp');
      await handle.signal(pauseSignal, { by: 'bob', reason: 'watching dashboards' });
      const paused = await waitForProgress(handle, 'paused', (p) => p.paused);
      // Held well past the 2 s bake, by the workflow's own clock: it has gone on analysing while
      // paused for twice the bake, and is still at 25% and not asking for the next step.
      const pausedAt = Date.parse(paused.decisions.find((d) => d.kind === 'paused')!.at);
      await waitForProgress(
        handle,
        'an analysis 4 s into the pause',
        (p) => p.analysis !== undefined && Date.parse(p.analysis.at) - pausedAt >= 4000,
        30_000,
        200,
      );
      const held = await handle.query(progressQuery);
      assert.equal(held.paused, true);
      assert.equal(held.percent, 25);
      assert.equal(held.pending, undefined);
      assert.equal((await routeOf(stack)).percent, 25);
      await handle.signal(resumeSignal, { by: 'bob' });
      await waitForPending(handle, 'ramp:100');
      await handle.executeUpdate(approveUpdate, { args: [{ step: 'ramp:100', approver: 'alice' }] });
      const result = await migrationResult(handle);
      assert.equal(result.outcome, 'completed', result.reason);
      assert.deepEqual(
        result.progress.decisions.filter((d) => d.kind === 'paused' || d.kind === 'resumed').map((d) => d.kind),
        ['paused', 'resumed'],
      );
      await recordHistory(handle, 'pause-resume');
    });
  });
});

describe('migrateFamily with a worker killed mid-ramp', () => {
  test('a restarted worker continues from the same step without ramping twice', async () => {
    const stack = await startStack({ family: bake25('4s') });
    const traffic = driveTraffic(stack.router.url);
    const tq = taskQueue('kill');
    const spawnWorker = () => spawnHarnessWorker(suite.t.address, tq, suite.reportDir);
    let worker = await spawnWorker();
    try {
      const handle = await startMigration(suite.t.client, stack, tq);
      await waitForPending(handle, 'ramp-start', 60_000);
      await handle.executeUpdate(approveUpdate, { args: [{ step: 'ramp-start', approver: 'alice' }] });
      await waitForProgress(handle, 'the 25% bake', (p) => p.percent === 25 && p.stage === 'ramp');
      await killWorker(worker);
      worker = await spawnWorker();
      await waitForPending(handle, 'ramp:100', 60_000);
      await handle.executeUpdate(approveUpdate, { args: [{ step: 'ramp:100', approver: 'alice' }] });
      const result = await migrationResult(handle);
      assert.equal(result.outcome, 'completed', result.reason);
      const canary = (await scheduledActivities(handle)).filter((a) => a.summary === 'canary 25%');
      assert.equal(canary.length, 1, 'the 25% step was applied once');
      await recordHistory(handle, 'worker-killed');
    } finally {
      await killWorker(worker);
      await traffic.stop();
      await stack.close();
    }
  });
});
