/**
 * What the browser check asserts on Phoenix's own HTML pages (the compatibility matrix and the
 * migration reports): they open from disk with no network and no console errors, and every chart
 * (`<figure class="phx-chart" data-chart="…">` holding an Observable Plot `<svg>`) has drawn data,
 * not just axes. Each page is saved as a full-page screenshot.
 */
import assert from 'node:assert/strict';
import { access } from 'node:fs/promises';
import { pathToFileURL } from 'node:url';
import type { Browser, Page } from 'playwright-core';

/** One chart as the page rendered it. */
export interface RenderedChart {
  name: string;
  /** Data marks: shapes outside the axes, grid and frame. */
  marks: number;
  /** Width × height of its plot in CSS pixels (0 when not drawn). */
  width: number;
  height: number;
  caption: string;
  /** Labels (`aria-label`s) of the groups that hold its data marks: `line`, `dot`, `bar`, … */
  series: string[];
  /** Its text marks' words. */
  text: string;
  /** It draws a rollback: a mark with a `rollback` class or label, or a text naming it. */
  rollback: boolean;
  /** The figure holds `.phx-empty` instead of a plot. */
  empty: boolean;
}

/** A page opened with everything off-disk refused and recorded. */
export interface OpenedPage {
  page: Page;
  consoleErrors: string[];
  /** Requests for anything but `file:`/`data:`/`blob:` URLs (all refused). */
  networkRequests: string[];
}

const LOCAL = /^(file|data|blob|about):/;

/** The little of the DOM the in-page code uses (the project compiles without the DOM library). */
interface DomElement {
  tagName: string;
  textContent: string | null;
  parentElement: DomElement | null;
  dataset: Record<string, string | undefined>;
  closest(selector: string): DomElement | null;
  querySelector(selector: string): DomElement | null;
  querySelectorAll(selector: string): Iterable<DomElement>;
  getAttribute(name: string): string | null;
  getBoundingClientRect(): { width: number; height: number };
}

/** Opens `file` in a fresh page; any request off the disk is refused and recorded. */
export async function openLocalPage(browser: Browser, file: string): Promise<OpenedPage> {
  await access(file);
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  const opened: OpenedPage = { page, consoleErrors: [], networkRequests: [] };
  await context.route(
    (url) => !LOCAL.test(url.href),
    (route) => {
      opened.networkRequests.push(route.request().url());
      return route.abort();
    },
  );
  page.on('console', (m) => {
    if (m.type() === 'error') opened.consoleErrors.push(m.text());
  });
  page.on('pageerror', (err) => opened.consoleErrors.push(`uncaught: ${err.message}`));
  await page.goto(pathToFileURL(file).href, { waitUntil: 'load' });
  return opened;
}

/** Every chart of the page, measured in the browser after layout. */
export function renderedCharts(page: Page): Promise<RenderedChart[]> {
  return page.$$eval('figure.phx-chart[data-chart]', (figures: DomElement[]) =>
    figures.map((f) => {
      // Plot wraps a plot that has a legend in its own figure, with swatch SVGs: count the plots only.
      const svgs = [...f.querySelectorAll('svg')].filter(
        (s) => !s.closest('[class*="swatch"]') && !s.parentElement?.closest('svg'),
      );
      const shapes = svgs.flatMap((s) => [...s.querySelectorAll('circle, path, rect, line, polyline, polygon')]);
      // Plot labels each mark's group; axes, grid and frame are not data. (No named helper
      // functions in here: the page runs this code without the bundler's helpers.)
      const marks = shapes.filter(
        (el) => !/axis|grid|frame/i.test(el.closest('[aria-label]')?.getAttribute('aria-label') ?? ''),
      );
      const series = marks.map((el) => el.closest('[aria-label]')?.getAttribute('aria-label') ?? '');
      const text = svgs.flatMap((s) => [...s.querySelectorAll('text')].map((t) => t.textContent ?? '')).join(' ');
      const box = svgs[0]?.getBoundingClientRect();
      return {
        name: f.dataset.chart ?? '',
        marks: marks.length,
        width: box?.width ?? 0,
        height: box?.height ?? 0,
        caption: f.querySelector('figcaption')?.textContent?.trim() ?? '',
        series: [...new Set(series)],
        text,
        rollback:
          svgs.some((s) => !!s.querySelector('[class*="rollback"], [aria-label*="rollback" i]')) ||
          /roll(ed)?[ -]?back/i.test(text),
        empty: !!f.querySelector('.phx-empty'),
      };
    }),
  );
}

/** Asserts the page made no request off the disk and logged no error. */
export function assertQuietPage(opened: OpenedPage, what: string): void {
  assert.deepEqual(opened.networkRequests, [], `${what} requested something over the network`);
  assert.deepEqual(opened.consoleErrors, [], `${what} logged errors in the console`);
}

/** Asserts a non-empty chart drew data marks in a box of real size, and has a caption. */
export function assertDrawn(chart: RenderedChart, what: string): void {
  assert.ok(!chart.empty, `${what}: the "${chart.name}" chart is empty`);
  assert.ok(
    chart.width > 50 && chart.height > 50,
    `${what}: the "${chart.name}" chart is ${chart.width}×${chart.height} px`,
  );
  assert.ok(chart.marks > 0, `${what}: the "${chart.name}" chart has axes but no data marks`);
  assert.ok(chart.caption.length > 0, `${what}: the "${chart.name}" chart has no caption`);
}

/** Saves a full-page screenshot and closes the page's context. */
export async function screenshotAndClose(opened: OpenedPage, file: string): Promise<void> {
  await opened.page.screenshot({ path: file, fullPage: true });
  await opened.page.context().close();
}

/**
 * The compatibility matrix: opens quietly, lists endpoints, and any chart it has is drawn.
 * @returns the number of endpoint rows.
 */
export async function checkMatrix(browser: Browser, file: string, screenshot: string): Promise<number> {
  const opened = await openLocalPage(browser, file);
  try {
    const rows = await opened.page.locator('table tbody tr').count();
    assert.ok(rows > 0, `the matrix ${file} lists no endpoints`);
    for (const chart of await renderedCharts(opened.page)) if (!chart.empty) assertDrawn(chart, 'the matrix');
    assertQuietPage(opened, `the matrix ${file}`);
    return rows;
  } finally {
    await screenshotAndClose(opened, screenshot);
  }
}

/** The charts every migration report draws (they may be empty when a run had no such data). */
export const REPORT_CHARTS = ['timeline', 'ramp', 'latency', 'mismatch', 'paths'] as const;

/**
 * A family's HTML report: opens quietly; its timeline and ramp are drawn; every other chart is
 * drawn or marked empty; the ramp draws at least two series (target and observed share on new),
 * and a rolled-back run's ramp marks the rollback.
 * @returns the names of the charts drawn.
 */
export async function checkReport(
  browser: Browser,
  file: string,
  o: { family: string; rolledBack: boolean; screenshot: string },
): Promise<string[]> {
  const what = `the ${o.family} report ${file}`;
  const opened = await openLocalPage(browser, file);
  try {
    const charts = await renderedCharts(opened.page);
    const byName = new Map(charts.map((c) => [c.name, c]));
    const unknown = charts.map((c) => c.name).filter((n) => !(REPORT_CHARTS as readonly string[]).includes(n));
    assert.deepEqual(unknown, [], `${what} has charts outside ${REPORT_CHARTS.join(', ')}`);
    for (const name of ['timeline', 'ramp']) {
      const chart = byName.get(name);
      assert.ok(chart, `${what} has no "${name}" chart (figure.phx-chart[data-chart="${name}"])`);
      assertDrawn(chart, what);
    }
    for (const chart of charts) if (!chart.empty) assertDrawn(chart, what);
    // The ramp puts traffic on new against the target: two series at least (rules and labels aside).
    const ramp = byName.get('ramp')!;
    const series = ramp.series.filter((l) => !/rule|text|rollback/i.test(l));
    assert.ok(
      series.length >= 2,
      `${what}: the ramp chart draws ${series.join(', ') || 'nothing'}, not target and observed`,
    );
    if (o.rolledBack) assert.ok(ramp.rollback, `${what}: the ramp chart does not mark the rollback`);
    assertQuietPage(opened, what);
    return charts.filter((c) => !c.empty).map((c) => c.name);
  } finally {
    await screenshotAndClose(opened, o.screenshot);
  }
}
