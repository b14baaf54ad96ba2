/**
 * Replay of recorded safe requests for a family with too little live traffic (`parity.replay`),
 * with the real router, real upstreams and a real workflow: with replay, the parity gate passes
 * on replayed contract cases, live and replayed samples shown apart; without it, the same
 * traffic ends `NotEnoughEvidence`.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Worker } from '@temporalio/worker';
import { request } from 'undici';
import { createPhoenixWorker } from '../../src/worker/worker.js';
import { abortSignal, type MigrationProgress } from '../../src/workflows/messages.js';
import { renderDetails, renderPlanDetails } from '../../src/workflows/details.js';
import { progressLine, renderProgress } from '../../src/report/render-progress.js';
import { createRouterAdminClient } from '../../src/router/client.js';
import { testTemporal, type TestTemporal } from '../helpers/temporal.js';
import { defaultFamily, startStack, taskQueue, workflowBundle, type Stack } from './support.js';
import { recordHistory, startMigration, waitForPending, waitForProgress, type MigrationHandle } from './harness.js';
import { migrationResult } from '../../src/lib/migration-outcome.js';

let t: TestTemporal;
let reportDir: string;

before(async () => {
  t = await testTemporal();
  reportDir = await mkdtemp(path.join(os.tmpdir(), 'phx-replay-'));
});
after(async () => {
  await t?.close();
});

/** Contract cases: three safe ones (replayable) and one POST (never replayed). */
const CASES = {
  'users.yaml': `cases:
  - name: get one user
    request: { method: GET, path: /api/users/7 }
    expect: { status: 200 }
  - name: get another user
    request: { method: GET, path: /api/users/8 }
  - name: list users
    request: { method: GET, path: /api/users, query: { page: 1 } }
  - name: create a user
    request: { method: POST, path: /api/users, body: { name: x } }
    expect: { parity: false }
`,
};

const LIVE = 3;

function familyWith(replay: string, timeout: string): string {
  return defaultFamily.replace(
    'parity: { minSamples: 20, maxMismatchRate: 0, sampleRate: 1, timeout: 20s, pollInterval: 300ms }',
    `parity:
      minSamples: 20
      maxMismatchRate: 0
      sampleRate: 1
      timeout: ${timeout}
      pollInterval: 300ms
      latency: { minSamples: 10 }
${replay}`,
  );
}

async function scenario(
  name: string,
  family: string,
  body: (ctx: { stack: Stack; handle: MigrationHandle }) => Promise<void>,
): Promise<void> {
  const stack = await startStack({ family, cases: CASES });
  const tq = taskQueue(name);
  let worker: Worker | undefined;
  try {
    worker = await createPhoenixWorker({
      connection: t.nativeConnection,
      taskQueue: tq,
      workflowBundle: await workflowBundle(),
      activities: { reportDir },
    });
    await worker.runUntil(async () => {
      const handle = await startMigration(t.client, stack, tq);
      // Almost no live traffic: a few requests once shadow comparison is on.
      await waitForProgress(handle, 'the parity gate', (p) => p.stage === 'parity');
      for (let i = 1; i <= LIVE; i++) await (await request(`${stack.router.url}/api/users/${i}`)).body.dump();
      await body({ stack, handle });
    });
  } finally {
    await stack.close();
  }
}

describe('replay when live traffic is too thin', { concurrency: 1 }, () => {
  test('with parity.replay the gate passes on replayed contract cases, live and replayed shown apart', async () => {
    const family = familyWith(
      '      replay: { from: [contracts], after: 300ms, maxPerSecond: 200, maxShare: 0.9 }\n',
      '20s',
    );
    await scenario('parity-replay', family, async ({ stack, handle }) => {
      const atStart = await waitForPending(handle, 'ramp-start');
      const parity = atStart.parity!;
      assert.equal(parity.outcome, 'pass', parity.reasons.join());
      const replayed = parity.replayed?.samples ?? 0;
      assert.equal(parity.samples - replayed, LIVE, 'the live samples are the requests sent');
      assert.ok(parity.samples >= 20 && replayed >= 20 - LIVE, `${parity.samples} samples, ${replayed} replayed`);
      assert.ok(replayed <= 0.9 * parity.samples, 'replayed samples stay within maxShare');
      assert.equal(parity.replayed?.mismatches, 0);
      const shown = `${parity.samples} samples (${LIVE} live, ${replayed} replayed)`;
      assert.ok(renderProgress(atStart).includes(`parity: pass — ${shown}; mismatch`), renderProgress(atStart));
      assert.ok(progressLine(atStart).includes(shown));
      assert.ok(renderDetails(atStart, stack.plan.families[0]!).includes(shown));
      assert.match(renderPlanDetails(stack.plan.families[0]!), /- parity replay: after 300ms .* from contracts,/);
      assert.match(
        renderDetails(atStart, stack.plan.families[0]!),
        new RegExp(
          `- parity replay: ${atStart.replay!.rounds} rounds?, ${replayed} requests replayed from 3 contract cases and 0 samples`,
        ),
      );
      const r = atStart.replay!;
      assert.deepEqual(r.pool, { contracts: 3, samples: 0 }, 'the POST case is never replayed');
      assert.equal(r.submitted, replayed);
      assert.deepEqual([r.dropped, r.failed, r.skipped], [0, 0, 0]);
      const admin = createRouterAdminClient({ baseUrl: stack.router.adminUrl });
      try {
        const { stats } = await admin.getStats('users');
        assert.deepEqual(stats.parity.replayed, { samples: replayed, mismatches: 0 });
        assert.deepEqual(
          stats.parity.routes.map((x) => x.route).sort(),
          ['GET /api/users', 'GET /api/users/:id'],
          'replayed cases reach both routes',
        );
      } finally {
        await admin.close();
      }

      await handle.signal(abortSignal, { by: 'alice', reason: 'replay checked' });
      const result = await migrationResult(handle);
      assert.equal(result.outcome, 'rolled-back', result.reason);
      assert.equal(result.type, 'Aborted');
      assert.ok(result.report, 'a report was written');
      const markdown = await readFile(result.report.markdown, 'utf8');
      assert.ok(markdown.includes(`- Verdict: pass — ${shown}`), markdown);
      assert.match(markdown, new RegExp(`- Replay: \\d+ rounds?, ${replayed} requests replayed`));
      const json = JSON.parse(await readFile(result.report.json, 'utf8')) as { progress: MigrationProgress };
      assert.equal(json.progress.parity?.replayed?.samples, replayed);
      await recordHistory(handle, 'parity-replay');
    });
  });

  test('without parity.replay the same thin traffic ends NotEnoughEvidence', async () => {
    await scenario('parity-no-replay', familyWith('', '3s'), async ({ handle }) => {
      const result = await migrationResult(handle);
      assert.equal(result.type, 'NotEnoughEvidence', result.reason);
      const parity = result.progress.parity!;
      assert.equal(parity.outcome, 'insufficient');
      assert.equal(parity.samples, LIVE);
      assert.equal(parity.replayed, undefined);
      assert.equal(result.progress.replay, undefined);
      assert.ok(progressLine(result.progress).includes(`(${LIVE} samples, mismatch`), progressLine(result.progress));
    });
  });
});
