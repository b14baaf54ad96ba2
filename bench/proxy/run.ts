/**
 * Router macro-benchmark: direct, nginx, a lean undici proxy, @fastify/http-proxy and the Phoenix
 * router (legacy mode, and shadow mode at 100% sampling), interleaved round-robin, both body
 * sizes, following TARGETS.md: proxy pinned to core 0, origin and a one-thread wrk on core 1,
 * keep-alive, c=32. Then, at the same half-load rate, the router in shadow mode with 10% sampling
 * against legacy mode (`sampled-shadow.ts`). Writes bench/results/router.json and prints a table.
 *
 * Run: `npm run bench:router [-- --quick] [--rounds 5] [--duration 6] [--connections 32]
 *       [--targets direct,nginx,lean-undici,fastify-proxy,phoenix,phoenix-shadow]
 *       [--warmup 3] [--half-load 4 | --no-half-load] [--sampled-rounds 3 | --no-sampled]
 *       [--no-malloc-check] [--load wrk|autocannon] [--sampled-rate small=N,large=M]
 *       [--match-mirror-load] [--out FILE]`
 * Only the 10% shadow bar, in about two minutes: `npm run bench:router -- --only sampled`
 * (saturated rounds of fastify-proxy and phoenix for the rate, 1 × 3 s unless given, then
 * `--sampled-rounds` (3) fixed-rate rounds of `--half-load` (4) s per side and size).
 * `--sampled-rate` fixes the 10% shadow rounds' rate per size (req/s) instead of half this run's
 * saturated rate, which moves by up to 2× between minutes on a shared machine.
 * `--match-mirror-load` makes the legacy-mode 10% rounds send the mirrors' share of requests
 * straight to the mirror origin (from the proxy's core, where shadow mode's mirror client runs), so
 * only the router's own shadow work differs between the modes.
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PATHS, SIZES, makeBodies, type Size } from './bodies.js';
import { runFixedRate, runLoad, type LoadTool, type RateResult } from './load.js';
import { parseSizeRates } from './size-rates.js';
import { findVegeta } from './vegeta.js';
import { ensureCommand, has, killAll, startNginx, startNode, version, type Peer } from './peers.js';
import { sampleTree } from './proc.js';
import { TARGETS, medians, printReport, ratios, verdicts, REFERENCE, type RunRow, type Target } from './report.js';
import { mallocCheck, type MallocCheck } from './malloc-check.js';
import { measureSampledShadow, printSampled, useSampleRate, type SampledResult } from './sampled-shadow.js';
import { GLIBC_TUNABLES } from './tunables.js';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..', '..');

const PROXY_CPU = '0';
const LOAD_CPU = '1';
const FAMILY = 'bench';

interface Settings {
  quick: boolean;
  rounds: number;
  durationS: number;
  connections: number;
  warmupS: number;
  halfLoadS: number;
  /** Rounds of the 10% shadow measurement; 0 skips it. */
  sampledRounds: number;
  /** Only the saturated rounds the rate needs and the 10% shadow measurement. */
  onlySampled: boolean;
  /** Fixed rates (req/s) for the 10% shadow rounds, per size; unset sizes use half load. */
  sampledRate: Partial<Record<Size, number>>;
  /** Legacy-mode 10% rounds also load the mirror origin as shadow mode's mirrors do. */
  matchMirrorLoad: boolean;
  mallocCheck: boolean;
  targets: Target[];
  load: LoadTool;
  out: string;
}

function parseArgs(argv: string[]): Settings {
  const get = (name: string): string | undefined => {
    const i = argv.indexOf(`--${name}`);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const quick = argv.includes('--quick');
  const only = get('only');
  if (only !== undefined && only !== 'sampled') throw new Error(`unknown --only "${only}" (only: sampled)`);
  const onlySampled = only === 'sampled';
  const targets = (get('targets')?.split(',') ??
    (onlySampled ? ['fastify-proxy', 'phoenix'] : [...TARGETS])) as Target[];
  for (const t of targets)
    if (!TARGETS.includes(t)) throw new Error(`unknown target "${t}" (targets: ${TARGETS.join(', ')})`);
  return {
    quick,
    rounds: Number(get('rounds') ?? (onlySampled ? 1 : quick ? 3 : 5)),
    durationS: Number(get('duration') ?? (onlySampled ? 3 : quick ? 2 : 6)),
    connections: Number(get('connections') ?? 32),
    warmupS: Number(get('warmup') ?? (quick || onlySampled ? 1 : 3)),
    halfLoadS: argv.includes('--no-half-load') && !onlySampled ? 0 : Number(get('half-load') ?? (quick ? 2 : 4)),
    sampledRounds: argv.includes('--no-sampled') ? 0 : Number(get('sampled-rounds') ?? 3),
    onlySampled,
    sampledRate: parseSizeRates('--sampled-rate', get('sampled-rate')),
    matchMirrorLoad: argv.includes('--match-mirror-load'),
    mallocCheck: !argv.includes('--no-malloc-check') && !onlySampled,
    targets,
    load: (get('load') as LoadTool | undefined) ?? 'wrk',
    out:
      get('out') ??
      (quick || onlySampled
        ? join(os.tmpdir(), `phoenix-router-${onlySampled ? 'sampled' : 'quick'}.json`)
        : join(root, 'bench', 'results', 'router.json')),
  };
}

const log = (m: string): void => void process.stderr.write(`[bench:router] ${m}\n`);

async function getCount(port: number): Promise<number> {
  const r = await fetch(`http://127.0.0.1:${port}/__count`);
  return ((await r.json()) as { served: number }).served;
}

async function setRoute(adminUrl: string, body: Record<string, unknown>): Promise<void> {
  const url = `${adminUrl.replace(/\/$/, '')}/v1/families/${FAMILY}/route`;
  const r = await fetch(url, {
    method: 'PUT',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  const text = await r.text();
  if (r.status >= 300) throw new Error(`PUT ${url} → ${r.status} ${text}`);
}

async function bytesCheck(port: number, size: Size, expected: Buffer): Promise<{ ok: boolean; detail?: string }> {
  const r = await fetch(`http://127.0.0.1:${port}${PATHS[size]}`);
  const body = Buffer.from(await r.arrayBuffer());
  const ct = r.headers.get('content-type');
  if (r.status !== 200) return { ok: false, detail: `status ${r.status}` };
  if (ct !== 'application/json') return { ok: false, detail: `content-type ${ct}` };
  if (!body.equals(expected))
    return { ok: false, detail: `body differs (${body.byteLength} vs ${expected.byteLength} bytes)` };
  return { ok: true };
}

async function main(): Promise<void> {
  const s = parseArgs(process.argv.slice(2));
  const notes: string[] = [];
  const skipped: Record<string, string> = {};
  const skip = (t: Target, why: string): void => {
    skipped[t] = why;
    log(`skipping ${t}: ${why}`);
    s.targets = s.targets.filter((x) => x !== t);
  };
  if (s.load === 'wrk' && !ensureCommand('wrk', 'wrk', log)) {
    s.load = 'autocannon';
    notes.push(
      'wrk unavailable: autocannon (Node, same core as the origin) generated the load; it costs more CPU than wrk, so absolute req/s are lower.',
    );
    log('wrk unavailable; falling back to autocannon');
  }
  if (s.targets.includes('nginx') && !ensureCommand('nginx', 'nginx', log))
    skip('nginx', 'nginx is not installed and could not be installed');
  const routerFile = join(root, 'src', 'router', 'server.ts');
  if (!existsSync(routerFile)) {
    if (s.targets.includes('phoenix')) skip('phoenix', 'src/router/server.ts does not exist yet');
    if (s.targets.includes('phoenix-shadow')) skip('phoenix-shadow', 'src/router/server.ts does not exist yet');
  }
  if (!has('taskset')) throw new Error('taskset (util-linux) is required to pin processes');
  if (os.cpus().length < 2) notes.push('fewer than 2 CPUs: pinning cannot separate proxy from load');

  const nodeEnv = { ...process.env, GLIBC_TUNABLES, NODE_ENV: 'production', PHOENIX_LOG_LEVEL: 'warn' };
  // Node/V8 flags for both Phoenix routers only, to compare settings (e.g. `--single-threaded-gc`).
  const routerFlags = (process.env.PHOENIX_BENCH_ROUTER_NODE_FLAGS ?? '').split(' ').filter(Boolean);
  const bodies = makeBodies();
  const peers: Partial<Record<Target, Peer>> = {};
  const origin = await startNode('origin', 'origin.ts', [], LOAD_CPU, nodeEnv);
  const originUrl = `http://127.0.0.1:${origin.port}`;
  let mirror: Peer | undefined;
  const start = async (t: Target, fn: () => Promise<Peer>): Promise<void> => {
    if (!s.targets.includes(t)) return;
    try {
      peers[t] = await fn();
    } catch (e) {
      skip(t, `failed to start: ${(e as Error).message.split('\n').slice(0, 6).join(' | ')}`);
    }
  };
  await start('nginx', () => startNginx(origin.port, PROXY_CPU, PATHS.small));
  await start('lean-undici', () =>
    startNode('lean-undici', 'lean-undici.ts', ['--origin', originUrl], PROXY_CPU, nodeEnv),
  );
  await start('fastify-proxy', () =>
    startNode('fastify-proxy', 'fastify-proxy.ts', ['--origin', originUrl], PROXY_CPU, nodeEnv),
  );
  await start('phoenix', () =>
    startNode('phoenix', 'phoenix.ts', ['--legacy', originUrl], PROXY_CPU, nodeEnv, routerFlags),
  );
  // The 10% measurement needs both routers even when the saturated rounds leave them out.
  const sampledToo = s.sampledRounds > 0 && s.halfLoadS > 0;
  if (sampledToo && !s.targets.includes('phoenix'))
    peers.phoenix = await startNode('phoenix', 'phoenix.ts', ['--legacy', originUrl], PROXY_CPU, nodeEnv, routerFlags);
  if (s.targets.includes('phoenix-shadow') || sampledToo) {
    mirror = await startNode('mirror-origin', 'origin.ts', [], LOAD_CPU, nodeEnv);
    const startShadow = async (): Promise<Peer> => {
      const p = await startNode(
        'phoenix-shadow',
        'phoenix.ts',
        ['--legacy', originUrl, '--new', `http://127.0.0.1:${mirror!.port}`],
        PROXY_CPU,
        nodeEnv,
        routerFlags,
      );
      await setRoute(String(p.info.adminUrl), { mode: 'shadow', percent: 0, version: 1, sampleRate: 1 });
      return p;
    };
    if (s.targets.includes('phoenix-shadow')) await start('phoenix-shadow', startShadow);
    else peers['phoenix-shadow'] = await startShadow();
  }
  const portOf = (t: Target): number => (t === 'direct' ? origin.port : (peers[t] as Peer).port);

  const bytesOk: Partial<Record<Target, Partial<Record<Size, boolean>>>> = {};
  for (const t of s.targets) {
    for (const size of SIZES) {
      const c = await bytesCheck(portOf(t), size, bodies[size]);
      (bytesOk[t] ??= {})[size] = c.ok;
      if (!c.ok) log(`${t} ${size}: answer differs from the origin's: ${c.detail}`);
    }
  }
  if (mirror && s.targets.includes('phoenix-shadow')) {
    await new Promise((r) => setTimeout(r, 300));
    if ((await getCount(mirror.port)) === 0)
      notes.push(
        'phoenix-shadow: the mirror origin saw no request after the byte check; shadow mode may not be active.',
      );
  }

  const rows: RunRow[] = [];
  const measure = async (t: Target, size: Size, durationS: number, round: number): Promise<RunRow> => {
    const peer = peers[t];
    const before = peer ? sampleTree(peer.pid) : undefined;
    const m0 = t === 'phoenix-shadow' && mirror ? await getCount(mirror.port) : 0;
    const r = await runLoad(s.load, {
      url: `http://127.0.0.1:${portOf(t)}${PATHS[size]}`,
      durationS,
      connections: s.connections,
      cpu: LOAD_CPU,
    });
    const after = peer ? sampleTree(peer.pid) : undefined;
    const m1 = t === 'phoenix-shadow' && mirror ? await getCount(mirror.port) : 0;
    const per = (x: number): number | null => (r.requests > 0 ? x / r.requests : null);
    const row: RunRow = {
      round,
      size,
      target: t,
      rps: Math.round(r.rps),
      p50Us: r.p50Us,
      p99Us: r.p99Us,
      requests: r.requests,
      errors: r.errors,
      non2xx: r.non2xx,
      cpuUsPerReq: before && after ? round2(per((after.cpuS - before.cpuS) * 1e6)) : null,
      faultsPerReq: before && after ? round3(per(after.faults - before.faults)) : null,
      majorFaultsPerReq: before && after ? round3(per(after.majorFaults - before.majorFaults)) : null,
      rssMB: after ? Math.round(after.rssBytes / 1048576) : null,
    };
    if (t === 'phoenix-shadow')
      row.mirroredFraction = round3(r.requests > 0 ? (m1 - m0) / r.requests : NaN) ?? undefined;
    if (r.errors > 0 || r.non2xx > 0) log(`${t} ${size}: ${r.errors} socket errors, ${r.non2xx} non-2xx answers`);
    return row;
  };

  const started = Date.now();
  const machine = {
    cpu: os.cpus()[0]?.model ?? 'unknown',
    cores: os.cpus().length,
    memGB: Math.round(os.totalmem() / 2 ** 30),
    platform: `${os.platform()} ${os.release()}`,
    arch: os.arch(),
  };
  const write = (
    complete: boolean,
    extra: { halfLoad?: unknown; shadowSampled?: unknown; mallocCheck?: MallocCheck | { skipped: string } } = {},
  ): void => {
    const m = medians(rows);
    const rt = ratios(rows, SIZES, s.targets);
    const v = verdicts(rt, bytesOk, s.targets);
    mkdirSync(dirname(s.out), { recursive: true });
    writeFileSync(
      s.out,
      `${JSON.stringify(
        {
          complete,
          machine: { ...machine, loadavg: os.loadavg().map((x) => Math.round(x * 100) / 100) },
          node: process.version,
          nginx: version('nginx', '-v'),
          wrk: s.load === 'wrk' ? version('wrk', '-v') : undefined,
          date: new Date().toISOString(),
          elapsedS: Math.round((Date.now() - started) / 1000),
          settings: {
            ...s,
            out: undefined,
            pinning: { proxy: `cpu ${PROXY_CPU}`, originLoadAndMirror: `cpu ${LOAD_CPU}` },
            threads: 1,
            GLIBC_TUNABLES,
            nginxWorkers: 1,
          },
          skipped,
          notes,
          bytesCheck: bytesOk,
          medians: m,
          ratios: rt,
          verdicts: v,
          reference: REFERENCE,
          ...extra,
          runs: rows,
        },
        null,
        2,
      )}\n`,
    );
  };

  log(
    `load: ${s.load}; targets: ${s.targets.join(', ')}; ${s.rounds} rounds × ${s.durationS} s × ${SIZES.length} sizes`,
  );
  for (const t of s.targets)
    for (const size of SIZES)
      await runLoad(s.load, {
        url: `http://127.0.0.1:${portOf(t)}${PATHS[size]}`,
        durationS: s.warmupS,
        connections: s.connections,
        cpu: LOAD_CPU,
      });
  for (let round = 1; round <= s.rounds; round++) {
    for (const size of SIZES) {
      // Rotate the order each round so no target always runs first after a size switch.
      const order = s.targets.map((_, i) => s.targets[(i + round - 1) % s.targets.length] as Target);
      for (const t of order) {
        const row = await measure(t, size, s.durationS, round);
        rows.push(row);
        log(
          `round ${round} ${size} ${t}: ${row.rps} req/s, p50 ${(row.p50Us / 1000).toFixed(2)} ms, p99 ${(row.p99Us / 1000).toFixed(2)} ms` +
            (row.cpuUsPerReq !== null
              ? `, ${row.cpuUsPerReq} µs CPU/req, ${row.faultsPerReq} faults/req, ${row.rssMB} MB`
              : '') +
            (row.mirroredFraction !== undefined ? `, mirrored ${(row.mirroredFraction * 100).toFixed(0)}%` : ''),
        );
      }
    }
    write(false);
  }

  let halfLoad: Record<string, unknown> | undefined;
  if (s.halfLoadS > 0 && !s.onlySampled) {
    halfLoad = {
      method: `open-loop fixed-rate generator (${findVegeta() ? 'vegeta' : 'bench/proxy/fixed-rate.ts, undici Pool, latency from the scheduled send time'}, c connections) on the load core; rate = half the slowest proxy's median saturated req/s, the same rate for every target`,
    };
    const m = medians(rows);
    for (const size of SIZES) {
      const proxies = s.targets.filter((t) => t !== 'direct');
      const slowest = Math.min(...proxies.map((t) => m[size]?.[t]?.rps ?? Infinity));
      if (!Number.isFinite(slowest)) continue;
      const rate = Math.round(slowest / 2);
      const res: Record<string, unknown> = { rate };
      for (const t of s.targets) {
        const warmupS = s.quick ? 1 : 2;
        const m0 = t === 'phoenix-shadow' && mirror ? await getCount(mirror.port) : 0;
        const r: RateResult & { mirroredFraction?: number } = await runFixedRate({
          url: `http://127.0.0.1:${portOf(t)}${PATHS[size]}`,
          durationS: s.halfLoadS,
          warmupS,
          connections: s.connections,
          cpu: LOAD_CPU,
          rate,
        });
        // Mirrors of the warm-up count too, so the share is of everything sent at this rate.
        if (t === 'phoenix-shadow' && mirror)
          r.mirroredFraction =
            round3(((await getCount(mirror.port)) - m0) / (rate * (warmupS + s.halfLoadS))) ?? undefined;
        res[t] = r;
        log(
          `half load ${size} ${t} @ ${rate}/s: p50 ${(r.p50Us / 1000).toFixed(2)} ms, p99 ${(r.p99Us / 1000).toFixed(2)} ms` +
            (r.mirroredFraction !== undefined ? `, mirrored ${(r.mirroredFraction * 100).toFixed(0)}%` : ''),
        );
      }
      const direct = res.direct as { p99Us: number; p50Us: number } | undefined;
      if (direct) {
        const added: Record<string, { p50Us: number; p99Us: number }> = {};
        for (const t of s.targets) {
          const r = res[t] as { p99Us: number; p50Us: number };
          if (t !== 'direct') added[t] = { p50Us: r.p50Us - direct.p50Us, p99Us: r.p99Us - direct.p99Us };
        }
        res.addedVsDirect = added;
      }
      halfLoad[size] = res;
    }
  }
  write(false, { halfLoad });

  let shadowSampled: Record<string, unknown> | undefined;
  const legacyPeer = peers.phoenix;
  const shadowPeer = peers['phoenix-shadow'];
  if (sampledToo && legacyPeer && shadowPeer) {
    const adminUrl = String(shadowPeer.info.adminUrl);
    await useSampleRate(adminUrl, FAMILY, 2);
    const m = medians(rows);
    const proxies = s.targets.filter((t) => t !== 'direct');
    const results: SampledResult[] = [];
    const loadavgBefore = os.loadavg().map((x) => Math.round(x * 100) / 100);
    for (const size of SIZES) {
      const fixed = s.sampledRate[size];
      const slowest = Math.min(...proxies.map((t) => m[size]?.[t]?.rps ?? Infinity));
      if (fixed === undefined && !Number.isFinite(slowest)) continue;
      results.push(
        await measureSampledShadow({
          size,
          rate: fixed ?? Math.round(slowest / 2),
          rateBasis:
            fixed !== undefined
              ? 'fixed by --sampled-rate'
              : `half the slowest of ${proxies.join(', ')} (median saturated req/s of this run)`,
          rounds: s.sampledRounds,
          durationS: s.halfLoadS,
          warmupS: 1,
          connections: s.connections,
          cpu: LOAD_CPU,
          legacyPort: legacyPeer.port,
          shadowPort: shadowPeer.port,
          shadowAdminUrl: adminUrl,
          matchMirrorLoad: s.matchMirrorLoad && mirror ? `http://127.0.0.1:${mirror.port}${PATHS[size]}` : undefined,
          matchCpu: PROXY_CPU,
          family: FAMILY,
          log,
        }),
      );
    }
    shadowSampled = {
      method: `fixed-rate open loop (${findVegeta() ? 'vegeta' : 'fixed-rate.ts'}) at ${Object.keys(s.sampledRate).length > 0 ? 'the rate each size gives (see rateBasis)' : 'the half-load rate'}; ${s.matchMirrorLoad ? "legacy-mode rounds also send 10% of the rate straight to the mirror origin from the proxy's core (where shadow mode's mirror client runs), matching the mirrors' load on the origin core; " : ''}phoenix in legacy mode vs a second phoenix in shadow mode (sampleRate 0.1, nice 19 shadow thread), alternating order per round; compared share = stats.parity.samples ÷ stats.shadow.sampled after the comparisons drained; p99 ratio = shadow ÷ legacy of each mode's p99 over all its rounds' requests (vegeta), else the median of per-round ratios`,
      loadavgBefore,
      loadavgAfter: os.loadavg().map((x) => Math.round(x * 100) / 100),
      sizes: results,
    };
  }
  write(false, { halfLoad, shadowSampled });

  let malloc: MallocCheck | { skipped: string } = { skipped: 'disabled (--no-malloc-check)' };
  if (s.mallocCheck) {
    malloc = await mallocCheck({
      targets: s.targets.filter(
        (t): t is 'lean-undici' | 'fastify-proxy' | 'phoenix' =>
          t === 'lean-undici' || t === 'phoenix' || t === 'fastify-proxy',
      ),
      originUrl,
      rounds: s.quick ? 1 : 3,
      durationS: s.durationS,
      warmupS: Math.min(2, s.warmupS),
      connections: s.connections,
      load: s.load,
      cpu: PROXY_CPU,
      loadCpu: LOAD_CPU,
      nodeEnv,
      path: PATHS.large,
      log,
    });
  }
  for (const p of [...Object.values(peers), mirror, origin]) if (p) await p.stop();

  write(true, { halfLoad, shadowSampled, mallocCheck: malloc });
  const m = medians(rows);
  const rt = ratios(rows, SIZES, s.targets);
  printReport(m, rt, verdicts(rt, bytesOk, s.targets), SIZES, s.targets);
  if (shadowSampled) printSampled(shadowSampled.sizes as SampledResult[]);
  if (halfLoad) {
    process.stdout.write('\np99 added vs direct at a fixed half-saturation rate (open loop):\n');
    for (const size of SIZES) {
      const h = halfLoad[size] as { rate: number; addedVsDirect?: Record<string, { p99Us: number }> } | undefined;
      if (h?.addedVsDirect)
        process.stdout.write(
          `  ${size} @ ${h.rate}/s: ${Object.entries(h.addedVsDirect)
            .map(([t, x]) => `${t} ${(x.p99Us / 1000).toFixed(2)} ms`)
            .join(', ')}\n`,
        );
    }
  }
  if ('rows' in malloc) {
    process.stdout.write('\npage faults per 64 KB request, with vs without GLIBC_TUNABLES:\n');
    for (const r of malloc.rows)
      process.stdout.write(
        `  ${r.target}: ${r.tunedFaultsPerReq} vs ${r.untunedFaultsPerReq} faults/req; CPU ${r.tunedCpuUsPerReq} vs ${r.untunedCpuUsPerReq} µs/req\n`,
      );
  }
  for (const [t, why] of Object.entries(skipped)) process.stdout.write(`\nskipped ${t}: ${why}`);
  process.stdout.write(`\nresults: ${s.out}\n`);
}

function round2(x: number | null): number | null {
  return x === null ? null : Math.round(x * 100) / 100;
}
function round3(x: number | null): number | null {
  return x === null || !Number.isFinite(x) ? null : Math.round(x * 1000) / 1000;
}

main().catch((err: unknown) => {
  process.stderr.write(`[bench:router] failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  killAll();
  process.exit(1);
});
