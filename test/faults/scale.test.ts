/**
 * 100 family migrations at once on one worker process, each through the whole workflow (see
 * bench/scale/scale.ts; `npm run bench:scale` runs the same and records the figures).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { runScale } from '../../bench/scale/scale.js';

const FAMILIES = Number(process.env.PHOENIX_SCALE_FAMILIES ?? 100);
/**
 * Traffic over all families: 3 requests a second each, more than the plan's gates need in time
 * (20 shadow samples in a 2 s poll or two; 5 requests and 5 users on new within a step's 5 s bake
 * at 50%); a family's traffic stops once its migration has ended. Unpaced, 16 clients sent about
 * 1,000 a second in CI, which cost the run about 0.5 ms of CPU each and proved nothing more.
 */
const REQUESTS_PER_SECOND = 3 * FAMILIES;

test(`${FAMILIES} migrations at once on one worker all complete, with bounded histories and no failed request`, async (ctx) => {
  // Outside the run's own temp folder, so it is still there to read when the test fails.
  const workerLog = path.join(await mkdtemp(path.join(os.tmpdir(), 'phx-scale-log-')), 'worker.log');
  const r = await runScale({
    families: FAMILIES,
    temporalAddress: process.env.PHOENIX_TEST_TEMPORAL_ADDRESS,
    timeoutMs: 300_000,
    requestsPerSecond: REQUESTS_PER_SECOND,
    workerLog,
  });
  ctx.diagnostic(`worker log: ${workerLog}`);
  ctx.diagnostic(
    `${r.completed}/${r.families} completed in ${(r.wallMs / 1000).toFixed(1)} s; worker CPU ${r.workerCpuS.toFixed(1)} s, peak RSS ${r.workerPeakRssMb} MB; ` +
      `events per history ${r.events.min}–${r.events.max} (median ${r.events.median}); ${r.requestsSent} requests, ${r.requestsFailed} failed`,
  );
  assert.deepEqual(r.outcomes, { completed: FAMILIES }, JSON.stringify(r.reasons));
  assert.ok(r.events.max < 2000, `the longest history has ${r.events.max} events`);
  assert.equal(r.requestsFailed, 0);
});
