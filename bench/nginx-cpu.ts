/**
 * nginx driven by Phoenix against the plain nginx of the router benchmark: CPU time per request
 * of each nginx (master and worker, from the scheduler's /proc/<pid>/task/<tid>/schedstat), on
 * ≈300 B and 64 KB answers, with the family on legacy and at canary 50% (TARGETS.md: ≤ 1.1× the
 * plain nginx's CPU per request). Both nginx are pinned to core 0 with one worker and PCRE's JIT
 * on (docs/nginx.md asks it of operators); the origin and the load generator share core 1.
 *
 * Legacy and canary run the two nginx side by side: each round loads both at once, each with half
 * of `--rate` from its own vegeta, so a drift of the machine (steal, frequency, the load's core)
 * hits both alike and the per-round ratio compares like with like. Run one after the other, the
 * same configuration's ratios spread from 0.75× to 1.48× on this kind of machine; side by side,
 * by about ±0.03. Without vegeta (or with `--saturate`) a one-thread wrk per nginx saturates them
 * instead. Phoenix's nginx runs the rendered include file as it is, JSON access log included; the
 * agent that reads that log runs in this process, and its CPU per request is reported beside the
 * bar. At canary 50% each request names one of 1,000 users in the family's sticky header, so
 * about half go to new through its named location, and the share nginx sent to new (from its
 * log) is reported.
 *
 * Shadow at 10% sampling (the cost is reported, not held to the bar): Phoenix's nginx with the
 * family in shadow at sampleRate 0.1 mirrors to a real `phoenix comparator --serve` on the load's
 * core, against the plain nginx and a second Phoenix nginx in legacy mode in the same rounds, one
 * nginx at a time at the full `--shadow-rate` (the client's latencies would blur on a shared core). It
 * adds the comparator's CPU per comparison, the share of sampled requests compared, and the
 * client's p50/p90/p99 (vegeta) beside legacy mode's (`bench/proxy/nginx-shadow.ts`). With
 * `--null-mirror`, a third Phoenix nginx in shadow mirrors to a target that answers `204` and does
 * nothing else (`bench/proxy/null-mirror.ts`, on the load's core too): its client latencies are
 * what nginx's `mirror` costs the client without the comparator's work beside the load.
 * `--comparator-cpu 0` runs the comparator (and the null mirror) on nginx's core instead, which
 * the fixed rate leaves mostly idle: the layout a production comparator with CPU to spare has.
 *
 *   npm run bench:nginx-cpu [-- --rounds 5 --duration 6 --connections 32 --rate small=3000,large=1200
 *                               --modes legacy,canary,shadow --shadow-rate small=N,large=M
 *                               --queue 1000 --null-mirror --comparator-cpu 1 --saturate --out FILE]
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { createNginxProvider } from '../src/nginx/provider.js';
import { parsePlan } from '../src/plan/index.js';
import { PATHS, SIZES, type Size } from './proxy/bodies.js';
import { capture, runLoad } from './proxy/load.js';
import {
  MAX_CPU_RATIO,
  printSummary,
  SAMPLE_RATE,
  summarize,
  type Mode,
  type Row,
  type Target,
} from './proxy/nginx-cpu-summary.js';
import { comparatorWindow, startShadowComparator } from './proxy/nginx-shadow.js';
import {
  ensureCommand,
  freePort,
  killAll,
  nginxMainConfig,
  nginxPrefix,
  runNginx,
  startNginx,
  startNode,
  version,
  type Peer,
} from './proxy/peers.js';
import { sampleTree } from './proxy/proc.js';
import { parseSizeRates } from './proxy/size-rates.js';
import { findVegeta, runVegeta } from './proxy/vegeta.js';

const PROXY_CPU = '0';
const LOAD_CPU = '1';

const { values: args } = parseArgs({
  options: {
    rounds: { type: 'string', default: '5' },
    duration: { type: 'string', default: '6' },
    connections: { type: 'string', default: '32' },
    warmup: { type: 'string', default: '2' },
    rate: { type: 'string', default: 'small=3000,large=1200' },
    modes: { type: 'string', default: 'legacy,canary,shadow' },
    'shadow-rate': { type: 'string' },
    queue: { type: 'string', default: '1000' },
    saturate: { type: 'boolean', default: false },
    'null-mirror': { type: 'boolean', default: false },
    'comparator-cpu': { type: 'string', default: '1' },
    out: { type: 'string', default: path.join(import.meta.dirname, 'results', 'nginx-cpu.json') },
  },
});
const rounds = Number(args.rounds);
const durationS = Number(args.duration);
const connections = Number(args.connections);
const warmupS = Number(args.warmup);
const rates = { small: 3000, large: 1200, ...parseSizeRates('--rate', args.rate) };
/** The shadow mode's fixed rate: `--rate`'s unless `--shadow-rate` says otherwise. */
const shadowRates = { ...rates, ...parseSizeRates('--shadow-rate', args['shadow-rate']) };
/** The comparator's `--queue` (router.mirrorQueue's default). */
const queue = Number(args.queue);
const MODE_FLAGS = { legacy: 'legacy', canary: 'canary 50%', shadow: 'shadow 10%' } as const;
const modes = (args.modes ?? '').split(',').map((m) => {
  const mode = MODE_FLAGS[m.trim() as keyof typeof MODE_FLAGS];
  if (mode === undefined) throw new Error(`--modes: expected legacy, canary or shadow, got "${m}"`);
  return mode;
});
const FAMILY = 'bench';
/** The family's sticky key; at canary 50% each request names one of {@link USERS} users in it. */
const KEY_HEADER = 'X-Bench-User';
const USERS = 1000;
const vegeta = args.saturate ? undefined : findVegeta();

const log = (m: string): void => void process.stderr.write(`[bench:nginx-cpu] ${m}\n`);
const round2 = (x: number): number => Math.round(x * 100) / 100;

/** nginx with the plain benchmark's main settings, its `http {}` including Phoenix's file. */
async function startPhoenixNginx(
  originUrl: string,
  comparatorUrl?: string,
): Promise<{ peer: Peer; provider: Awaited<ReturnType<typeof createNginxProvider>>; close(): Promise<void> }> {
  const dir = nginxPrefix('phx-nginx-cpu-');
  const mainConfig = path.join(dir, 'nginx.conf');
  const includeFile = path.join(dir, 'phoenix.conf');
  writeFileSync(
    mainConfig,
    nginxMainConfig(
      dir,
      `  # The plain nginx's buffering, set where an operator sets it: Phoenix's server inherits it.
  proxy_buffer_size 16k;
  proxy_buffers 8 16k;
  proxy_busy_buffers_size 32k;
  include ${includeFile};`,
    ),
  );
  const port = await freePort();
  const control = await freePort();
  const plan = await parsePlan(
    `version: 1
name: bench
legacy: ${originUrl}
approvers: [bench]
dataPlane:
  kind: nginx
  includeFile: ${includeFile}
  mainConfig: ${mainConfig}
  prefix: ${dir}
  listen: 127.0.0.1:${port}
  controlListen: 127.0.0.1:${control}
  accessLog: ${path.join(dir, 'logs', 'phoenix.json.log')}
${comparatorUrl === undefined ? '' : `  comparatorUrl: ${comparatorUrl}\n`}families:
  - name: ${FAMILY}
    routes: ["/api/bench/*"]
    new: ${originUrl}
    sticky: { header: ${KEY_HEADER} }
`,
    path.join(dir, 'plan.yaml'),
    'plan.yaml',
  );
  if (plan.dataPlane.kind !== 'nginx') throw new Error('expected an nginx data plane');
  const provider = await createNginxProvider({
    legacy: plan.legacy,
    families: plan.families,
    dataPlane: plan.dataPlane,
  });
  await provider.install();
  const peer = await runNginx('phoenix-nginx', dir, PROXY_CPU, port, PATHS.small);
  return {
    peer,
    provider,
    async close() {
      await provider.close();
      await peer.stop();
    },
  };
}

async function main(): Promise<void> {
  if (!ensureCommand('nginx', 'nginx', log) || (vegeta === undefined && !ensureCommand('wrk', 'wrk', log)))
    throw new Error('nginx and wrk (or vegeta, bench/README.md) are needed: apt-get install nginx wrk');
  // The agent reads nginx's log in this process: on the load's core, as the origin, so that its
  // wake-ups every flush do not land on nginx's core and inflate what nginx is measured to cost.
  spawnSync('taskset', ['-a', '-pc', LOAD_CPU, String(process.pid)], { stdio: 'ignore' });
  const loadavgBefore = os.loadavg().map(round2);
  const origin = await startNode('origin', 'origin.ts', [], LOAD_CPU, process.env);
  const originUrl = `http://127.0.0.1:${origin.port}`;
  const shadowing = modes.includes('shadow 10%');
  // By default the comparator shares the load's core with the origin and the load generator, not
  // nginx's; `--comparator-cpu 0` moves it (and the null mirror) to nginx's core, which the load leaves mostly idle.
  const comparatorCpu = args['comparator-cpu'];
  const comparator = shadowing ? await startShadowComparator(FAMILY, originUrl, comparatorCpu, queue) : undefined;
  const plain = await startNginx(origin.port, PROXY_CPU, PATHS.small);
  const phoenix = await startPhoenixNginx(
    originUrl,
    comparator === undefined ? undefined : `http://127.0.0.1:${comparator.port}`,
  );
  // Legacy mode beside shadow in the same rounds, for the client's latencies and CPU.
  const legacyMode = shadowing ? await startPhoenixNginx(originUrl) : undefined;
  const nullTarget =
    shadowing && args['null-mirror']
      ? await startNode('null-mirror', 'null-mirror.ts', [], comparatorCpu, process.env)
      : undefined;
  const nullMirror = nullTarget ? await startPhoenixNginx(originUrl, `http://127.0.0.1:${nullTarget.port}`) : undefined;
  await nullMirror?.provider.setRoute(FAMILY, { mode: 'shadow', percent: 0, sampleRate: SAMPLE_RATE, version: 1 });
  // Applied once, so that its agent follows its log as in production.
  await legacyMode?.provider.setRoute(FAMILY, { mode: 'legacy', percent: 0, version: 1 });
  const latencyDir = mkdtempSync(path.join(os.tmpdir(), 'phx-nginx-cpu-lat-'));
  const latencyFiles = new Map<string, string[]>();
  const rows: Row[] = [];
  try {
    const measure = async (mode: Mode, size: Size, round: number, target: Target, seconds: number): Promise<Row> => {
      const peer =
        target === 'nginx'
          ? plain
          : target === 'phoenix-nginx'
            ? phoenix.peer
            : target === 'phoenix-nginx-null-mirror'
              ? nullMirror!.peer
              : legacyMode!.peer;
      const mirrors =
        mode === 'shadow 10%' && target === 'phoenix-nginx' ? await comparatorWindow(comparator!, FAMILY) : undefined;
      const before = sampleTree(peer.pid);
      const counted0 = mode === 'canary 50%' && target === 'phoenix-nginx' ? onNew() : undefined;
      const agent0 = process.cpuUsage();
      const url = `http://127.0.0.1:${peer.port}${PATHS[size]}`;
      const key = `${mode} ${size} ${target}`;
      const saveAs =
        round > 0 && vegeta !== undefined ? path.join(latencyDir, `${rows.length}-${target}.bin`) : undefined;
      if (saveAs !== undefined) latencyFiles.set(key, [...(latencyFiles.get(key) ?? []), saveAs]);
      const r =
        vegeta === undefined
          ? await runLoad('wrk', { url, durationS: seconds, connections, cpu: LOAD_CPU })
          : await runVegeta({
              bin: vegeta,
              url,
              // Side by side, the two nginx share `--rate` (legacy, canary); shadow's run one at a time.
              rate: mode === 'shadow 10%' ? shadowRates[size] : rates[size] / 2,
              durationS: seconds,
              warmupS: 0,
              connections,
              cpu: LOAD_CPU,
              saveAs,
              capture,
              ...(mode === 'canary 50%' ? { keys: { header: KEY_HEADER, count: USERS } } : {}),
            }).then((v) => ({
              requests: v.completed + v.errors,
              rps: v.completed / seconds,
              errors: v.errors,
              non2xx: v.non2xx,
              p50Us: v.p50Us,
              p90Us: v.p90Us,
              p99Us: v.p99Us,
            }));
      const agent = process.cpuUsage(agent0);
      const after = sampleTree(peer.pid);
      const per = (us: number): number => round2(r.requests > 0 ? us / r.requests : NaN);
      return {
        mode,
        size,
        round,
        target,
        rps: Math.round(r.rps),
        requests: r.requests,
        cpuUsPerReq: per((after.runNs - before.runNs) / 1000),
        ...(target !== 'nginx' ? { agentUsPerReq: per(agent.user + agent.system) } : {}),
        errors: r.errors,
        non2xx: r.non2xx,
        ...('p90Us' in r ? { p50Us: r.p50Us, p90Us: r.p90Us, p99Us: r.p99Us } : {}),
        ...(mirrors !== undefined ? { comparator: await mirrors.close(r.requests) } : {}),
        ...(counted0 !== undefined ? { newShare: await newShareSince(counted0) } : {}),
      };
    };
    /** Requests of the family nginx's log has shown the agent so far: on new, and in all. */
    const onNew = (): { onNew: number; all: number } => {
      const c = phoenix.provider.clientCounters(FAMILY).requests;
      const sum = (xs: readonly number[]): number => xs.reduce((a, b) => a + b, 0);
      return { onNew: sum(c.new), all: sum(c.new) + sum(c.legacy) };
    };
    /** The share of requests on new since `from`, once the agent has read the run's last log lines. */
    const newShareSince = async (from: { onNew: number; all: number }): Promise<number> => {
      await new Promise((r) => setTimeout(r, 500)); // nginx flushes its log every 100 ms; the agent polls every 250 ms
      const now = onNew();
      return round2((now.onNew - from.onNew) / Math.max(1, now.all - from.all));
    };
    let version = 0;
    for (const mode of modes) {
      await phoenix.provider.setRoute(FAMILY, {
        mode: mode === 'legacy' ? 'legacy' : mode === 'shadow 10%' ? 'shadow' : 'canary',
        percent: mode === 'canary 50%' ? 50 : 0,
        sampleRate: mode === 'shadow 10%' ? SAMPLE_RATE : undefined,
        version: ++version,
      });
      const targets: Target[] =
        mode !== 'shadow 10%'
          ? ['nginx', 'phoenix-nginx']
          : nullMirror
            ? ['nginx', 'phoenix-nginx', 'phoenix-nginx-legacy', 'phoenix-nginx-null-mirror']
            : ['nginx', 'phoenix-nginx', 'phoenix-nginx-legacy'];
      // Legacy and canary measure CPU: both nginx take their load at the same time, side by side
      // on their core, so a drift of the machine (steal, frequency, the load's core) hits both.
      // Shadow measures the client's latency too, which two nginx sharing a core would blur.
      if (mode !== 'shadow 10%') {
        for (const size of SIZES) await Promise.all(targets.map((t) => measure(mode, size, 0, t, warmupS)));
        for (let round = 1; round <= rounds; round++)
          for (const size of SIZES) {
            const pair = await Promise.all(targets.map((t) => measure(mode, size, round, t, durationS)));
            for (const row of pair) logRow(row);
            rows.push(...pair);
          }
        continue;
      }
      for (const size of SIZES) for (const target of targets) await measure(mode, size, 0, target, warmupS);
      for (let round = 1; round <= rounds; round++)
        for (const size of SIZES) {
          // Rotate which nginx goes first, so a drift of the machine does not favour one.
          const k = (round - 1) % targets.length;
          const order = [...targets.slice(k), ...targets.slice(0, k)];
          for (const target of order) {
            const row = await measure(mode, size, round, target, durationS);
            rows.push(row);
            logRow(row);
          }
        }
    }
    report(await summarize(rows, latencyFiles, modes, shadowRates), rows, loadavgBefore);
  } finally {
    await phoenix.close();
    await legacyMode?.close();
    await nullMirror?.close();
    await nullTarget?.stop();
    await comparator?.stop();
    await plain.stop();
    await origin.stop();
    rmSync(latencyDir, { recursive: true, force: true });
  }
}

function logRow(row: Row): void {
  const c = row.comparator;
  log(
    `${row.mode} ${row.size} round ${row.round} ${row.target}: ${row.rps} req/s, ${row.cpuUsPerReq} µs CPU/req` +
      (row.agentUsPerReq !== undefined ? `, agent ${row.agentUsPerReq} µs/req` : '') +
      (row.newShare !== undefined ? `, ${row.newShare} on new` : '') +
      (row.p99Us !== undefined ? `, p50/p90/p99 ${row.p50Us}/${row.p90Us}/${row.p99Us} µs` : '') +
      (c !== undefined
        ? `; mirrored ${c.sampledShare}, compared ${c.comparedShare} of them (${c.pendingAtEnd} pending at the end), comparator ${c.cpuUsPerComparison} µs CPU/comparison`
        : '') +
      (row.errors + row.non2xx > 0 ? `, ${row.errors} errors, ${row.non2xx} non-2xx` : ''),
  );
}

function report(summary: Awaited<ReturnType<typeof summarize>>, rows: Row[], loadavgBefore: number[]): void {
  const result = {
    date: new Date().toISOString(),
    machine: `${os.cpus().length}× ${os.cpus()[0]?.model ?? 'cpu'}`,
    nginx: version('nginx', '-v'),
    wrk: version('wrk', '-v'),
    settings: {
      rounds,
      durationS,
      connections,
      warmupS,
      load:
        vegeta === undefined
          ? 'wrk, saturating'
          : `vegeta at a fixed rate: ${rates.small} req/s small, ${rates.large} req/s large, shared by the two nginx side by side in legacy and canary` +
            (modes.includes('shadow 10%') ? `; shadow ${shadowRates.small} and ${shadowRates.large}` : ''),
      pinning: {
        nginx: `cpu ${PROXY_CPU}`,
        originLoadAndAgent: `cpu ${LOAD_CPU}`,
        comparator: `cpu ${args['comparator-cpu']}`,
      },
      nullMirror: args['null-mirror'],
      comparatorQueue: queue,
    },
    loadavgBefore,
    loadavgAfter: os.loadavg().map(round2),
    bar: `Phoenix's nginx CPU per request ≤ ${MAX_CPU_RATIO}× the plain nginx's (median of per-round ratios); shadow 10% reported`,
    summary,
    rows,
  };
  writeFileSync(args.out, `${JSON.stringify(result, null, 2)}\n`);
  printSummary(summary);
  console.log(`results: ${path.relative(process.cwd(), args.out)}`);
}

process.on('SIGINT', () => {
  killAll();
  process.exit(130);
});
main().catch((err: unknown) => {
  killAll();
  console.error(err);
  process.exit(1);
});
