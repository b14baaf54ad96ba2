/**
 * The shadow comparator's throughput, against the built-in router's shadow pipeline in the same
 * run (the comparator reuses that pipeline). `phoenix comparator --serve` is started from the CLI
 * and sent mirrored GETs as nginx's `mirror` sends them (`X-Phoenix-Family` named, keep-alive; it
 * answers each 204 at once); the router gets client GETs in shadow mode at 100% sampling, and a
 * second router in legacy mode gives the client path's own CPU per request. The comparator and
 * the routers are pinned to core 0; both origins (legacy, new) and the load generator share core 1.
 *
 *   npm run bench:comparator [-- --rounds 3 --duration 6 --connections 32 --queue 64 --out FILE]
 *
 * Two phases, each in interleaved rounds (the targets' order rotated by one each round):
 * - saturated: one-thread wrk, closed loop. Comparisons per second while the load runs, and the
 *   share of sampled requests shed (no free slot; on the router also its admission past
 *   `router.shadowMaxBusy`).
 * - half load: an open-loop fixed rate (vegeta when installed), half the comparator's median
 *   saturated comparisons per second, the same rate for every target: CPU per comparison with
 *   (almost) nothing shed.
 * CPU is the process tree's from the load's start until its comparisons drained. Legacy's extra
 * load is what legacy served beyond the clients' requests, per comparison: the comparator sends
 * every sample to legacy itself, the router reuses the client's answer (both add noise samples).
 */
import { writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { PATHS, SIZES, type Size } from './proxy/bodies.js';
import { startComparator } from './proxy/comparator-peer.js';
import { runFixedRate, runLoad } from './proxy/load.js';
import { ensureCommand, killAll, startNode, version, type Peer } from './proxy/peers.js';
import { sampleTree } from './proxy/proc.js';
import { median } from './proxy/report.js';
import { GLIBC_TUNABLES } from './proxy/tunables.js';
import { findVegeta } from './proxy/vegeta.js';

const PROXY_CPU = '0';
const LOAD_CPU = '1';
const FAMILY = 'bench';

const { values: args } = parseArgs({
  options: {
    rounds: { type: 'string', default: '3' },
    duration: { type: 'string', default: '6' },
    connections: { type: 'string', default: '32' },
    warmup: { type: 'string', default: '2' },
    queue: { type: 'string', default: '64' },
    out: { type: 'string', default: path.join(import.meta.dirname, 'results', 'comparator.json') },
  },
});
const rounds = Number(args.rounds);
const durationS = Number(args.duration);
const connections = Number(args.connections);
const warmupS = Number(args.warmup);
/**
 * The comparator's `--queue`. The default 1000 does not raise its throughput, only the backlog it
 * compares after each saturated run, on the core the next target is measured on.
 */
const queue = Number(args.queue);

const log = (m: string): void => void process.stderr.write(`[bench:comparator] ${m}\n`);
const r2 = (x: number): number | null => (Number.isFinite(x) ? Math.round(x * 100) / 100 : null);
const r3 = (x: number): number | null => (Number.isFinite(x) ? Math.round(x * 1000) / 1000 : null);
const med = (xs: (number | null | undefined)[]): number | null =>
  r2(median(xs.filter((x): x is number => typeof x === 'number' && Number.isFinite(x))));

type Target = 'comparator' | 'phoenix-shadow' | 'phoenix';
type Phase = 'saturated' | 'half load';
const TARGETS: readonly Target[] = ['comparator', 'phoenix-shadow', 'phoenix'];

interface Row {
  phase: Phase;
  size: Size;
  round: number;
  target: Target;
  /** Requests the load completed per second: mirrors for the comparator, clients' for the routers. */
  rps: number;
  requests: number;
  /** The process tree's CPU per request the load completed, µs. */
  cpuUsPerReq: number | null;
  sampled?: number;
  compared?: number;
  dropped?: number;
  /** Comparisons merged while the load ran, per second. */
  comparisonsPerS?: number | null;
  /** Samples still pending when the load ended: > 0 means the pipeline had work throughout. */
  pendingAtEnd?: number;
  /** dropped ÷ sampled. */
  shedShare?: number | null;
  /** CPU from the load's start until its comparisons drained ÷ comparisons, µs. */
  cpuUsPerComparison?: number | null;
  /** Requests legacy served beyond the clients' (for the comparator, all of them) per comparison. */
  legacyExtraPerComparison?: number | null;
  /** Requests new served per comparison. */
  newPerComparison?: number | null;
  errors: number;
  non2xx: number;
}

interface Stats {
  stats: { shadow: { sampled?: number; dropped: number }; parity: { samples: number } };
}

async function json(url: string, method = 'GET', body?: unknown): Promise<unknown> {
  const r = await fetch(url, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await r.text();
  if (r.status >= 300) throw new Error(`${method} ${url} → ${r.status} ${text}`);
  return JSON.parse(text) as unknown;
}

const served = async (origin: Peer): Promise<number> =>
  ((await json(`http://127.0.0.1:${origin.port}/__count`)) as { served: number }).served;

async function main(): Promise<void> {
  if (!ensureCommand('wrk', 'wrk', log)) throw new Error('wrk is needed: apt-get install wrk');
  const loadavgBefore = os.loadavg().map(r2);
  const env = { ...process.env, GLIBC_TUNABLES, PHOENIX_LOG_LEVEL: 'warn' };
  const legacy = await startNode('legacy-origin', 'origin.ts', [], LOAD_CPU, env);
  const fresh = await startNode('new-origin', 'origin.ts', [], LOAD_CPU, env);
  const [legacyUrl, newUrl] = [legacy, fresh].map((o) => `http://127.0.0.1:${o.port}`) as [string, string];
  const routerArgs = ['--legacy', legacyUrl, '--new', newUrl];
  const comparator = await startComparator(FAMILY, legacyUrl, newUrl, PROXY_CPU, queue);
  const shadow = await startNode('phoenix-shadow', 'phoenix.ts', routerArgs, PROXY_CPU, env);
  const plain = await startNode('phoenix', 'phoenix.ts', routerArgs, PROXY_CPU, env);
  const shadowAdmin = String(shadow.info.adminUrl);
  await json(`${shadowAdmin}/v1/families/${FAMILY}/route`, 'PUT', {
    mode: 'shadow',
    percent: 0,
    version: 1,
    sampleRate: 1,
  });
  const peers: Record<Target, { port: number; pid: number; admin?: string }> = {
    comparator: { port: comparator.port, pid: comparator.pid, admin: comparator.adminUrl },
    'phoenix-shadow': { port: shadow.port, pid: shadow.pid, admin: shadowAdmin },
    phoenix: { port: plain.port, pid: plain.pid },
  };
  const rows: Row[] = [];
  const rates: Partial<Record<Size, number>> = {};
  try {
    // One mirror by hand: answered 204 at once, then compared.
    const probe = await fetch(`http://127.0.0.1:${comparator.port}${PATHS.small}`, {
      headers: { 'x-phoenix-family': FAMILY },
    });
    if (probe.status !== 204) throw new Error(`the comparator answered a mirror with ${probe.status}`);
    await json(`${comparator.adminUrl}/v1/families/${FAMILY}/comparisons?wait=10000`);
    const first = (await json(`${comparator.adminUrl}/v1/families/${FAMILY}/stats`)) as Stats;
    if (first.stats.parity.samples !== 1) throw new Error('the comparator did not compare the probe mirror');

    const measure = async (phase: Phase, size: Size, round: number, target: Target, seconds: number): Promise<Row> => {
      const p = peers[target];
      const fam = p.admin === undefined ? undefined : `${p.admin}/v1/families/${FAMILY}`;
      if (fam) await json(`${fam}/stats`, 'DELETE');
      const [cpu0, legacy0, new0] = [sampleTree(p.pid), await served(legacy), await served(fresh)];
      const load = {
        url: `http://127.0.0.1:${p.port}${PATHS[size]}`,
        durationS: seconds,
        connections,
        cpu: LOAD_CPU,
        // As nginx's mirror names it (the comparator matches the path either way).
        headers: target === 'comparator' ? [`X-Phoenix-Family: ${FAMILY}`] : [],
      };
      const r =
        phase === 'saturated'
          ? await runLoad('wrk', load)
          : await runFixedRate({ ...load, rate: rates[size]!, warmupS: 0 }).then((x) => ({
              requests: x.completed,
              durationS: seconds,
              rps: x.completed / seconds,
              errors: x.errors,
              non2xx: x.non2xx,
            }));
      const duringLoad = fam ? ((await json(`${fam}/stats`)) as Stats).stats.parity.samples : 0;
      const pendingAtEnd = fam ? ((await json(`${fam}/comparisons`)) as { pending: number }).pending : 0;
      if (fam) await json(`${fam}/comparisons?wait=60000`);
      const cpuUs = (sampleTree(p.pid).cpuS - cpu0.cpuS) * 1e6;
      const row: Row = {
        phase,
        size,
        round,
        target,
        rps: Math.round(r.rps),
        requests: r.requests,
        cpuUsPerReq: r2(cpuUs / r.requests),
        errors: r.errors,
        non2xx: r.non2xx,
      };
      if (!fam) return row;
      const { stats } = (await json(`${fam}/stats`)) as Stats;
      const compared = stats.parity.samples;
      const sampled = stats.shadow.sampled ?? NaN;
      const clients = target === 'comparator' ? 0 : r.requests;
      return {
        ...row,
        sampled,
        compared,
        dropped: stats.shadow.dropped,
        comparisonsPerS: r2(duringLoad / r.durationS),
        pendingAtEnd,
        shedShare: r3(stats.shadow.dropped / sampled),
        cpuUsPerComparison: r2(cpuUs / compared),
        legacyExtraPerComparison: r3(((await served(legacy)) - legacy0 - clients) / compared),
        newPerComparison: r3(((await served(fresh)) - new0) / compared),
      };
    };

    const phase = async (name: Phase): Promise<void> => {
      for (let round = 1; round <= rounds; round++)
        for (const size of SIZES) {
          const k = (round - 1) % TARGETS.length;
          for (const target of [...TARGETS.slice(k), ...TARGETS.slice(0, k)]) {
            const row = await measure(name, size, round, target, durationS);
            rows.push(row);
            log(
              `${name} ${size} round ${round} ${target}: ${row.rps} req/s, ${row.cpuUsPerReq} µs CPU/req` +
                (row.compared !== undefined
                  ? `; ${row.comparisonsPerS} comparisons/s (${row.pendingAtEnd} pending at the end), shed ${row.shedShare}, ${row.cpuUsPerComparison} µs CPU/comparison, legacy +${row.legacyExtraPerComparison}/comparison`
                  : '') +
                (row.errors + row.non2xx > 0 ? `, ${row.errors} errors, ${row.non2xx} non-2xx` : ''),
            );
          }
        }
    };
    for (const size of SIZES) for (const target of TARGETS) await measure('saturated', size, 0, target, warmupS);
    await phase('saturated');
    for (const size of SIZES) {
      const c = med(rows.filter((r) => r.size === size && r.target === 'comparator').map((r) => r.comparisonsPerS));
      rates[size] = Math.max(10, Math.round((c ?? 20) / 2));
      log(`half load ${size}: ${rates[size]} req/s (half the comparator's saturated comparisons/s)`);
    }
    await phase('half load');
  } finally {
    await comparator.stop();
    for (const p of [shadow, plain, legacy, fresh]) await p.stop();
  }
  const summary = summarize(rows, rates);
  const result = {
    date: new Date().toISOString(),
    machine: `${os.cpus().length}× ${os.cpus()[0]?.model ?? 'cpu'}`,
    wrk: version('wrk', '-v'),
    halfLoadGenerator: findVegeta() ? 'vegeta' : 'fixed-rate.ts (sends no X-Phoenix-Family; the path matches)',
    settings: {
      rounds,
      durationS,
      connections,
      warmupS,
      slots: `comparator: --queue ${queue} + router.mirrorConcurrency 32; router: router.mirrorQueue 1000 + router.mirrorConcurrency 32`,
      pinning: { comparatorAndRouters: `cpu ${PROXY_CPU}`, originsAndLoad: `cpu ${LOAD_CPU}` },
    },
    loadavgBefore,
    loadavgAfter: os.loadavg().map(r2),
    summary,
    rows,
  };
  writeFileSync(args.out, `${JSON.stringify(result, null, 2)}\n`);
  console.log('\nphase      size   target         req/s  comparisons/s   shed  µs CPU/comparison  legacy +/comparison');
  for (const s of summary)
    for (const [name, x] of [
      ['comparator', s.comparator],
      ['router shadow', s.routerShadow],
    ] as const)
      console.log(
        `${s.phase.padEnd(10)} ${s.size.padEnd(6)} ${name.padEnd(13)} ${String(x.rps).padStart(6)} ${String(x.comparisonsPerS).padStart(14)} ${String(x.shedShare).padStart(6)} ${String(x.cpuUsPerComparison).padStart(18)} ${String(x.legacyExtraPerComparison).padStart(20)}`,
      );
  console.log(`results: ${path.relative(process.cwd(), args.out)}`);
}

/** Medians over rounds per phase, size and target, and the router's shadow work alone. */
function summarize(rows: Row[], rates: Partial<Record<Size, number>>) {
  return (['saturated', 'half load'] as const).flatMap((phase) =>
    SIZES.map((size) => {
      const of = (t: Target): Row[] => rows.filter((r) => r.phase === phase && r.size === size && r.target === t);
      const pick = (t: Target) => {
        const rs = of(t);
        return {
          rps: med(rs.map((r) => r.rps)),
          cpuUsPerReq: med(rs.map((r) => r.cpuUsPerReq)),
          comparisonsPerS: med(rs.map((r) => r.comparisonsPerS)),
          shedShare: med(rs.map((r) => r.shedShare)),
          cpuUsPerComparison: med(rs.map((r) => r.cpuUsPerComparison)),
          legacyExtraPerComparison: med(rs.map((r) => r.legacyExtraPerComparison)),
          newPerComparison: med(rs.map((r) => r.newPerComparison)),
        };
      };
      // The router's CPU in shadow mode less the legacy-mode router's CPU per request (same phase
      // and round) for the clients' requests, per comparison: what its shadow pipeline costs.
      const shadowOnly = of('phoenix-shadow').map((s) => {
        const base = of('phoenix').find((p) => p.round === s.round)?.cpuUsPerReq;
        if (base === undefined || base === null || s.cpuUsPerReq === null || !s.compared) return null;
        return ((s.cpuUsPerReq - base) * s.requests) / s.compared;
      });
      // The comparator's comparisons per second ÷ the router's, per round (drift cancels out).
      const perRound = of('comparator').flatMap((c) => {
        const s = of('phoenix-shadow').find((x) => x.round === c.round)?.comparisonsPerS;
        return c.comparisonsPerS && s ? [c.comparisonsPerS / s] : [];
      });
      return {
        phase,
        size,
        rate: phase === 'half load' ? (rates[size] ?? null) : null,
        comparisonsRatio: med(perRound),
        comparisonsRatios: perRound.map(r2),
        comparator: pick('comparator'),
        routerShadow: { ...pick('phoenix-shadow'), shadowCpuUsPerComparison: med(shadowOnly) },
        routerLegacy: { rps: pick('phoenix').rps, cpuUsPerReq: pick('phoenix').cpuUsPerReq },
      };
    }),
  );
}

main().catch((err: unknown) => {
  killAll();
  console.error(err);
  process.exit(1);
});
