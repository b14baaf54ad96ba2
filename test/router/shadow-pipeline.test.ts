import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type http from 'node:http';
import { Writable } from 'node:stream';
import type { Worker } from 'node:worker_threads';
import { createLogger } from '../../src/lib/logger.js';
import { FamilyRuntime } from '../../src/router/family.js';
import { upstreamPools } from '../../src/router/pools.js';
import { ShadowPipeline, type CapturedExchange } from '../../src/router/shadow/pipeline.js';
import { waitFor } from '../helpers/wait.js';
import { json, planFor, upstream, type TestUpstream } from './support.js';

let legacy: TestUpstream;
let candidate: TestUpstream;
const pools = upstreamPools(8);
const held: http.ServerResponse[] = [];
const logged: { level: number; msg: string; lost?: number }[] = [];
const body = { id: 7, name: 'user 7' };

before(async () => {
  legacy = await upstream((_req, res) => json(res, 200, body));
  candidate = await upstream((_req, res) => json(res, 200, body));
});
after(async () => {
  for (const res of held) res.destroy();
  await pools.close();
  await legacy?.close();
  await candidate?.close();
});

/** A sampled GET whose legacy answer the client already has. */
function exchange(family: number): CapturedExchange {
  const text = Buffer.from(JSON.stringify(body));
  return {
    family,
    method: 'GET',
    url: '/api/slow/7',
    headers: {},
    body: null,
    route: '/api/slow/*',
    requestId: 'r-1',
    legacy: { status: 200, headers: { 'content-type': 'application/json' }, chunks: [text], size: text.length, ms: 1 },
    startedAt: Date.now(),
  };
}

describe('shadow thread', () => {
  test('a thread that stops mid-comparison frees its slots, is logged, and restarts on a later sample', async () => {
    const { plan } = await planFor(
      legacy.url,
      candidate.url,
      {},
      { name: 'slow', routes: ['/api/slow/*'], new: candidate.url, guard: { timeout: '30s' } },
    );
    const families = plan.families.map(
      (f) => new FamilyRuntime(f, { legacy: pools.pool(f.legacy), candidate: pools.pool(f.new) }, Date.now()),
    );
    const sink = new Writable({
      write(chunk: Buffer, _enc, done) {
        for (const line of chunk.toString().split('\n').filter(Boolean))
          logged.push(JSON.parse(line) as (typeof logged)[number]);
        done();
      },
    });
    const log = createLogger('router', { level: 'warn' }, sink);
    const thread = new ShadowPipeline({
      families,
      queue: 4,
      concurrency: 2,
      maxCompareBytes: 1 << 20,
      nice: 0,
      maxBusy: 1,
      restartAfterMs: 300,
      log,
    });
    try {
      // The first samples of a route ask legacy a second time (noise); that answer never comes.
      legacy.handler = (_req, res) => void held.push(res);
      assert.ok(thread.reserve(1));
      thread.submit(exchange(1));
      await waitFor('the noise lesson to reach legacy', () => legacy.seen.length === 1);
      assert.equal(thread.outstanding, 1);

      await (thread as unknown as { thread: { worker: Worker } }).thread.worker.terminate();
      await waitFor('the lost comparison to give its slot back', () => thread.outstanding === 0);
      const stopped = logged.find((l) => l.msg.startsWith('the shadow thread stopped'));
      assert.equal(stopped?.level, 50);
      assert.equal(stopped?.lost, 1);
      assert.equal(thread.reserve(1), false, 'samples are dropped for a while after a crash');

      legacy.handler = (_req, res) => json(res, 200, body);
      await waitFor('the thread to restart on a sample', () => thread.reserve(1));
      thread.submit(exchange(1));
      await thread.drained();
      assert.equal(families[1]!.counters.comparisons, 1, 'the sample after the restart is compared');
      assert.equal(thread.outstanding, 0);
    } finally {
      await thread.close();
    }
  });
});
