/**
 * Long bakes and approval timeouts on the time-skipping test server: hours of plan time pass in
 * seconds, against the real router and real upstreams. Also proves that a long bake stays lean
 * (continue-as-new keeps every run's history short).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import { createActivities } from '../../src/activities/index.js';
import { approveUpdate, progressQuery } from '../../src/workflows/messages.js';
import { migrateFamily } from '../../src/workflows/migrate-family.js';
import type { FamilyOverrides } from '../helpers/plan-builder.js';
import { timeSkippingEnv } from '../helpers/temporal.js';
import { waitFor } from '../helpers/wait.js';
import { driveTraffic, startStack, taskQueue, workflowBundle, type Stack } from './support.js';
import { migrationResult } from '../../src/lib/migration-outcome.js';

let env: TestWorkflowEnvironment;
let reportDir: string;

before(async () => {
  env = await timeSkippingEnv();
  reportDir = await mkdtemp(path.join(os.tmpdir(), 'phx-reports-'));
});
after(async () => {
  await env?.teardown();
});

/** Hours of plan time (the guard keeps the schema's defaults). */
const longFamily: FamilyOverrides = {
  parity: { minSamples: 10, maxMismatchRate: 0, sampleRate: 1, timeout: '2h', pollInterval: '1s' },
  ramp: {
    analysisInterval: '2m',
    steps: [
      { percent: 25, bake: '3h' },
      { percent: 100, bake: '1h', approval: true },
    ],
  },
  // The 3 h bake passes in a few seconds of wall time (less on an idle machine), and only requests
  // in wall time are evidence: gates that need little of it, so the bake's outcome never depends
  // on how fast the machine skips (an error bound under 5% alone needs about 60 clean requests).
  slo: {
    minRequests: 5,
    maxErrorRate: 0.25,
    maxP95Ratio: 20,
    maxMismatchRate: 0.05,
    latency: { maxShiftMs: 25, minSamples: 5 },
  },
  approval: { timeout: '24h', remindBefore: '1h', onTimeout: 'reject' },
  decommission: { noLegacyTrafficFor: '1s' },
};

describe('migrateFamily over hours of plan time (time-skipping server)', () => {
  test('a 3-hour bake continues as new to stay lean, and a 24-hour approval timeout rolls back', async () => {
    const stack: Stack = await startStack({ base: longFamily });
    const traffic = driveTraffic(stack.router.url, { rate: 100 });
    const tq = taskQueue('long');
    const worker = await Worker.create({
      connection: env.nativeConnection,
      taskQueue: tq,
      workflowBundle: await workflowBundle(),
      activities: createActivities({ reportDir }),
      // The workflow code on this thread, as in createPhoenixWorker's workflowsOnThisThread.
      debugMode: true,
    });
    try {
      await worker.runUntil(async () => {
        const handle = await env.client.workflow.start(migrateFamily, {
          taskQueue: tq,
          workflowId: `phoenix-users-${tq}`,
          args: [
            {
              plan: stack.plan.name,
              routerAdminUrl: stack.router.adminUrl,
              temporalUiUrl: 'http://localhost:8233',
              family: stack.plan.families[0]!,
              historyLimit: 300,
            },
          ],
        });
        // Shadow parity needs real traffic, so this part runs in real time: queries do not skip time.
        await waitFor(
          'the ramp-start approval',
          async () => ((await handle.query(progressQuery)).pending?.step === 'ramp-start' ? true : undefined),
          {
            timeoutMs: 30_000,
            intervalMs: 100,
          },
        );
        // Traffic goes on: a bake without requests on new is not evidence and would never pass.
        await handle.executeUpdate(approveUpdate, { args: [{ step: 'ramp-start', approver: 'alice', via: 'cli' }] });
        // Waiting on the result lets the server skip: 3 h of bake with an analysis every 2 minutes
        // (90 analyses, each a real request to the router), then 24 h waiting for the 100%
        // approval, which times out.
        const result = await migrationResult(handle);
        assert.equal(result.outcome, 'rolled-back');
        assert.equal(result.type, 'ApprovalTimedOut');
        assert.equal(result.progress.percent, 0);
        assert.ok(result.progress.decisions.some((d) => d.kind === 'timed-out' && d.step === 'ramp:100'));
        const route = await (
          await import('../../src/router/client.js')
        )
          .createRouterAdminClient({ baseUrl: stack.router.adminUrl })
          .getRoute('users');
        assert.equal(route.mode, 'legacy');

        // Follow the chain of runs: the bake needed several, and every one stayed lean.
        const runs: number[] = [];
        let runId: string | undefined = handle.firstExecutionRunId;
        while (runId) {
          const events: {
            workflowExecutionContinuedAsNewEventAttributes?: { newExecutionRunId?: string | null } | null;
          }[] = (await env.client.workflow.getHandle(handle.workflowId, runId).fetchHistory()).events ?? [];
          runs.push(events.length);
          runId = events.at(-1)?.workflowExecutionContinuedAsNewEventAttributes?.newExecutionRunId ?? undefined;
        }
        assert.ok(runs.length >= 2, `expected continue-as-new during the 3 h bake, got ${runs.length} run(s)`);
        for (const n of runs) assert.ok(n < 2000, `a run has ${n} events`);
      });
    } finally {
      await traffic.stop();
      await stack.close();
    }
  });
});
