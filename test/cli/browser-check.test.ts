/**
 * The browser check's own parts (`npm run test:browser`): without Chromium it stops at once with
 * a code and the package to install; in the system's Chromium its page checks tell a drawn
 * Observable Plot chart from one with axes only, and see console errors and network requests.
 * The pages are rendered here by Plot with linkedom, as the reports are.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { access, chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import * as Plot from '@observablehq/plot';
import { parseHTML } from 'linkedom';
import type { Browser } from 'playwright-core';
import { hasCode } from '../../src/lib/errors.js';
import { launchChromium, resolveChromium, SYSTEM_CHROMIUM } from '../../scripts/browser/chromium.js';
import { checkMatrix, checkReport, openLocalPage, screenshotAndClose } from '../../scripts/browser/page-checks.js';

const ROOT = path.resolve(import.meta.dirname, '..', '..');
let dir: string;

before(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'phx-browser-'));
});
after(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('without Chromium', () => {
  test('resolving the browser fails with PHX_ERR_BROWSER_NOT_FOUND and names the package to install', async () => {
    const notABrowser = path.join(dir, 'chromium');
    await writeFile(notABrowser, 'not a program');
    await chmod(notABrowser, 0o644);
    for (const missing of [notABrowser, path.join(dir, 'nowhere'), dir]) {
      const err = await resolveChromium({ PHOENIX_CHROMIUM: missing }).then(
        () => assert.fail(`${missing} was accepted as a browser`),
        (e: unknown) => e,
      );
      assert.ok(hasCode(err, 'PHX_ERR_BROWSER_NOT_FOUND'), String(err));
      assert.match((err as Error).message, /apt-get install chromium/);
      assert.ok((err as Error).message.includes(missing));
    }
  });

  test('npm run test:browser stops before running the demo, with the code first on stderr', async () => {
    const started = Date.now();
    const { code, stderr } = await new Promise<{ code: number; stderr: string }>((resolve) =>
      execFile(
        process.execPath,
        ['--import', 'tsx', path.join(ROOT, 'scripts', 'browser-check.ts')],
        { cwd: ROOT, env: { ...process.env, PHOENIX_CHROMIUM: path.join(dir, 'nowhere') }, timeout: 60_000 },
        (err, _stdout, stderr) => resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stderr }),
      ),
    );
    assert.equal(code, 1);
    assert.match(stderr, /^PHX_ERR_BROWSER_NOT_FOUND: .*apt-get install chromium/);
    assert.ok(Date.now() - started < 30_000, 'it did not run the demo first');
  });
});

/** A page with Plot charts in Phoenix's markup (`figure.phx-chart[data-chart]`). */
function chartPage(charts: Record<string, Plot.PlotOptions>, extra = ''): string {
  const { document } = parseHTML('<!doctype html><html><head></head><body></body></html>');
  const figures = Object.entries(charts).map(([name, options]) => {
    const svg = Plot.plot({ ...options, document }) as unknown as { outerHTML: string };
    return `<figure class="phx-chart" data-chart="${name}">${svg.outerHTML}<figcaption>${name}</figcaption></figure>`;
  });
  return `<!doctype html><html><head><meta charset="utf-8"><title>t</title></head><body>${figures.join('\n')}${extra}</body></html>`;
}

const steps = [
  { at: 0, target: 0, observed: 0 },
  { at: 1, target: 5, observed: 4.6 },
  { at: 2, target: 25, observed: 16.7 },
];
const drawn: Record<string, Plot.PlotOptions> = {
  timeline: { marks: [Plot.barX(steps, { x1: 'at', x2: (d: { at: number }) => d.at + 1, y: () => 'ramp' })] },
  ramp: {
    marks: [
      Plot.lineY(steps, { x: 'at', y: 'target' }),
      Plot.dot(steps, { x: 'at', y: 'observed' }),
      Plot.ruleX([2.5], { ariaLabel: 'rollback' }),
      Plot.text([{ at: 2.5, y: 20, label: 'rolled back' }], { x: 'at', y: 'y', text: 'label' }),
    ],
  },
};
const axesOnly: Record<string, Plot.PlotOptions> = {
  timeline: drawn.timeline!,
  ramp: { x: { domain: [0, 3] }, y: { domain: [0, 100], grid: true }, marks: [Plot.frame()] },
};

describe(
  'in the system Chromium',
  {
    skip:
      !process.env.PHOENIX_CHROMIUM &&
      !(await exists(SYSTEM_CHROMIUM)) &&
      `no Chromium at ${SYSTEM_CHROMIUM} (apt-get install chromium)`,
  },
  () => {
    let browser: Browser;
    before(async () => {
      browser = await launchChromium();
    });
    after(async () => {
      await browser?.close();
    });

    test('a report whose charts drew data, with the rollback marked, passes and is saved as a screenshot', async () => {
      const file = path.join(dir, 'good.html');
      await writeFile(file, chartPage(drawn));
      const shot = path.join(dir, 'good.png');
      assert.deepEqual(await checkReport(browser, file, { family: 'reports', rolledBack: true, screenshot: shot }), [
        'timeline',
        'ramp',
      ]);
      await access(shot);
    });

    test('a chart with axes but no data marks fails, and so do a ramp without the observed share and one without the rollback', async () => {
      const file = path.join(dir, 'axes.html');
      await writeFile(file, chartPage(axesOnly));
      const shot = path.join(dir, 'axes.png');
      await assert.rejects(
        checkReport(browser, file, { family: 'reports', rolledBack: false, screenshot: shot }),
        /"ramp" chart has axes but no data marks/,
      );
      const oneSeries = path.join(dir, 'one-series.html');
      const target = Plot.lineY(steps, { x: 'at', y: 'target' });
      await writeFile(oneSeries, chartPage({ timeline: drawn.timeline!, ramp: { marks: [target] } }));
      await assert.rejects(
        checkReport(browser, oneSeries, { family: 'users', rolledBack: false, screenshot: shot }),
        /the ramp chart draws line, not target and observed/,
      );
      const unmarked = path.join(dir, 'unmarked.html');
      const ramp = { marks: [target, Plot.dot(steps, { x: 'at', y: 'observed' })] };
      await writeFile(unmarked, chartPage({ timeline: drawn.timeline!, ramp }));
      await assert.rejects(
        checkReport(browser, unmarked, { family: 'reports', rolledBack: true, screenshot: shot }),
        /does not mark the rollback/,
      );
      // The same page is fine for a family that completed.
      await checkReport(browser, unmarked, { family: 'users', rolledBack: false, screenshot: shot });
    });

    test('console errors and requests off the disk are caught, and the request is refused', async () => {
      const file = path.join(dir, 'noisy.html');
      await writeFile(
        file,
        chartPage(drawn, `<img src="http://127.0.0.1:9/logo.png"><script>console.error('boom')</script>`),
      );
      await assert.rejects(
        checkReport(browser, file, { family: 'users', rolledBack: false, screenshot: path.join(dir, 'noisy.png') }),
        /requested something over the network/,
      );
      const opened = await openLocalPage(browser, file);
      await screenshotAndClose(opened, path.join(dir, 'noisy.png'));
      assert.deepEqual(opened.networkRequests, ['http://127.0.0.1:9/logo.png']);
      assert.ok(opened.consoleErrors.includes('boom'), opened.consoleErrors.join('\n'));
    });

    test('the compatibility matrix needs endpoint rows', async () => {
      const file = path.join(dir, 'matrix.html');
      await writeFile(file, '<!doctype html><html><body><table><tbody></tbody></table></body></html>');
      await assert.rejects(checkMatrix(browser, file, path.join(dir, 'matrix.png')), /lists no endpoints/);
    });
  },
);

async function exists(file: string): Promise<boolean> {
  return access(file).then(
    () => true,
    () => false,
  );
}
