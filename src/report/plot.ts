/**
 * Observable Plot rendered to static SVG at report time, on linkedom's server-side document:
 * the rendering, the `<figure>` every chart sits in, and the rollback mark the time charts share.
 */
import * as Plot from '@observablehq/plot';
import { parseHTML } from 'linkedom';
import { Colour, esc } from './page.js';

/** The charts of a report, by their `data-chart` name. */
export type ChartName = 'timeline' | 'ramp' | 'latency' | 'mismatch' | 'paths';

/** A rendered chart, or why there is none. */
export interface Chart {
  name: ChartName;
  /** The Plot SVG; absent when there was nothing to draw. */
  svg?: string;
  /** Why there is no chart, in words (shown instead of an empty SVG). */
  empty?: string;
  caption: string;
  /** An HTML colour key shown above the chart. */
  key?: string;
}

/** The time axis the time charts share, so they line up, and the rollback to mark on them. */
export interface TimeFrame {
  from: Date;
  to: Date;
  rollback?: { at: Date; label: string };
}

/** Chart width in px; the page scales it down on narrow screens. */
export const WIDTH = 880;

/** Renders a plot to SVG markup; no browser, no scripts in the result. */
export function renderPlot(options: Plot.PlotOptions): string {
  // The project compiles without the DOM's types; linkedom's document stands in for the browser's.
  const dom = parseHTML('<!doctype html><html><body></body></html>') as unknown as { document: unknown };
  const plot: unknown = Plot.plot({ width: WIDTH, ...options, document: dom.document });
  return (plot as { outerHTML: string }).outerHTML;
}

/** A chart in its figure: the SVG, or a sentence saying why there is none, and the caption. */
export function figure(c: Chart): string {
  const body = c.svg ?? `<p class="phx-empty">${esc(c.empty ?? 'nothing to draw')}</p>`;
  return `<figure class="phx-chart" data-chart="${c.name}">${c.svg ? (c.key ?? '') : ''}${body}<figcaption>${esc(c.caption)}</figcaption></figure>`;
}

/** The time scale of a time chart. */
export function timeScale(f: TimeFrame): Plot.ScaleOptions {
  return { type: 'utc', domain: [f.from, f.to], label: 'time (UTC)' };
}

/** A red rule at the rollback with its label: the moment the family went back to legacy. */
export function rollbackMarks(f: TimeFrame): Plot.Markish[] {
  const r = f.rollback;
  if (!r) return [];
  return [
    Plot.ruleX([r.at], { stroke: Colour.bad, strokeWidth: 2, strokeDasharray: '5 3', className: 'phx-rollback' }),
    Plot.text([r.at], {
      x: (d: Date) => d,
      text: () => r.label,
      frameAnchor: 'top',
      textAnchor: r.at.getTime() - f.from.getTime() > (f.to.getTime() - f.from.getTime()) / 2 ? 'end' : 'start',
      dx: r.at.getTime() - f.from.getTime() > (f.to.getTime() - f.from.getTime()) / 2 ? -5 : 5,
      dy: 2,
      fill: Colour.bad,
      fontWeight: 600,
      className: 'phx-rollback-label',
    }),
  ];
}

/** Cuts a label to `n` characters for an axis; the full text goes in the mark's title. */
export function cut(s: string, n: number): string {
  return s.length <= n ? s : `${s.slice(0, n - 1)}…`;
}
