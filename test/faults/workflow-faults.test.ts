/**
 * Migrations surviving their infrastructure: the Temporal dev server stopped and restarted on its
 * database file mid-bake, and Slack unreachable (a killed worker: worker-killed.test.ts). Real
 * worker processes, real router, real servers.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { WebClient } from '@slack/web-api';
import { createPhoenixWorker } from '../../src/worker/worker.js';
import { startDevServer } from '../../src/lib/dev-server.js';
import { resolveTemporalCli } from '../../src/lib/temporal-cli.js';
import { freePort } from '../helpers/ports.js';
import { bake25 } from '../helpers/plan-builder.js';
import { driveTraffic, startStack, taskQueue, workflowBundle } from '../workflows/support.js';
import {
  approveThrough,
  killWorker,
  routeOf,
  scheduledActivities,
  spawnWorker,
  startMigration,
  waitForPending,
  waitForProgress,
} from '../workflows/harness.js';
import { scenarioFile } from '../workflows/family-scenario.js';
import { migrationResult } from '../../src/lib/migration-outcome.js';

/** The suite's Temporal and a report folder; each test starts its own worker (no scenario runs here). */
const suite = scenarioFile('phx-faults-');

describe('the Temporal dev server restarted mid-migration', () => {
  test('stopped during a bake and started again on the same database file: the worker reconnects and the migration finishes, each step once', async (ctx) => {
    const cli = await resolveTemporalCli();
    const dbFile = path.join(await mkdtemp(path.join(os.tmpdir(), 'phx-devdb-')), 'temporal.db');
    const port = await freePort();
    let server = await startDevServer({ cli, port, headless: true, dbFile });
    const stack = await startStack({ family: bake25('8s') });
    const traffic = driveTraffic(stack.router.url);
    const tq = taskQueue('server-restart');
    let worker: ChildProcess | undefined;
    let connection = await Connection.connect({ address: server.address });
    try {
      worker = await spawnWorker(server.address, tq, suite.reportDir);
      let handle = await startMigration(new Client({ connection }), stack, tq);
      await approveThrough(handle, ['ramp-start']);
      await waitForProgress(handle, 'the 25% bake', (p) => p.percent === 25 && p.stage === 'ramp', 60_000);
      await connection.close();
      const stoppedAt = Date.now();
      await server.stop();
      server = await startDevServer({ cli, port, headless: true, dbFile });
      const downMs = Date.now() - stoppedAt;
      connection = await Connection.connect({ address: server.address });
      handle = new Client({ connection }).workflow.getHandle(handle.workflowId);
      assert.equal((await handle.describe()).status.name, 'RUNNING', 'the migration survived in the database file');
      const restartedAt = Date.now();
      const pending = (await waitForPending(handle, 'ramp:100', 90_000)).pending!;
      ctx.diagnostic(
        `Temporal down ${downMs} ms; the worker had the bake done and the next approval pending ${Date.now() - restartedAt} ms after the restart (bake 8 s)`,
      );
      // The bake lasts its 8 s of workflow time, Temporal's downtime included (the router kept the
      // family at 25%), not its analysis slices' worth: timers fire late, by up to a second each.
      const applied = (await scheduledActivities(handle)).find((a) => a.summary === 'canary 25%')!.at;
      const baked = Date.parse(pending.since) - applied;
      assert.ok(baked >= 8000 && baked < 13_000, `the 8 s bake ended ${baked} ms after the 25% step was applied`);
      await approveThrough(handle, ['ramp:100']);
      const result = await migrationResult(handle);
      assert.equal(result.outcome, 'completed', result.reason);
      const canary = (await scheduledActivities(handle)).filter((a) => a.summary === 'canary 25%');
      assert.equal(canary.length, 1, 'the 25% step was applied once');
      assert.equal((await routeOf(stack)).mode, 'new');
      assert.equal(traffic.failed(), 0, `${traffic.failed()} failed requests while Temporal was down for ${downMs} ms`);
    } finally {
      if (worker) await killWorker(worker);
      await traffic.stop();
      await stack.close();
      await connection.close().catch(() => undefined);
      await server.stop();
    }
  });
});

describe('Slack unreachable', () => {
  test('approvals by CLI go on, and a failing new service is still rolled back within seconds', async () => {
    const stack = await startStack({ family: { ...bake25('60s'), slackChannel: 'C123' } });
    const traffic = driveTraffic(stack.router.url);
    const tq = taskQueue('slack-down');
    // Nothing listens on port 1: every Web API call fails at once.
    const web = new WebClient('xoxb-unreachable', {
      slackApiUrl: 'http://127.0.0.1:1/api/',
      retryConfig: { retries: 0 },
    });
    const worker = await createPhoenixWorker({
      connection: suite.t.nativeConnection,
      taskQueue: tq,
      workflowBundle: await workflowBundle(),
      workflowsOnThisThread: true,
      activities: { reportDir: suite.reportDir, slack: { slack: web, buttonSecret: 'unused' } },
    });
    try {
      await worker.runUntil(async () => {
        const handle = await startMigration(suite.t.client, stack, tq);
        await approveThrough(handle, ['ramp-start']);
        await waitForProgress(handle, 'the 25% bake', (p) => p.percent === 25 && p.stage === 'ramp', 60_000);
        stack.candidate.behaviour = 'errors';
        const result = await migrationResult(handle);
        assert.equal(result.progress.stage, 'rolled-back');
        assert.ok(
          (result.progress.rollback?.durationMs ?? Infinity) < 5000,
          `compensations took ${result.progress.rollback?.durationMs} ms`,
        );
        assert.equal((await routeOf(stack)).mode, 'legacy');
        assert.ok(
          result.progress.decisions.some((d) => d.kind === 'approved' && d.step === 'ramp-start'),
          'the CLI approval was recorded',
        );
      });
    } finally {
      await traffic.stop();
      await stack.close();
    }
  });
});
