/**
 * The report's two charts that are not over time: legacy against new latency quantiles per ramp
 * step, and the most frequent differing paths. Rendered with Observable Plot (see plot.ts).
 */
import * as Plot from '@observablehq/plot';
import type { MigrationProgress } from '../workflows/messages.js';
import type { LatencyQuantiles, StepPoint } from '../workflows/evidence-history.js';
import { Colour, key } from './page.js';
import { cut, renderPlot, type Chart } from './plot.js';

const QUANTILES = ['p50', 'p90', 'p95', 'p99'] as const;

/**
 * Each step's last analysis with client traffic: the step's whole window, since figures are reset
 * when a step starts. A step run again (after a hold or a retry) is a step of its own.
 */
export function stepWindows(steps: readonly StepPoint[]): { label: string; point: StepPoint }[] {
  const out: { label: string; point: StepPoint }[] = [];
  const runs = new Map<number, number>();
  let current: number | undefined;
  for (const s of steps) {
    if (s.percent !== current) {
      current = s.percent;
      runs.set(s.percent, (runs.get(s.percent) ?? 0) + 1);
      const n = runs.get(s.percent)!;
      out.push({ label: `${s.percent}%${n > 1 ? ` (${n})` : ''}`, point: s });
    } else if (s.legacy.n + s.new.n > 0 || out.at(-1)!.point.legacy.n + out.at(-1)!.point.new.n === 0) {
      out[out.length - 1]!.point = s;
    }
  }
  return out.filter((w) => w.point.legacy.n + w.point.new.n > 0);
}

function rowsOf(step: string, backend: 'legacy' | 'new', q: LatencyQuantiles) {
  return QUANTILES.filter((k) => q[k] !== null).map((k) => ({
    step,
    backend,
    quantile: k,
    ms: q[k]!,
    title: `${step} ${backend} ${k}: ${q[k]} ms over ${q.n} requests`,
  }));
}

/** Legacy against new client-path latency quantiles (p50–p99), one panel per ramp step. */
export function latencyChart(p: MigrationProgress): Chart {
  const windows = stepWindows(p.history?.steps ?? []);
  const rows = windows.flatMap((w) => [
    ...rowsOf(w.label, 'legacy', w.point.legacy),
    ...rowsOf(w.label, 'new', w.point.new),
  ]);
  const caption = `Client-path latency quantiles per ramp step, legacy against new, over each step's window: ${
    windows.map((w) => `${w.label} ${w.point.legacy.n} legacy / ${w.point.new.n} new requests`).join('; ') || 'none'
  }.`;
  if (!p.history)
    return {
      name: 'latency',
      empty: 'No latency data: this run started before Phoenix recorded its evidence over time.',
      caption,
    };
  if (rows.length === 0)
    return { name: 'latency', empty: 'No ramp step measured client latency: no step served requests.', caption };
  return {
    name: 'latency',
    caption,
    key: key([
      { label: 'legacy', colour: Colour.legacy },
      { label: 'new', colour: Colour.new },
    ]),
    svg: renderPlot({
      height: 260,
      marginBottom: 40,
      fx: { domain: windows.map((w) => w.label), label: 'ramp step' },
      x: { domain: [...QUANTILES], label: null },
      y: { label: 'latency (ms)', grid: true, zero: true },
      color: { domain: ['legacy', 'new'], range: [Colour.legacy, Colour.new] },
      marks: [
        Plot.frame({ stroke: '#e5e7eb' }),
        Plot.lineY(rows, { fx: 'step', x: 'quantile', y: 'ms', z: 'backend', stroke: 'backend', strokeWidth: 1.5 }),
        Plot.dot(rows, {
          fx: 'step',
          x: 'quantile',
          y: 'ms',
          fill: 'backend',
          r: 3,
          title: 'title',
          className: 'phx-latency',
        }),
      ],
    }),
  };
}

/** The most frequent differing paths, as bars. */
export function pathsChart(p: MigrationProgress): Chart {
  const paths = p.history?.topPaths ?? [];
  const at = p.history?.pathsAt;
  const caption = `The most frequent differing paths (kind, path, route) in the last window that had differences${
    at ? `, read ${new Date(at).toISOString()}` : ''
  }; a comparison can differ at several paths.`;
  if (!p.history)
    return {
      name: 'paths',
      empty: 'No difference paths: this run started before Phoenix recorded them.',
      caption,
    };
  if (paths.length === 0)
    return { name: 'paths', empty: 'No differences were recorded: every comparison matched.', caption };
  const rows = paths.map((x) => ({
    label: cut(`${x.kind} ${x.path} — ${x.route}`, 60),
    count: x.count,
    title: `${x.kind} at ${x.path} on ${x.route}: ${x.count}`,
  }));
  const longest = Math.max(...rows.map((r) => r.label.length));
  return {
    name: 'paths',
    caption,
    svg: renderPlot({
      height: 30 + rows.length * 24,
      marginLeft: Math.min(420, 20 + longest * 6),
      marginRight: 40,
      x: { label: 'differences', grid: true },
      y: { domain: rows.map((r) => r.label), label: null },
      marks: [
        Plot.barX(rows, {
          x: 'count',
          y: 'label',
          fill: Colour.new,
          fillOpacity: 0.8,
          title: 'title',
          className: 'phx-path',
        }),
        Plot.text(rows, {
          x: 'count',
          y: 'label',
          text: (r: { count: number }) => String(r.count),
          textAnchor: 'start',
          dx: 4,
        }),
        Plot.ruleX([0]),
      ],
    }),
  };
}
