/**
 * nginx driven by Phoenix against the plain nginx of the router benchmark: CPU time per request
 * of each nginx (master and worker, from /proc), on ≈300 B and 64 KB answers, with the family on
 * legacy and at canary 50% (TARGETS.md: ≤ 1.1× the plain nginx's CPU per request). Both nginx are
 * pinned to core 0 with one worker; the origin and the load generator share core 1. Both nginx get
 * the same fixed request rate from vegeta (`--rate`), so each does its per-request work with the
 * same batching of events; at saturation nginx's CPU per request moves with its throughput, which
 * wobbles with the origin sharing the load's core. Without vegeta (or with `--saturate`) a
 * one-thread wrk saturates each nginx instead. Rounds interleave the two nginx, so each ratio is
 * taken from neighbouring runs. Phoenix's nginx runs
 * the rendered include file as it is, JSON access log included; the agent that reads that log
 * runs in this process, and its CPU per request is reported beside the bar.
 *
 *   npm run bench:nginx-cpu [-- --rounds 5 --duration 6 --connections 32 --rate small=3000,large=2000
 *                               --saturate --out FILE]
 *
 * All wrk requests come from one address, so with the default sticky key (`ip`) canary 50% sends
 * them all to one side. Both sides are the same origin here, so nginx does the same work per
 * request whichever side the split picks: the `split_clients` hash, the upstream choice and the
 * log line.
 */
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { createNginxProvider } from '../src/nginx/provider.js';
import { parsePlan } from '../src/plan/index.js';
import { PATHS, SIZES, type Size } from './proxy/bodies.js';
import { capture, runLoad } from './proxy/load.js';
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
import { median } from './proxy/report.js';
import { parseSizeRates } from './proxy/size-rates.js';
import { findVegeta, runVegeta } from './proxy/vegeta.js';

const PROXY_CPU = '0';
const LOAD_CPU = '1';
/** The bar: Phoenix's nginx CPU per request ÷ the plain nginx's. */
const MAX_CPU_RATIO = 1.1;

const { values: args } = parseArgs({
  options: {
    rounds: { type: 'string', default: '5' },
    duration: { type: 'string', default: '6' },
    connections: { type: 'string', default: '32' },
    warmup: { type: 'string', default: '2' },
    rate: { type: 'string', default: 'small=3000,large=2000' },
    saturate: { type: 'boolean', default: false },
    out: { type: 'string', default: path.join(import.meta.dirname, 'results', 'nginx-cpu.json') },
  },
});
const rounds = Number(args.rounds);
const durationS = Number(args.duration);
const connections = Number(args.connections);
const warmupS = Number(args.warmup);
const rates = { small: 3000, large: 2000, ...parseSizeRates('--rate', args.rate) };
const vegeta = args.saturate ? undefined : findVegeta();

const log = (m: string): void => void process.stderr.write(`[bench:nginx-cpu] ${m}\n`);
const round2 = (x: number): number => Math.round(x * 100) / 100;

type Mode = 'legacy' | 'canary 50%';
type Target = 'nginx' | 'phoenix-nginx';

interface Row {
  mode: Mode;
  size: Size;
  round: number;
  target: Target;
  rps: number;
  requests: number;
  cpuUsPerReq: number;
  /** The agent's CPU (this process) per request, µs; Phoenix's nginx only. */
  agentUsPerReq?: number;
  errors: number;
  non2xx: number;
}

/** nginx with the plain benchmark's main settings, its `http {}` including Phoenix's file. */
async function startPhoenixNginx(
  originUrl: string,
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
families:
  - name: bench
    routes: ["/api/bench/*"]
    new: ${originUrl}
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
  const plain = await startNginx(origin.port, PROXY_CPU, PATHS.small);
  const phoenix = await startPhoenixNginx(originUrl);
  const rows: Row[] = [];
  try {
    const measure = async (mode: Mode, size: Size, round: number, target: Target, seconds: number): Promise<Row> => {
      const peer = target === 'nginx' ? plain : phoenix.peer;
      const before = sampleTree(peer.pid);
      const agent0 = process.cpuUsage();
      const url = `http://127.0.0.1:${peer.port}${PATHS[size]}`;
      const r =
        vegeta === undefined
          ? await runLoad('wrk', { url, durationS: seconds, connections, cpu: LOAD_CPU })
          : await runVegeta({
              bin: vegeta,
              url,
              rate: rates[size],
              durationS: seconds,
              warmupS: 0,
              connections,
              cpu: LOAD_CPU,
              capture,
            }).then((v) => ({
              requests: v.completed + v.errors,
              rps: v.completed / seconds,
              errors: v.errors,
              non2xx: v.non2xx,
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
        cpuUsPerReq: per((after.cpuS - before.cpuS) * 1e6),
        ...(target === 'phoenix-nginx' ? { agentUsPerReq: per(agent.user + agent.system) } : {}),
        errors: r.errors,
        non2xx: r.non2xx,
      };
    };
    let version = 0;
    for (const mode of ['legacy', 'canary 50%'] as const) {
      await phoenix.provider.setRoute('bench', {
        mode: mode === 'legacy' ? 'legacy' : 'canary',
        percent: mode === 'legacy' ? 0 : 50,
        version: ++version,
      });
      for (const size of SIZES)
        for (const target of ['nginx', 'phoenix-nginx'] as const) await measure(mode, size, 0, target, warmupS);
      for (let round = 1; round <= rounds; round++)
        for (const size of SIZES) {
          // Alternate which nginx goes first, so a drift of the machine does not favour one.
          const order: Target[] = round % 2 === 1 ? ['nginx', 'phoenix-nginx'] : ['phoenix-nginx', 'nginx'];
          for (const target of order) {
            const row = await measure(mode, size, round, target, durationS);
            rows.push(row);
            log(
              `${mode} ${size} round ${round} ${target}: ${row.rps} req/s, ${row.cpuUsPerReq} µs CPU/req` +
                (row.agentUsPerReq !== undefined ? `, agent ${row.agentUsPerReq} µs/req` : '') +
                (row.errors + row.non2xx > 0 ? `, ${row.errors} errors, ${row.non2xx} non-2xx` : ''),
            );
          }
        }
    }
  } finally {
    await phoenix.close();
    await plain.stop();
    await origin.stop();
  }

  const summary = (['legacy', 'canary 50%'] as const).flatMap((mode) =>
    SIZES.map((size) => {
      const of = (t: Target): Row[] => rows.filter((r) => r.mode === mode && r.size === size && r.target === t);
      const [a, b] = [of('nginx'), of('phoenix-nginx')];
      const ratios = b.map((r) => r.cpuUsPerReq / a.find((x) => x.round === r.round)!.cpuUsPerReq);
      const ratio = round2(median(ratios));
      return {
        mode,
        size,
        nginxCpuUsPerReq: round2(median(a.map((r) => r.cpuUsPerReq))),
        phoenixCpuUsPerReq: round2(median(b.map((r) => r.cpuUsPerReq))),
        agentUsPerReq: round2(median(b.map((r) => r.agentUsPerReq ?? NaN))),
        nginxRps: median(a.map((r) => r.rps)),
        phoenixRps: median(b.map((r) => r.rps)),
        cpuRatio: ratio,
        perRoundRatios: ratios.map(round2),
        pass: ratio <= MAX_CPU_RATIO,
      };
    }),
  );
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
          : `vegeta at a fixed rate: ${rates.small} req/s small, ${rates.large} req/s large`,
      pinning: { nginx: `cpu ${PROXY_CPU}`, originLoadAndAgent: `cpu ${LOAD_CPU}` },
    },
    loadavgBefore,
    loadavgAfter: os.loadavg().map(round2),
    bar: `Phoenix's nginx CPU per request ≤ ${MAX_CPU_RATIO}× the plain nginx's (median of per-round ratios)`,
    summary,
    rows,
  };
  writeFileSync(args.out, `${JSON.stringify(result, null, 2)}\n`);
  console.log('\nmode        size   nginx µs/req  phoenix µs/req  ratio  agent µs/req  verdict');
  for (const s of summary)
    console.log(
      `${s.mode.padEnd(11)} ${s.size.padEnd(6)} ${String(s.nginxCpuUsPerReq).padStart(12)} ${String(s.phoenixCpuUsPerReq).padStart(15)} ${String(s.cpuRatio).padStart(6)} ${String(s.agentUsPerReq).padStart(13)}  ${s.pass ? 'PASS' : 'FAIL'}`,
    );
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
