/**
 * Many family migrations at once on one worker: a plan with N families (each with its own
 * routes and contract case file), one router, traffic spread over every family, a local dev
 * server, and one `phoenix worker` process. Every migration runs the whole workflow: contract
 * gate, shadow, parity, a two-step ramp with analysis, decommission checks and the report.
 * Measures wall time, the worker's CPU time and peak RSS, and events per workflow history.
 */
import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, open, readFile, rm, writeFile } from 'node:fs/promises';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { Client, Connection } from '@temporalio/client';
import { Pool } from 'undici';
import { startDevServer } from '../../src/lib/dev-server.js';
import { resolveTemporalCli } from '../../src/lib/temporal-cli.js';
import { loadPlan } from '../../src/plan/index.js';
import { startRouter } from '../../src/router/server.js';
import { startMigration } from '../../src/cli/start-migration.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

export interface ScaleOptions {
  /** Families migrated at once. @default 100 */
  families?: number;
  /** Temporal address to use instead of starting a dev server. */
  temporalAddress?: string;
  /** Give up after this long (ms). @default 600000 */
  timeoutMs?: number;
  /**
   * Requests per second over all families, spread evenly in time (the gates of every family need
   * only a few a second); a family's share stops once its migration has ended. @default as fast as
   * 16 clients get answers, to every family until all have ended
   */
  requestsPerSecond?: number;
  /** File for the worker's output. @default worker.log in the run's temp folder, removed with it */
  workerLog?: string;
  log?: (line: string) => void;
}

export interface ScaleResult {
  families: number;
  completed: number;
  outcomes: Record<string, number>;
  /** Why the migrations that did not complete ended, with how many ended so. */
  reasons: Record<string, number>;
  wallMs: number;
  /** Worker process CPU time (user + system), seconds. */
  workerCpuS: number;
  workerPeakRssMb: number;
  events: { min: number; median: number; max: number };
  requestsSent: number;
  requestsFailed: number;
}

const name = (i: number): string => `f${String(i).padStart(3, '0')}`;

function answer(req: http.IncomingMessage, res: http.ServerResponse): void {
  const body = JSON.stringify({ path: req.url, items: [1, 2, 3], request_id: Math.random().toString(36).slice(2) });
  res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

async function listen(server: http.Server): Promise<string> {
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return `http://127.0.0.1:${(server.address() as { port: number }).port}`;
}

/** utime + stime (s) and VmHWM (MB) of a Linux process. */
async function procFigures(pid: number): Promise<{ cpuS: number; peakRssMb: number }> {
  const stat = (await readFile(`/proc/${pid}/stat`, 'utf8')).split(') ')[1]!.split(' ');
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  return {
    cpuS: (Number(stat[11]) + Number(stat[12])) / 100,
    peakRssMb: Number(/VmHWM:\s+(\d+)/.exec(status)![1]) / 1024,
  };
}

export async function runScale(o: ScaleOptions = {}): Promise<ScaleResult> {
  const n = o.families ?? 100;
  const log = o.log ?? (() => {});
  const dir = await mkdtemp(path.join(os.tmpdir(), 'phx-scale-'));
  const cleanups: (() => Promise<unknown>)[] = [async () => rm(dir, { recursive: true, force: true })];
  try {
    const legacy = http.createServer(answer);
    const candidate = http.createServer(answer);
    const [legacyUrl, newUrl] = [await listen(legacy), await listen(candidate)];
    cleanups.push(async () => {
      for (const s of [legacy, candidate]) {
        s.closeAllConnections();
        await new Promise((r) => s.close(r));
      }
    });

    await mkdir(path.join(dir, 'contracts'));
    const { freePort } = await import('../../test/helpers/ports.js');
    const [port, adminPort] = [await freePort(), await freePort()];
    const families: string[] = [];
    for (let i = 1; i <= n; i++) {
      await writeFile(
        path.join(dir, 'contracts', `${name(i)}.yaml`),
        `cases:\n  - name: one item\n    request: { path: /api/${name(i)}/1 }\n    expect: { status: 200 }\n`,
      );
      families.push(`  - name: ${name(i)}
    routes: ["GET /api/${name(i)}/:id"]
    new: ${newUrl}
    contracts: ["contracts/${name(i)}.yaml"]
    # 100 migrations share two cores here: contract-run timings measure the load, not the services.
    diff: { ignore: ["$..request_id"], learnNoise: false, latency: { repetitions: 0 } }
    sticky: { header: x-user }
    # Zero thresholds are rules (no mismatch, no failure in the samples): the traffic per family
    # here is a few requests a second, far too little to bound a 1% rate.
    parity: { minSamples: 20, maxMismatchRate: 0, maxP95Ratio: 50, latency: { maxShiftMs: 500, minSamples: 5 }, timeout: 5m, pollInterval: 2s }
    ramp:
      analysisInterval: 2s
      evidenceTimeout: 60s
      steps: [{ percent: 50, bake: 5s }, { percent: 100, bake: 3s }]
    slo: { minRequests: 5, minUsers: 5, maxErrorRate: 0, maxMismatchRate: 0, maxP95Ratio: 50, latency: { maxShiftMs: 500, minSamples: 5 } }
    approveRampStart: false
    decommission: { checks: [no-legacy-traffic, route-pinned-new], noLegacyTrafficFor: 2s }`);
    }
    await writeFile(
      path.join(dir, 'plan.yaml'),
      `version: 1
name: scale
legacy: ${legacyUrl}
approvers: [bench]
# shadowMaxBusy 1: the router shares this process with the worker and the traffic; that busy time is not its own
router: { publicUrl: "http://127.0.0.1:${port}", adminUrl: "http://127.0.0.1:${adminPort}", stateFile: state.json, shadowMaxBusy: 1 }
families:
${families.join('\n')}
`,
    );
    const plan = await loadPlan(path.join(dir, 'plan.yaml'));
    const router = await startRouter({
      plan,
      port,
      adminPort,
      insecureAdmin: true,
      stateFile: path.join(dir, 'state.json'),
    });
    cleanups.push(() => router.close());

    let address = o.temporalAddress;
    if (!address) {
      const server = await startDevServer({
        cli: await resolveTemporalCli(),
        port: await freePort(),
        headless: true,
        dbFile: ':memory:',
      });
      cleanups.push(() => server.stop());
      address = server.address;
    }
    const taskQueue = `scale-${process.pid}-${Date.now()}`;
    const logFile = o.workerLog ?? path.join(dir, 'worker.log');
    await mkdir(path.dirname(logFile), { recursive: true });
    const logFd = await open(logFile, 'w');
    cleanups.push(() => logFd.close());
    log(`worker log: ${path.relative(process.cwd(), logFile)}`);
    const worker = spawn(
      process.execPath,
      [
        path.join(ROOT, 'bin', 'phoenix.mjs'),
        'worker',
        '--task-queue',
        taskQueue,
        '--report-dir',
        path.join(dir, 'reports'),
      ],
      {
        stdio: ['ignore', logFd.fd, logFd.fd],
        env: { ...process.env, TEMPORAL_ADDRESS: address, PHOENIX_LOG_LEVEL: 'warn' },
      },
    );
    const workerGone = new Promise((r) => worker.once('exit', r));
    cleanups.push(async () => {
      if (worker.exitCode === null && worker.signalCode === null) worker.kill('SIGTERM');
      await workerGone;
    });

    // Traffic over every family, as users would keep sending it during the migrations.
    const pool = new Pool(router.url, { connections: 16 });
    let running = true;
    let sent = 0;
    let failed = 0;
    let next = 0;
    /** Families whose migration has ended: their traffic stops, the others' goes on at its pace. */
    const ended = new Set<number>();
    const trafficStart = performance.now();
    const pace = o.requestsPerSecond === undefined ? undefined : 1000 / o.requestsPerSecond;
    const loops = Array.from({ length: 16 }, async () => {
      while (running) {
        const i = next++;
        if (pace !== undefined) {
          const wait = trafficStart + i * pace - performance.now();
          if (wait > 0) await sleep(wait);
          if (!running) break;
          // After the wait, so a loop over ended families still yields.
          if (ended.has(i % n)) continue;
        }
        try {
          const res = await pool.request({
            path: `/api/${name((i % n) + 1)}/${i % 50}`,
            method: 'GET',
            headers: { 'x-user': `user-${i % 997}` },
          });
          await res.body.dump();
          if (res.statusCode >= 500) failed++;
        } catch {
          failed++;
        }
        sent++;
      }
    });
    cleanups.push(async () => {
      running = false;
      await Promise.all(loops);
      await pool.close();
    });

    const connection = await Connection.connect({ address });
    cleanups.push(() => connection.close());
    const client = new Client({ connection });
    const t0 = Date.now();
    const started = await Promise.all(
      plan.families.map((f) => startMigration({ client, plan, family: f.name, taskQueue })),
    );
    log(`started ${started.length} migrations on task queue ${taskQueue}`);
    const deadline = setTimeout(() => worker.kill('SIGKILL'), o.timeoutMs ?? 600_000);
    const results = await Promise.all(
      started.map((s, k) =>
        s.handle.result().finally(() => {
          if (o.requestsPerSecond !== undefined) ended.add(k);
        }),
      ),
    );
    clearTimeout(deadline);
    const wallMs = Date.now() - t0;
    const proc = await procFigures(worker.pid!);
    const events = (
      await Promise.all(started.map(async (s) => (await s.handle.fetchHistory()).events?.length ?? 0))
    ).sort((a, b) => a - b);
    const outcomes: Record<string, number> = {};
    const reasons: Record<string, number> = {};
    for (const r of results) {
      outcomes[r.outcome] = (outcomes[r.outcome] ?? 0) + 1;
      if (r.outcome !== 'completed') {
        const why = `${r.type ?? ''}: ${r.reason ?? ''}`;
        reasons[why] = (reasons[why] ?? 0) + 1;
      }
    }
    return {
      families: n,
      completed: outcomes.completed ?? 0,
      outcomes,
      reasons,
      wallMs,
      workerCpuS: proc.cpuS,
      workerPeakRssMb: Math.round(proc.peakRssMb),
      events: { min: events[0]!, median: events[Math.floor(events.length / 2)]!, max: events.at(-1)! },
      requestsSent: sent,
      requestsFailed: failed,
    };
  } finally {
    for (const c of cleanups.reverse()) await c().catch(() => undefined);
  }
}
