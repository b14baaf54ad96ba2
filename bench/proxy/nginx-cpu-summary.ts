/**
 * `bench:nginx-cpu`'s rows and their summary: medians over rounds, CPU ratios as medians of
 * per-round ratios, the client's latencies pooled over rounds (vegeta), and for shadow at 10% the
 * comparator's figures and the ratios to legacy mode.
 */
import type { Size } from './bodies.js';
import { SIZES } from './bodies.js';
import { pooledRates } from './load.js';
import type { ComparatorRun } from './nginx-shadow.js';
import { median } from './report.js';

/** The bar: Phoenix's nginx CPU per request ÷ the plain nginx's. */
export const MAX_CPU_RATIO = 1.1;
/** The shadow mode's sample rate. */
export const SAMPLE_RATE = 0.1;
const round2 = (x: number): number => Math.round(x * 100) / 100;

export type Mode = 'legacy' | 'canary 50%' | 'shadow 10%';
/**
 * `phoenix-nginx-legacy`: a second Phoenix nginx kept in legacy mode, measured in the shadow rounds;
 * `phoenix-nginx-null-mirror` (`--null-mirror`): a third in shadow, mirroring to a target that only answers `204`.
 */
export type Target = 'nginx' | 'phoenix-nginx' | 'phoenix-nginx-legacy' | 'phoenix-nginx-null-mirror';

export interface Row {
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
  /** The client's latencies (vegeta only), µs. */
  p50Us?: number;
  p90Us?: number;
  p99Us?: number;
  /** Phoenix's nginx at canary 50%: the share of the run's requests nginx sent to new (from its log). */
  newShare?: number;
  /** Phoenix's nginx in shadow mode: what the comparator did with its mirrors. */
  comparator?: ComparatorRun;
}

export type Latency = { p50Us: number; p90Us: number; p99Us: number };
const ratioOf = (a: number | undefined, b: number | undefined): number | null =>
  a !== undefined && b !== undefined && b > 0 ? round2(a / b) : null;

/** Medians over rounds, ratios as medians of per-round ratios, latencies pooled over rounds (vegeta). */
export async function summarize(
  rows: readonly Row[],
  latencyFiles: ReadonlyMap<string, string[]>,
  modes: readonly Mode[],
  shadowRates: Record<Size, number>,
) {
  const out = [];
  for (const mode of modes)
    for (const size of SIZES) {
      const of = (t: Target): Row[] => rows.filter((r) => r.mode === mode && r.size === size && r.target === t);
      const [a, b] = [of('nginx'), of('phoenix-nginx')];
      const perRound = (xs: Row[], base: Row[]): number[] =>
        xs.map((r) => r.cpuUsPerReq / base.find((x) => x.round === r.round)!.cpuUsPerReq);
      const ratios = perRound(b, a);
      const ratio = round2(median(ratios));
      const pooled = async (t: Target): Promise<Latency | null> => {
        const p = await pooledRates(latencyFiles.get(`${mode} ${size} ${t}`) ?? []);
        return p === undefined ? null : { p50Us: p.p50Us, p90Us: p.p90Us, p99Us: p.p99Us };
      };
      const latencyUs = { nginx: await pooled('nginx'), phoenix: await pooled('phoenix-nginx') };
      const common = {
        mode,
        size,
        nginxCpuUsPerReq: round2(median(a.map((r) => r.cpuUsPerReq))),
        phoenixCpuUsPerReq: round2(median(b.map((r) => r.cpuUsPerReq))),
        agentUsPerReq: round2(median(b.map((r) => r.agentUsPerReq ?? NaN))),
        nginxRps: median(a.map((r) => r.rps)),
        phoenixRps: median(b.map((r) => r.rps)),
        cpuRatio: ratio,
        perRoundRatios: ratios.map(round2),
      };
      if (mode !== 'shadow 10%') {
        const shares = b.flatMap((r) => (r.newShare === undefined ? [] : [r.newShare]));
        out.push({
          ...common,
          pass: (ratio <= MAX_CPU_RATIO) as boolean | null,
          latencyUs,
          ...(shares.length > 0 ? { newShare: round2(median(shares)) } : {}),
        });
        continue;
      }
      const l = of('phoenix-nginx-legacy');
      const toLegacy = perRound(b, l);
      const legacyLatency = await pooled('phoenix-nginx-legacy');
      const n = of('phoenix-nginx-null-mirror');
      const nullLatency = n.length > 0 ? await pooled('phoenix-nginx-null-mirror') : null;
      const c = b.flatMap((r) => (r.comparator === undefined ? [] : [r.comparator]));
      const med = (f: (x: ComparatorRun) => number | null): number =>
        round2(median(c.map(f).filter((x): x is number => x !== null)));
      out.push({
        ...common,
        // Reported, not held to the bar (issue 19: "the cost of shadow at 10% sampling, reported").
        pass: null as boolean | null,
        latencyUs: {
          ...latencyUs,
          phoenixLegacyMode: legacyLatency,
          ...(n.length > 0 ? { phoenixNullMirror: nullLatency } : {}),
        },
        shadow: {
          sampleRate: SAMPLE_RATE,
          rate: shadowRates[size],
          legacyModeCpuUsPerReq: round2(median(l.map((r) => r.cpuUsPerReq))),
          cpuRatioToLegacyMode: round2(median(toLegacy)),
          perRoundRatiosToLegacyMode: toLegacy.map(round2),
          p90RatioToLegacyMode: ratioOf(latencyUs.phoenix?.p90Us, legacyLatency?.p90Us),
          p99RatioToLegacyMode: ratioOf(latencyUs.phoenix?.p99Us, legacyLatency?.p99Us),
          sampledShare: med((x) => x.sampledShare),
          comparedShare: med((x) => x.comparedShare),
          comparedShareOverall: round2(c.reduce((k, x) => k + x.compared, 0) / c.reduce((k, x) => k + x.mirrored, 0)),
          comparatorCpuUsPerComparison: med((x) => x.cpuUsPerComparison),
          dropped: c.reduce((k, x) => k + x.dropped, 0),
          ...(n.length > 0
            ? {
                nullMirror: {
                  cpuUsPerReq: round2(median(n.map((r) => r.cpuUsPerReq))),
                  cpuRatioToLegacyMode: round2(median(perRound(n, l))),
                  p90RatioToLegacyMode: ratioOf(nullLatency?.p90Us, legacyLatency?.p90Us),
                  p99RatioToLegacyMode: ratioOf(nullLatency?.p99Us, legacyLatency?.p99Us),
                },
              }
            : {}),
        },
      });
    }
  return out;
}

/** The summary as a table on stdout. */
export function printSummary(summary: Awaited<ReturnType<typeof summarize>>): void {
  console.log('\nmode        size   nginx µs/req  phoenix µs/req  ratio  agent µs/req  verdict');
  for (const s of summary)
    console.log(
      `${s.mode.padEnd(11)} ${s.size.padEnd(6)} ${String(s.nginxCpuUsPerReq).padStart(12)} ${String(s.phoenixCpuUsPerReq).padStart(15)} ${String(s.cpuRatio).padStart(6)} ${String(s.agentUsPerReq).padStart(13)}  ${s.pass === null ? 'reported' : s.pass ? 'PASS' : 'FAIL'}`,
    );
  for (const s of summary) {
    if (!('shadow' in s)) continue;
    const x = s.shadow;
    const lat = (l: Latency | null): string => (l === null ? '-' : `${l.p50Us}/${l.p90Us}/${l.p99Us}`);
    console.log(
      `shadow 10% ${s.size}: ${x.cpuRatioToLegacyMode}× legacy mode's nginx CPU; mirrored ${x.sampledShare}, compared ${x.comparedShare} of them; comparator ${x.comparatorCpuUsPerComparison} µs CPU/comparison; ` +
        `client p50/p90/p99 µs: shadow ${lat(s.latencyUs.phoenix)}, legacy mode ${lat(s.latencyUs.phoenixLegacyMode)}, plain ${lat(s.latencyUs.nginx)}` +
        ('phoenixNullMirror' in s.latencyUs
          ? `, shadow to a null mirror ${lat(s.latencyUs.phoenixNullMirror ?? null)}`
          : ''),
    );
  }
}
