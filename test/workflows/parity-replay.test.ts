/**
 * Replay of recorded safe requests for a family with too little live traffic (`parity.replay`),
 * with the real router, real upstreams and a real workflow: with replay, the parity gate passes
 * on replayed contract cases, live and replayed samples shown apart; without it, the same
 * traffic ends `NotEnoughEvidence`.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { request } from 'undici';
import { abortSignal, type MigrationProgress } from '../../src/workflows/messages.js';
import { renderDetails, renderPlanDetails } from '../../src/workflows/details.js';
import { progressLine, renderProgress } from '../../src/report/render-progress.js';
import { createRouterAdminClient } from '../../src/router/client.js';
import type { FamilyOverrides } from '../helpers/plan-builder.js';
import type { Stack } from './support.js';
import { recordHistory, waitForPending, waitForProgress, type MigrationHandle } from './harness.js';
import { scenarioFile } from './family-scenario.js';
import { migrationResult } from '../../src/lib/migration-outcome.js';

const suite = scenarioFile('phx-replay-');

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

type ParityReplayInput = NonNullable<FamilyOverrides['parity']>['replay'];

/** The test family with the parity gate's latency check on 10 samples, and `replay` if given. */
function familyWith(replay: ParityReplayInput | undefined, timeout: string): FamilyOverrides {
  return { parity: { timeout, latency: { minSamples: 10 }, ...(replay ? { replay } : {}) } };
}

/**
 * A migration with almost no live traffic: no traffic driver, and a few requests once shadow
 * comparison is on.
 */
function scenario(
  name: string,
  family: FamilyOverrides,
  body: (ctx: { stack: Stack; handle: MigrationHandle }) => Promise<void>,
): Promise<void> {
  return suite.scenario(name, { family, cases: CASES, traffic: false }, async ({ stack, start }) => {
    const handle = await start();
    await waitForProgress(handle, 'the parity gate', (p) => p.stage === 'parity');
    for (let i = 1; i <= LIVE; i++) await (await request(`${stack.router.url}/api/users/${i}`)).body.dump();
    await body({ stack, handle });
  });
}

describe('replay when live traffic is too thin', { concurrency: 1 }, () => {
  test('with parity.replay the gate passes on replayed contract cases, live and replayed shown apart', async () => {
    const family = familyWith({ from: ['contracts'], after: '300ms', maxPerSecond: 200, maxShare: 0.9 }, '20s');
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
    await scenario('parity-no-replay', familyWith(undefined, '3s'), async ({ handle }) => {
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
