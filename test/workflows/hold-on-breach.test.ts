import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Worker } from '@temporalio/worker';
import { createPhoenixWorker } from '../../src/worker/worker.js';
import { approveUpdate, progressQuery, rejectUpdate } from '../../src/workflows/messages.js';
import { renderProgress } from '../../src/workflows/render-progress.js';
import { testTemporal, type TestTemporal } from '../helpers/temporal.js';
import { defaultFamily, driveTraffic, startStack, taskQueue, workflowBundle, type Stack } from './support.js';
import {
  recordHistory,
  routeOf,
  startMigration,
  waitForPending,
  waitForProgress,
  type MigrationHandle,
} from './harness.js';

let t: TestTemporal;
let reportDir: string;

before(async () => {
  t = await testTemporal();
  reportDir = await mkdtemp(path.join(os.tmpdir(), 'phx-hold-'));
});
after(async () => {
  await t?.close();
});

/** The default family with a long 25% bake, a strict p95 and `onBreach: hold`. */
function holdFamily(bake: string, decision = '{ timeout: 30s }'): string {
  return `${defaultFamily
    .replace('{ percent: 25, bake: 1500ms }', `{ percent: 25, bake: ${bake} }`)
    .replace('maxP95Ratio: 20', 'maxP95Ratio: 3')}    onBreach: hold
    breachDecision: ${decision}
`;
}

async function scenario(
  name: string,
  family: string,
  body: (ctx: { stack: Stack; handle: MigrationHandle }) => Promise<void>,
): Promise<void> {
  const stack = await startStack({ family });
  const traffic = driveTraffic(stack.router.url);
  const tq = taskQueue(name);
  try {
    const worker: Worker = await createPhoenixWorker({
      connection: t.nativeConnection,
      taskQueue: tq,
      workflowBundle: await workflowBundle(),
      activities: { reportDir },
    });
    await worker.runUntil(async () => {
      const handle = await startMigration(t.client, stack, tq);
      await waitForPending(handle, 'ramp-start');
      await handle.executeUpdate(approveUpdate, { args: [{ step: 'ramp-start', approver: 'alice' }] });
      await waitForProgress(handle, 'the 25% bake', (p) => p.percent === 25 && p.stage === 'ramp');
      await body({ stack, handle });
    });
  } finally {
    await traffic.stop();
    await stack.close();
  }
}

describe('onBreach: hold', { concurrency: 1 }, () => {
  test('a breach holds the route at its step until approved; approval continues the ramp', async () => {
    await scenario('hold-continue', holdFamily('8s'), async ({ stack, handle }) => {
      const before = await routeOf(stack);
      stack.candidate.behaviour = 'slow';
      const held = await waitForPending(handle, 'hold:ramp:25');
      assert.equal(held.stage, 'awaiting-approval');
      assert.equal(held.percent, 25);
      assert.match(held.pending!.description, /breach at 25%.*p95/);
      assert.deepEqual(held.pending!.approvers, ['alice']);
      const shown = renderProgress(held);
      assert.match(shown, /npx phoenix approve users --step hold:ramp:25 --as alice/);
      assert.match(shown, /npx phoenix reject users --step hold:ramp:25/);
      // Held, not rolled back: the route stays canary 25% while the decision waits.
      await new Promise((r) => setTimeout(r, 1000));
      const during = await routeOf(stack);
      assert.equal(during.mode, 'canary');
      assert.equal(during.percent, 25);
      assert.equal(during.version, before.version, 'the route was not touched');
      assert.equal((await handle.query(progressQuery)).pending?.step, 'hold:ramp:25');

      stack.candidate.behaviour = 'same';
      await handle.executeUpdate(approveUpdate, { args: [{ step: 'hold:ramp:25', approver: 'alice', via: 'cli' }] });
      await waitForPending(handle, 'ramp:100');
      await handle.executeUpdate(approveUpdate, { args: [{ step: 'ramp:100', approver: 'alice' }] });
      const result = await handle.result();
      assert.equal(result.outcome, 'completed', result.reason);
      assert.ok(
        result.progress.decisions.some((d) => d.kind === 'approved' && d.step === 'hold:ramp:25' && d.by === 'alice'),
      );
      assert.ok(result.progress.decisions.some((d) => d.step === 'hold:ramp:25' && /held: .*p95/.test(d.detail ?? '')));
      await recordHistory(handle, 'held-continued');
    });
  });

  test('rejecting a held breach rolls back to legacy with the breach as the reason', async () => {
    await scenario('hold-reject', holdFamily('5m'), async ({ stack, handle }) => {
      stack.candidate.behaviour = 'slow';
      await waitForPending(handle, 'hold:ramp:25');
      assert.equal((await routeOf(stack)).percent, 25);
      await handle.executeUpdate(rejectUpdate, {
        args: [{ step: 'hold:ramp:25', approver: 'alice', reason: 'too slow for checkout' }],
      });
      const result = await handle.result();
      assert.equal(result.outcome, 'rolled-back');
      assert.equal(result.type, 'SloBreached');
      assert.match(
        result.reason ?? '',
        /SLO breached at 25%: .*p95.* held, rolled back by alice: too slow for checkout/,
      );
      assert.equal((await routeOf(stack)).mode, 'legacy');
      await recordHistory(handle, 'held-rejected');
    });
  });

  test('without a decision the timeout rolls back (the default)', async () => {
    await scenario('hold-timeout', holdFamily('5m', '{ timeout: 1500ms }'), async ({ stack, handle }) => {
      stack.candidate.behaviour = 'slow';
      await waitForPending(handle, 'hold:ramp:25');
      const result = await handle.result();
      assert.equal(result.type, 'SloBreached', result.reason);
      assert.match(result.reason ?? '', /held, no decision within 1.5s/);
      assert.ok(result.progress.decisions.some((d) => d.kind === 'timed-out' && d.step === 'hold:ramp:25'));
      assert.equal((await routeOf(stack)).mode, 'legacy');
    });
  });

  test('a tripped router guard is never held: it rolls back at once', async () => {
    await scenario('hold-guard', holdFamily('5m'), async ({ stack, handle }) => {
      stack.candidate.behaviour = 'errors';
      const result = await handle.result();
      assert.equal(result.type, 'GuardTripped', result.reason);
      assert.ok(!result.progress.decisions.some((d) => d.step?.startsWith('hold:')), 'nothing was held');
      assert.equal((await routeOf(stack)).mode, 'legacy');
    });
  });

  test('the guard tripping while a breach is held rolls back without waiting for the decision', async () => {
    await scenario('hold-then-guard', holdFamily('5m', '{ timeout: 5m }'), async ({ stack, handle }) => {
      stack.candidate.behaviour = 'slow';
      await waitForPending(handle, 'hold:ramp:25');
      stack.candidate.behaviour = 'errors';
      const result = await handle.result();
      assert.equal(result.type, 'GuardTripped', result.reason);
      assert.match(result.reason ?? '', /while held/);
      assert.equal((await routeOf(stack)).mode, 'legacy');
    });
  });
});
