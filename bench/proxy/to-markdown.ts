/**
 * Prints bench/results/router.json (or the file given) as the markdown tables used in
 * docs/benchmarks.md: `node --import tsx bench/proxy/to-markdown.ts [file]`.
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Medians, Ratios, Target, Verdict } from './report.js';
import type { SampledResult } from './sampled-shadow.js';

const file = process.argv[2] ?? join(dirname(fileURLToPath(import.meta.url)), '..', 'results', 'router.json');
const r = JSON.parse(readFileSync(file, 'utf8')) as {
  date: string;
  machine: { cpu: string; cores: number };
  settings: { rounds: number; durationS: number; connections: number; targets: Target[] };
  medians: Medians;
  ratios: Ratios;
  verdicts: Verdict[];
  halfLoad?: Record<
    string,
    { rate: number; addedVsDirect?: Record<string, { p50Us: number; p99Us: number }> } & Record<string, unknown>
  >;
  mallocCheck?: { rows?: Array<Record<string, number | string>> };
  shadowSampled?: { loadavgBefore?: number[]; loadavgAfter?: number[]; sizes: SampledResult[] };
};
const out: string[] = [];
const f = (x: number | undefined | null, d = 0): string =>
  x === undefined || x === null || !Number.isFinite(x) ? '–' : x.toFixed(d);
out.push(
  `Run ${r.date}, ${r.machine.cores}× ${r.machine.cpu}, ${r.settings.rounds} rounds × ${r.settings.durationS} s, c=${r.settings.connections}.`,
  '',
);
for (const [size, label] of [
  ['small', '≈300 B'],
  ['large', '64 KB'],
] as const) {
  if (!r.medians[size]) continue;
  out.push(`**${label} JSON** (medians; "vs direct" is the median of per-round ratios)`, '');
  out.push(
    '| target | req/s | vs direct | p50 ms | p99 ms | CPU µs/req | faults/req | RSS MB |',
    '|---|---:|---:|---:|---:|---:|---:|---:|',
  );
  for (const t of r.settings.targets) {
    const m = r.medians[size]?.[t];
    if (!m) continue;
    const vs = t === 'direct' ? 1 : r.ratios[size]?.[`${t} req/s vs direct`];
    const mir = m.mirroredFraction !== undefined ? ` (mirrored ${f(m.mirroredFraction * 100)}%)` : '';
    out.push(
      `| ${t}${mir} | ${f(m.rps)} | ${f(vs, 2)} | ${f(m.p50Us / 1000, 2)} | ${f(m.p99Us / 1000, 2)} | ${f(m.cpuUsPerReq, 1)} | ${f(m.faultsPerReq, 2)} | ${f(m.rssMB)} |`,
    );
  }
  out.push('', '| ratio | value |', '|---|---:|');
  for (const [k, v] of Object.entries(r.ratios[size] ?? {}))
    if (!k.endsWith('vs direct')) out.push(`| ${k} | ${f(v, 2)} |`);
  out.push('');
}
out.push('| bar | value | needed | verdict |', '|---|---:|---|---|');
for (const v of r.verdicts)
  out.push(
    `| ${v.bar} | ${String(v.value ?? '–')} | ${v.threshold} | ${v.pass === null ? 'n/a' : v.pass ? 'PASS' : '**FAIL**'} |`,
  );
if (r.halfLoad) {
  out.push(
    '',
    '| p99 added vs direct at half load (open loop) | rate | ' +
      r.settings.targets.filter((t) => t !== 'direct').join(' | ') +
      ' |',
  );
  out.push(
    '|---|---:|' +
      r.settings.targets
        .filter((t) => t !== 'direct')
        .map(() => '---:')
        .join('|') +
      '|',
  );
  for (const size of ['small', 'large']) {
    const h = r.halfLoad[size];
    if (!h?.addedVsDirect) continue;
    const direct = h.direct as { p99Us: number } | undefined;
    const shadowShare = (h['phoenix-shadow'] as { mirroredFraction?: number } | undefined)?.mirroredFraction;
    out.push(
      `| ${size} (direct p99 ${f((direct?.p99Us ?? NaN) / 1000, 2)} ms) | ${h.rate}/s | ` +
        r.settings.targets
          .filter((t) => t !== 'direct')
          .map(
            (t) =>
              `${f((h.addedVsDirect?.[t]?.p99Us ?? NaN) / 1000, 2)} ms` +
              (t === 'phoenix-shadow' && shadowShare !== undefined ? ` (mirrored ${f(shadowShare * 100, 0)}%)` : ''),
          )
          .join(' | ') +
        ' |',
    );
  }
}
if (r.shadowSampled?.sizes.length) {
  const { loadavgBefore: before, loadavgAfter: after } = r.shadowSampled;
  const load = before && `load average ${before.join(', ')} before it${after ? `, ${after.join(', ')} after` : ''}`;
  out.push(
    '',
    `Shadow at 10% sampling, half load, against the same router in legacy mode${load ? ` (${load})` : ''}:`,
    '',
    '| size | rate | compared of sampled (per round) | legacy p99 ms | shadow p99 ms | p99 ratio judged (per round) | legacy / shadow p90 ms | compared ≥ 95% | p99 ≤ 1.3× |',
    '|---|---:|---|---:|---:|---|---|---|---|',
  );
  const verdict = (p: boolean | null | undefined): string => (p == null ? 'n/a' : p ? 'PASS' : '**FAIL**');
  for (const x of r.shadowSampled.sizes) {
    const shares = x.rounds.map((k) => `${k.compared}/${k.sampled}`).join(', ');
    const ratios = x.rounds.map((k) => f(k.p99Ratio, 2)).join(', ');
    // Over all rounds' requests when the generator kept them (vegeta), else medians of rounds.
    const p = x.pooled;
    const p90 = p ? `${f(p.legacyP90Us / 1000, 1)} / ${f(p.shadowP90Us / 1000, 1)}` : '–';
    out.push(
      `| ${x.size} | ${x.rate}/s | ${f((x.comparedShare ?? NaN) * 100, 1)}% (${shares}) | ${f((p?.legacyP99Us ?? x.legacyP99Us) / 1000, 1)} | ${f((p?.shadowP99Us ?? x.shadowP99Us) / 1000, 1)} | ${f(x.p99Ratio, 2)}× ${p ? 'all rounds' : 'median'} (${ratios}) | ${p90} | ${verdict(x.verdicts[0]?.pass)} | ${verdict(x.verdicts[1]?.pass)} |`,
    );
  }
}
if (r.mallocCheck?.rows?.length) {
  out.push(
    '',
    '| 64 KB, GLIBC_TUNABLES | faults/req tuned | untuned | CPU µs/req tuned | untuned | req/s tuned | untuned |',
    '|---|---:|---:|---:|---:|---:|---:|',
  );
  for (const m of r.mallocCheck.rows)
    out.push(
      `| ${m.target} | ${m.tunedFaultsPerReq} | ${m.untunedFaultsPerReq} | ${m.tunedCpuUsPerReq} | ${m.untunedCpuUsPerReq} | ${m.tunedRps} | ${m.untunedRps} |`,
    );
}
process.stdout.write(`${out.join('\n')}\n`);
