/**
 * The report's charts, each from what the migration's progress holds: the timeline of stages and
 * decisions, the ramp (target percent against the share of requests new served), latency per
 * step, the mismatch rate with its confidence band, and the most frequent differing paths. Time
 * charts share one axis and mark the rollback. Rendered with Observable Plot (see plot.ts).
 */
import * as Plot from '@observablehq/plot';
import type { MigrationProgress } from '../workflows/messages.js';
import type { StepPoint } from '../workflows/evidence-history.js';
import { percent as pct } from '../lib/format.js';
import { Colour, key } from './page.js';
import { cut, renderPlot, rollbackMarks, timeScale, type Chart, type TimeFrame } from './plot.js';

const NO_HISTORY = 'this run started before Phoenix recorded its evidence over time';

/** The time frame of a run: its start to the last thing it recorded, and its rollback. */
export function timeFrame(p: MigrationProgress): TimeFrame {
  const from = Date.parse(p.startedAt);
  const times = [
    from,
    ...p.stageTimings.flatMap((s) => [Date.parse(s.startedAt), s.endedAt ? Date.parse(s.endedAt) : from]),
    ...p.decisions.map((d) => Date.parse(d.at)),
    ...(p.history?.steps ?? []).map((s) => s.t),
    ...(p.history?.parity ?? []).map((s) => s.t),
    ...(p.rollback ? [Date.parse(p.rollback.at), Date.parse(p.rollback.completedAt ?? p.rollback.at)] : []),
  ].filter((t) => Number.isFinite(t));
  const last = Math.max(...times, from + 1000);
  // A little room past the last event, so the final stage shows as a bar and not a hairline.
  const to = last + Math.max(500, (last - from) * 0.03);
  return {
    from: new Date(from),
    to: new Date(to),
    ...(p.rollback ? { rollback: { at: new Date(p.rollback.at), label: `rollback — ${p.rollback.type}` } } : {}),
  };
}

/** Stages as bars on their rows, decisions as labelled dots on a row of their own. */
export function timelineChart(p: MigrationProgress, f: TimeFrame): Chart {
  const stages = p.stageTimings.map((s) => ({
    stage: s.stage,
    start: new Date(s.startedAt),
    end: new Date(s.endedAt ?? f.to),
  }));
  const events = p.decisions
    .filter((d) => d.kind !== 'stage' || d.step !== undefined)
    .map((d) => ({
      at: new Date(d.at),
      kind: d.kind,
      label: cut(`${d.kind === 'stage' ? '' : `${d.kind} `}${d.step ?? ''}${d.by ? ` by ${d.by}` : ''}`.trim(), 28),
      title: [d.at, d.kind, d.step, d.by, d.detail].filter(Boolean).join(' — '),
    }));
  const caption = `${stages.length} stage${stages.length === 1 ? '' : 's'} and ${events.length} decision${events.length === 1 ? '' : 's'} or gate results${f.rollback ? '; the red line is the rollback' : ''}.`;
  if (stages.length === 0) return { name: 'timeline', empty: 'No stage was recorded.', caption };
  const rows = [...new Set(stages.map((s) => s.stage)), 'decisions'];
  const bad = new Set(['rejected', 'aborted', 'rollback', 'timed-out']);
  return {
    name: 'timeline',
    caption,
    svg: renderPlot({
      height: 40 + rows.length * 30,
      marginLeft: 130,
      x: timeScale(f),
      y: { domain: rows, label: null },
      marks: [
        Plot.barX(stages, {
          x1: 'start',
          x2: 'end',
          y: 'stage',
          fill: (d: { stage: string }) =>
            d.stage === 'rolling-back' || d.stage === 'rolled-back' ? Colour.bad : Colour.target,
          fillOpacity: 0.75,
          title: (d: (typeof stages)[number]) => `${d.stage}: ${d.start.toISOString()} → ${d.end.toISOString()}`,
        }),
        Plot.dot(events, {
          x: 'at',
          y: () => 'decisions',
          r: 4,
          fill: (d: (typeof events)[number]) => (bad.has(d.kind) ? Colour.bad : Colour.good),
          title: 'title',
        }),
        // Alternate labels above and below the row so neighbours overlap less.
        ...[0, 1].map((odd) =>
          Plot.text(
            events.filter((_, k) => k % 2 === odd),
            { x: 'at', y: () => 'decisions', text: 'label', dy: odd ? 12 : -10, fontSize: 9 },
          ),
        ),
        ...rollbackMarks(f),
      ],
    }),
  };
}

function observed(s: StepPoint): number | null {
  return s.totalRequests === 0 ? null : (100 * s.newRequests) / s.totalRequests;
}

/** The ramp: the step's target percent as a line, each analysis' observed share on new as a dot. */
export function rampChart(p: MigrationProgress, f: TimeFrame): Chart {
  const steps = p.history?.steps ?? [];
  const seen = steps.filter((s) => s.totalRequests > 0);
  const last = new Map<number, StepPoint>();
  for (const s of seen) last.set(s.percent, s);
  const caption =
    steps.length === 0
      ? 'Target percent against the share of client requests the new service answered.'
      : `Target percent (line) against the share of client requests new answered (dots), ${steps.length} analyses. Last at each step: ${
          [...last.values()]
            .map(
              (s) => `${s.percent}% → ${pct(s.newRequests / s.totalRequests)} (${s.newRequests} of ${s.totalRequests})`,
            )
            .join('; ') || 'no client requests seen'
        }.${p.history?.dropped.steps ? ` The ${p.history.dropped.steps} oldest analyses are not shown.` : ''}`;
  if (!p.history) return { name: 'ramp', empty: `No ramp data: ${NO_HISTORY}.`, caption };
  if (steps.length === 0)
    return { name: 'ramp', empty: 'No ramp step ran: no traffic was sent to the new service.', caption };
  const points = seen.map((s) => ({
    t: new Date(s.t),
    share: observed(s)!,
    title: `${new Date(s.t).toISOString()}: target ${s.percent}%, new answered ${s.newRequests} of ${s.totalRequests} requests`,
  }));
  return {
    name: 'ramp',
    caption,
    key: key([
      { label: 'target percent', colour: Colour.target },
      { label: 'observed share on new', colour: Colour.new },
    ]),
    svg: renderPlot({
      height: 260,
      x: timeScale(f),
      y: { domain: [0, 100], label: '% of requests on new', grid: true },
      marks: [
        Plot.lineY(
          steps.map((s) => ({ t: new Date(s.t), percent: s.percent })),
          { x: 't', y: 'percent', curve: 'step-after', stroke: Colour.target, strokeWidth: 2, className: 'phx-target' },
        ),
        Plot.dot(points, { x: 't', y: 'share', r: 3.5, fill: Colour.new, title: 'title', className: 'phx-observed' }),
        ...rollbackMarks(f),
      ],
    }),
  };
}

/** Shadow (parity gate) and canary (ramp) mismatch rates with their confidence bands. */
export function mismatchChart(p: MigrationProgress, f: TimeFrame): Chart {
  const h = p.history;
  const point = (series: string, t: number, rate: number, n: number, lo?: number, hi?: number) => ({
    series,
    t: new Date(t),
    rate: rate * 100,
    lo: lo === undefined ? undefined : lo * 100,
    hi: hi === undefined ? undefined : hi * 100,
    title: `${new Date(t).toISOString()} ${series}: ${pct(rate)} of ${n}${lo !== undefined && hi !== undefined ? `, bounds ${pct(lo)}–${pct(hi)}` : ''}`,
  });
  const rows = [
    ...(h?.parity ?? [])
      .filter((x) => x.samples > 0)
      .map((x) => point('shadow', x.t, x.mismatchRate, x.samples, x.mismatchLower, x.mismatchUpper)),
    ...(h?.steps ?? [])
      .filter((x) => x.comparisons > 0)
      .map((x) => point('canary', x.t, x.mismatchRate, x.comparisons, x.mismatchLower, x.mismatchUpper)),
  ];
  const caption = `Share of compared requests whose answers differed, over time: shadow comparisons during the parity gate, canary comparisons during the ramp; the band is the ${
    p.parity?.mismatch ? `${Math.round(p.parity.mismatch.confidence * 100)}% ` : ''
  }confidence bound.${p.parity?.mismatch ? ` The dashed line is the parity gate's maximum, ${pct(p.parity.mismatch.threshold)}.` : ''}`;
  if (!h) return { name: 'mismatch', empty: `No mismatch data: ${NO_HISTORY}.`, caption };
  if (rows.length === 0)
    return { name: 'mismatch', empty: 'No comparison was made: no shadow or canary request was compared.', caption };
  const band = rows.filter((r) => r.lo !== undefined && r.hi !== undefined);
  const colour = { domain: ['shadow', 'canary'], range: [Colour.parity, Colour.new] };
  return {
    name: 'mismatch',
    caption,
    key: key([
      { label: 'shadow (parity gate)', colour: Colour.parity },
      { label: 'canary (ramp)', colour: Colour.new },
    ]),
    svg: renderPlot({
      height: 260,
      x: timeScale(f),
      y: { label: 'mismatch rate (%)', grid: true, domain: [0, Math.max(...rows.map((r) => r.hi ?? r.rate), 1)] },
      color: colour,
      marks: [
        Plot.areaY(band, {
          x: 't',
          y1: 'lo',
          y2: 'hi',
          z: 'series',
          fill: 'series',
          fillOpacity: 0.18,
          className: 'phx-band',
        }),
        Plot.lineY(rows, { x: 't', y: 'rate', z: 'series', stroke: 'series', strokeWidth: 1.5 }),
        Plot.dot(rows, {
          x: 't',
          y: 'rate',
          fill: 'series',
          r: 2.5,
          title: 'title',
          className: 'phx-mismatch',
        }),
        ...(p.parity?.mismatch
          ? [Plot.ruleY([p.parity.mismatch.threshold * 100], { stroke: Colour.muted, strokeDasharray: '3 3' })]
          : []),
        ...rollbackMarks(f),
      ],
    }),
  };
}
