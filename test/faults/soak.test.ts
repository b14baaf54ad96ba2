/**
 * The router under sustained load with every request sampled for shadow comparison and a new
 * backend slower than legacy, so the mirror queue is pushed to its bound the whole time. The
 * router runs as `phoenix router` in its own process so its RSS is its own. Loopback only.
 *
 * Duration: PHOENIX_SOAK_SECONDS (default 15; the figures in docs/reliability.md come from 300).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile } from 'node:fs/promises';
import type http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { Pool, request } from 'undici';
import { readMetrics } from '../helpers/metrics.js';
import { freePort } from '../helpers/ports.js';
import { childPids } from '../helpers/proc.js';
import { fakeUpstream, type FakeUpstream } from '../helpers/fake-upstream.js';
import { writePlanFile } from '../helpers/plan-builder.js';
import { PHOENIX_BIN, routerArgs, routerReady } from '../helpers/router-process.js';

const SECONDS = Number(process.env.PHOENIX_SOAK_SECONDS ?? 15);
const QUEUE = 200;

let legacy: FakeUpstream;
let candidate: FakeUpstream;
let router: ChildProcess;
/** The process that serves: `phoenix router` runs it under a small launcher (bin/malloc-tuning.mjs). */
let servingPid: number;
let routerUrl: string;
let adminUrl: string;

/** A JSON answer with a request id (noise) and a nested list, like a real list endpoint. */
function answer(req: http.IncomingMessage, res: http.ServerResponse): void {
  const id = Number(/\d+/.exec(req.url ?? '')?.[0] ?? 0);
  const body = JSON.stringify({
    id,
    request_id: Math.random().toString(36).slice(2),
    items: Array.from({ length: 20 }, (_, i) => ({ i, name: `item ${id}-${i}`, tags: ['a', 'b'] })),
  });
  res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

before(async () => {
  legacy = await fakeUpstream(answer);
  candidate = await fakeUpstream((req, res) => void setTimeout(() => answer(req, res), 25));
  const [legacyUrl, newUrl] = [legacy.url, candidate.url];
  const dir = await mkdtemp(path.join(os.tmpdir(), 'phx-soak-'));
  const [port, adminPort] = [await freePort(), await freePort()];
  const plan = path.join(dir, 'plan.yaml');
  await writePlanFile(plan, {
    version: 1,
    name: 'soak',
    legacy: legacyUrl,
    approvers: ['alice'],
    // shadowMaxBusy 1: this test drives the mirror queue to its bound, which load shedding would prevent
    router: { mirrorQueue: QUEUE, mirrorConcurrency: 8, shadowMaxBusy: 1 },
    families: [
      {
        name: 'items',
        routes: ['GET /api/items/:id'],
        new: newUrl,
        diff: { ignore: ['$..request_id'] },
        parity: { sampleRate: 1 },
      },
    ],
  });
  router = spawn(process.execPath, [PHOENIX_BIN, ...routerArgs(plan, port, adminPort, path.join(dir, 'state.json'))], {
    stdio: ['ignore', 'ignore', 'inherit'],
    env: { ...process.env, PHOENIX_LOG_LEVEL: 'warn' },
  });
  routerUrl = `http://127.0.0.1:${port}`;
  adminUrl = `http://127.0.0.1:${adminPort}`;
  await routerReady(adminPort, 200);
  servingPid = (await childPids(router.pid!))[0] ?? router.pid!;
  const res = await request(`${adminUrl}/v1/families/items/route`, {
    method: 'PUT',
    body: JSON.stringify({ mode: 'shadow', percent: 0, version: 1, sampleRate: 1 }),
  });
  assert.equal(res.statusCode, 200);
  await res.body.dump();
});

after(async () => {
  if (router && router.exitCode === null) {
    const gone = new Promise((r) => router.once('exit', r));
    router.kill('SIGTERM');
    await gone;
  }
  await legacy?.close();
  await candidate?.close();
});

async function rssMb(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+)/.exec(status)![1]) / 1024;
}

test(`${SECONDS} s of shadow load: RSS stays flat, the mirror queue never passes its bound, clients get every answer`, async (ctx) => {
  const pool = new Pool(routerUrl, { connections: 32 });
  let running = true;
  let sent = 0;
  let failed = 0;
  const loop = async (k: number): Promise<void> => {
    for (let i = k; running; i += 32) {
      try {
        const res = await pool.request({ path: `/api/items/${i % 5000}`, method: 'GET' });
        await res.body.dump();
        if (res.statusCode !== 200) failed++;
      } catch {
        failed++;
      }
      sent++;
    }
  };
  const loops = Array.from({ length: 32 }, (_, k) => loop(k));
  const rss: number[] = [];
  let maxDepth = 0;
  const end = Date.now() + SECONDS * 1000;
  try {
    while (Date.now() < end) {
      await new Promise((r) => setTimeout(r, 500));
      rss.push(await rssMb(servingPid));
      maxDepth = Math.max(maxDepth, (await readMetrics(adminUrl)).get('phoenix_mirror_queue_depth') ?? 0);
    }
  } finally {
    running = false;
    await Promise.all(loops);
    await pool.close();
  }
  const m = await readMetrics(adminUrl);
  const dropped = m.get('phoenix_shadow_mirrors_dropped_total{family="items"}') ?? 0;
  const compared = m.get('phoenix_shadow_comparisons_total{family="items"}') ?? 0;
  // The first third is warm-up (JIT, pools, buffers); "flat" is judged from there to the end.
  const warm = rss[Math.floor(rss.length / 3)]!;
  const last = rss.at(-1)!;
  const peak = Math.max(...rss);
  ctx.diagnostic(
    `${sent} requests (${Math.round(sent / SECONDS)}/s), ${failed} failed; RSS start ${rss[0]!.toFixed(0)} MB, after warm-up ${warm.toFixed(0)} MB, end ${last.toFixed(0)} MB, peak ${peak.toFixed(0)} MB; ` +
      `queue depth max ${maxDepth}/${QUEUE}; ${compared} compared, ${dropped} mirrors dropped`,
  );
  assert.equal(failed, 0, 'every client request was answered');
  assert.ok(maxDepth <= QUEUE, `queue depth ${maxDepth} passed its bound ${QUEUE}`);
  assert.ok(dropped > 0, 'the load pushed the queue to its bound (otherwise this test proves nothing)');
  assert.ok(compared > 0);
  assert.ok(last - warm < 40, `RSS grew ${(last - warm).toFixed(0)} MB after warm-up`);
});
