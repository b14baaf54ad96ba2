/**
 * The TARGETS.md shadow bar at half load: with 10% sampling, the router compares ≥ 95% of the
 * requests it sampled, and the client's p99 stays ≤ 1.3× the p99 of the same router in legacy
 * mode. Each round runs the open-loop fixed-rate generator at one rate against the Phoenix router
 * in legacy mode and against a second Phoenix router in shadow mode (the order alternates by
 * round); the shadow router's statistics window is reset before its run, and once its comparisons
 * have drained, `stats.parity.samples ÷ stats.shadow.sampled` is the share compared.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PATHS, type Size } from './bodies.js';
import { pooledRates, runFixedRate, type RateResult } from './load.js';
import { median } from './report.js';

/** The bar's sample rate. */
export const SAMPLE_RATE = 0.1;
/** Share of sampled requests that must be compared. */
export const MIN_COMPARED = 0.95;
/** Largest client p99 in shadow mode, as a multiple of legacy mode's. */
export const MAX_P99_RATIO = 1.3;

export interface SampledRound {
  round: number;
  legacy: RateResult;
  shadow: RateResult;
  /** From the shadow router's `stats.shadow` and `stats.parity` over its run (warm-up included). */
  sampled: number;
  compared: number;
  dropped: number;
  skippedTooLarge: number;
  errors: number;
  comparedShare: number | null;
  p99Ratio: number | null;
}

export interface SampledResult {
  size: Size;
  rate: number;
  /** How `rate` was chosen. */
  rateBasis: string;
  sampleRate: number;
  rounds: SampledRound[];
  /** Median over rounds. */
  comparedShare: number | null;
  /** Median of the per-round ratios. */
  p99RatioMedian: number | null;
  /**
   * Each mode's p99 over all its rounds' requests together, and their ratio (vegeta only); when
   * given, the bar is judged on `pooled.ratio`, else on {@link p99RatioMedian}.
   */
  pooled: {
    legacyP99Us: number;
    shadowP99Us: number;
    legacyP90Us: number;
    shadowP90Us: number;
    ratio: number | null;
  } | null;
  /** The ratio the bar is judged on. */
  p99Ratio: number | null;
  legacyP99Us: number;
  shadowP99Us: number;
  verdicts: { bar: string; value: number | null; threshold: string; pass: boolean | null }[];
}

export interface SampledOptions {
  size: Size;
  rate: number;
  rateBasis: string;
  rounds: number;
  durationS: number;
  warmupS: number;
  connections: number;
  cpu: string;
  /** The router in legacy mode. */
  legacyPort: number;
  /** The router in shadow mode and its admin API. */
  shadowPort: number;
  shadowAdminUrl: string;
  /**
   * The mirror origin's URL (same path). When set, each legacy-mode round also sends
   * {@link SAMPLE_RATE} × `rate` req/s straight to it, as shadow mode's mirrors do, so both modes
   * put the same load on the origin's core and the ratio shows what the router adds.
   */
  matchMirrorLoad?: string;
  /**
   * The core the matching requests are sent from: the proxy's, where shadow mode's mirror client
   * (the router) runs. From the load's core, a second generator would compete with the one that
   * measures the client's latency, which shadow mode never does.
   */
  matchCpu: string;
  family: string;
  log: (m: string) => void;
}

async function admin(base: string, method: string, path: string, body?: unknown): Promise<unknown> {
  const r = await fetch(`${base.replace(/\/$/, '')}${path}`, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await r.text();
  if (r.status >= 300) throw new Error(`${method} ${path} → ${r.status} ${text}`);
  return JSON.parse(text) as unknown;
}

/** Puts the shadow router's family in shadow mode at {@link SAMPLE_RATE}. */
export async function useSampleRate(adminUrl: string, family: string, version: number): Promise<void> {
  await admin(adminUrl, 'PUT', `/v1/families/${family}/route`, {
    mode: 'shadow',
    percent: 0,
    version,
    sampleRate: SAMPLE_RATE,
  });
}

interface StatsAnswer {
  stats: {
    shadow: { sampled?: number; dropped: number; skippedTooLarge: number; errors: number };
    parity: { samples: number };
  };
}

const r3 = (x: number): number | null => (Number.isFinite(x) ? Math.round(x * 1000) / 1000 : null);

/** Runs the rounds at one size and judges them against the bar. */
export async function measureSampledShadow(o: SampledOptions): Promise<SampledResult> {
  const fam = `/v1/families/${o.family}`;
  const rounds: SampledRound[] = [];
  const opts = (port: number) => ({
    url: `http://127.0.0.1:${port}${PATHS[o.size]}`,
    durationS: o.durationS,
    warmupS: o.warmupS,
    connections: o.connections,
    cpu: o.cpu,
    rate: o.rate,
  });
  const raw = mkdtempSync(join(tmpdir(), 'phx-sampled-'));
  const saved = { legacy: [] as string[], shadow: [] as string[] };
  const run = (port: number, mode: 'legacy' | 'shadow', round: number): Promise<RateResult> => {
    const saveAs = join(raw, `${mode}-${round}.bin`);
    saved[mode].push(saveAs);
    const measured = runFixedRate({ ...opts(port), saveAs });
    if (mode === 'shadow' || o.matchMirrorLoad === undefined) return measured;
    const side = runFixedRate({
      ...opts(port),
      url: o.matchMirrorLoad,
      rate: Math.max(1, o.rate * SAMPLE_RATE),
      cpu: o.matchCpu,
      // A tenth of the rate needs few connections, as the router's mirror pool uses few.
      connections: Math.max(1, Math.ceil(o.connections * SAMPLE_RATE)),
    });
    return Promise.all([measured, side]).then(([m]) => m);
  };
  // One unrecorded run each first: in `--only sampled` the shadow router has served nothing yet.
  for (const port of [o.legacyPort, o.shadowPort]) await runFixedRate({ ...opts(port), durationS: 2 });
  for (let round = 1; round <= o.rounds; round++) {
    let legacy: RateResult | undefined;
    if (round % 2 === 1) legacy = await run(o.legacyPort, 'legacy', round);
    await admin(o.shadowAdminUrl, 'DELETE', `${fam}/stats`);
    const shadow = await run(o.shadowPort, 'shadow', round);
    // Comparisons still under way belong to this run; the admin API waits for them (at most 30 s).
    await admin(o.shadowAdminUrl, 'GET', `${fam}/comparisons?wait=30000`);
    const { stats } = (await admin(o.shadowAdminUrl, 'GET', `${fam}/stats`)) as StatsAnswer;
    legacy ??= await run(o.legacyPort, 'legacy', round);
    const sampled = stats.shadow.sampled ?? NaN;
    const row: SampledRound = {
      round,
      legacy,
      shadow,
      sampled,
      compared: stats.parity.samples,
      dropped: stats.shadow.dropped,
      skippedTooLarge: stats.shadow.skippedTooLarge,
      errors: stats.shadow.errors,
      comparedShare: r3(sampled > 0 ? stats.parity.samples / sampled : NaN),
      p99Ratio: r3(legacy.p99Us > 0 ? shadow.p99Us / legacy.p99Us : NaN),
    };
    rounds.push(row);
    o.log(
      `10% shadow ${o.size} @ ${o.rate}/s round ${round}: p99 legacy ${(legacy.p99Us / 1000).toFixed(2)} ms, ` +
        `shadow ${(shadow.p99Us / 1000).toFixed(2)} ms (${row.p99Ratio}×); compared ${row.compared} of ${sampled} sampled` +
        ` (${row.comparedShare === null ? '-' : (row.comparedShare * 100).toFixed(1)}%), dropped ${row.dropped}`,
    );
  }
  const med = (xs: (number | null)[]): number | null =>
    r3(median(xs.filter((x): x is number => x !== null && Number.isFinite(x))));
  const comparedShare = med(rounds.map((r) => r.comparedShare));
  const p99RatioMedian = med(rounds.map((r) => r.p99Ratio));
  const [pl, ps] = [await pooledRates(saved.legacy), await pooledRates(saved.shadow)];
  rmSync(raw, { recursive: true, force: true });
  const pooled =
    pl && ps
      ? {
          legacyP99Us: pl.p99Us,
          shadowP99Us: ps.p99Us,
          legacyP90Us: pl.p90Us,
          shadowP90Us: ps.p90Us,
          ratio: r3(pl.p99Us > 0 ? ps.p99Us / pl.p99Us : NaN),
        }
      : null;
  const p99Ratio = pooled ? pooled.ratio : p99RatioMedian;
  const label = o.size === 'small' ? '≈300 B' : '64 KB';
  return {
    size: o.size,
    rate: o.rate,
    rateBasis: o.rateBasis,
    sampleRate: SAMPLE_RATE,
    rounds,
    comparedShare,
    p99RatioMedian,
    pooled,
    p99Ratio,
    legacyP99Us: median(rounds.map((r) => r.legacy.p99Us)),
    shadowP99Us: median(rounds.map((r) => r.shadow.p99Us)),
    verdicts: [
      {
        bar: `shadow 10% at half load compares ≥ 95% of sampled requests (${label})`,
        value: comparedShare,
        threshold: `>= ${MIN_COMPARED}`,
        pass: comparedShare === null ? null : comparedShare >= MIN_COMPARED,
      },
      {
        bar: `shadow 10% at half load: client p99 ≤ 1.3× legacy mode's (${label}; ${pooled ? 'p99 over all rounds' : 'median of rounds'})`,
        value: p99Ratio,
        threshold: `<= ${MAX_P99_RATIO}`,
        pass: p99Ratio === null ? null : p99Ratio <= MAX_P99_RATIO,
      },
    ],
  };
}

/** Prints the measurement and its verdicts. */
export function printSampled(results: readonly SampledResult[]): void {
  const log = (s = ''): void => void process.stdout.write(`${s}\n`);
  log('\nshadow at 10% sampling, half load (open loop), vs the same router in legacy mode:');
  for (const r of results) {
    log(
      `  ${r.size} @ ${r.rate}/s: compared ${r.comparedShare === null ? '-' : (r.comparedShare * 100).toFixed(1)}% of sampled; ` +
        `client p99 ${(r.shadowP99Us / 1000).toFixed(2)} ms vs legacy ${(r.legacyP99Us / 1000).toFixed(2)} ms (median of rounds; ${r.p99RatioMedian ?? '-'}×)`,
    );
    if (r.pooled)
      log(
        `    over all rounds: p99 ${(r.pooled.shadowP99Us / 1000).toFixed(2)} vs ${(r.pooled.legacyP99Us / 1000).toFixed(2)} ms (${r.pooled.ratio ?? '-'}×), ` +
          `p90 ${(r.pooled.shadowP90Us / 1000).toFixed(2)} vs ${(r.pooled.legacyP90Us / 1000).toFixed(2)} ms`,
      );
    for (const v of r.verdicts)
      log(`    ${v.pass === null ? 'n/a ' : v.pass ? 'PASS' : 'FAIL'}  ${v.bar}: ${v.value ?? '-'} (${v.threshold})`);
  }
}
