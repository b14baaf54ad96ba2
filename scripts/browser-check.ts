/**
 * `npm run test:browser`: the demo's outcome as people see it, checked in a real browser. Runs
 * the demo unattended (`npm run demo -- --yes`, on free ports; it must exit 0 as in CI), then opens
 * in headless Chromium from the system (playwright-core, no browser download): the compatibility
 * matrix and each family's HTML report (charts drawn, no console errors, nothing fetched over the
 * network), and the Temporal Web UI's workflow list of the demo's server (`users` Completed,
 * `reports` Failed). Screenshots go to `.phoenix/browser/`.
 */
import { spawn } from 'node:child_process';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import type { Browser } from 'playwright-core';
import { PhoenixError } from '../src/lib/errors.js';
import { startDevServer, type RunningDevServer } from '../src/lib/dev-server.js';
import { resolveTemporalCli } from '../src/lib/temporal-cli.js';
import { freePort } from '../test/helpers/ports.js';
import { launchChromium, resolveChromium } from './browser/chromium.js';
import { checkMatrix, checkReport } from './browser/page-checks.js';
import { checkWorkflowList } from './browser/temporal-ui-page.js';
import { closeOf, latestRun, uiReady, type UiRun } from './browser/ui-api.js';

const HELP = `npm run test:browser -- [options]

Runs the demo unattended, then checks its pages in headless Chromium (/usr/bin/chromium from
Debian's "chromium" package, or PHOENIX_CHROMIUM): the compatibility matrix, each family's HTML
report and the Temporal UI's workflow list. Screenshots: .phoenix/browser/. Exit code 0 when the
demo ended as expected and every check passed.

Options:
  --ui-url URL   check the output of a demo that is still running (\`npm run demo -- --yes --keep\`,
                 UI at http://localhost:8233) instead of running one
  -h, --help     this text`;

/** The demo's two stories (scripts/demo.ts): one family migrated, one rolled back. */
const STORIES = [
  { family: 'users', workflowId: 'phoenix-users', status: 'COMPLETED' },
  { family: 'reports', workflowId: 'phoenix-reports', status: 'FAILED' },
] as const;
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const OUT = path.join(ROOT, '.phoenix', 'browser');
const MATRIX = path.join(ROOT, '.phoenix', 'reports', 'compatibility-matrix.html');
const DEMO_DB = path.join(ROOT, '.phoenix', 'temporal.db');

const say = (line: string): void => void process.stdout.write(`${line}\n`);

/** `npm run demo -- --yes` on free ports, its output passed through; resolves to its exit code. */
async function runDemo(): Promise<number> {
  const ports = ['temporal-port', 'ui-port', 'router-port', 'admin-port', 'slack-port'];
  const args = [];
  for (const p of ports) args.push(`--${p}`, String(await freePort()));
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'scripts', 'demo.ts'), '--yes', ...args], {
    cwd: ROOT,
    stdio: 'inherit',
  });
  // Ctrl-C reaches the demo too (same process group) and it stops what it started: wait for that.
  // A SIGTERM sent to this process alone is passed on.
  const wait = (): void => {};
  const pass = (): void => void child.kill('SIGTERM');
  process.on('SIGINT', wait);
  process.on('SIGTERM', pass);
  try {
    return await new Promise((resolve) => child.once('exit', (code, signal) => resolve(code ?? (signal ? 1 : 0))));
  } finally {
    process.off('SIGINT', wait);
    process.off('SIGTERM', pass);
  }
}

/** The checks, each run whatever the others did; returns the failures. */
async function check(browser: Browser, uiUrl: string): Promise<string[]> {
  const failures: string[] = [];
  const step = async (name: string, body: () => Promise<string>): Promise<void> => {
    try {
      say(`  ✔ ${name}: ${await body()}`);
    } catch (err) {
      failures.push(`${name}: ${(err as Error).message}`);
      say(`  ✘ ${name}: ${(err as Error).message}`);
    }
  };
  const runs = new Map<string, UiRun>();
  await step('the Temporal UI API lists the demo runs', async () => {
    const found = [];
    for (const s of STORIES) {
      const run = await latestRun(uiUrl, s.workflowId);
      if (!run) throw new Error(`no run of ${s.workflowId}`);
      if (run.status !== s.status) throw new Error(`${s.workflowId} is ${run.status}, expected ${s.status}`);
      runs.set(s.family, run);
      found.push(`${s.workflowId} ${run.status}`);
    }
    const failed = runs.get('reports')!;
    const close = await closeOf(uiUrl, failed);
    if (close.failure?.type !== 'MigrationRolledBack' || !close.failure.message)
      throw new Error(
        `${failed.workflowId} failed with ${JSON.stringify(close.failure)}, expected MigrationRolledBack`,
      );
    return `${found.join(', ')} (${close.failure.message})`;
  });
  await step("the Temporal UI's workflow list", async () => {
    const seen = await checkWorkflowList(
      browser,
      uiUrl,
      Object.fromEntries(STORIES.map((s) => [s.workflowId, s.status])),
      { screenshot: path.join(OUT, 'temporal-ui-workflows.png') },
    );
    return `${Object.entries(seen)
      .map(([id, s]) => `${id} ${s}`)
      .join(', ')} — temporal-ui-workflows.png`;
  });
  await step('the compatibility matrix', async () => {
    const rows = await checkMatrix(browser, MATRIX, path.join(OUT, 'compatibility-matrix.png'));
    return `${rows} endpoints — compatibility-matrix.png`;
  });
  for (const s of STORIES)
    await step(`the ${s.family} report`, async () => {
      const run = runs.get(s.family);
      if (!run) throw new Error('its run was not found');
      const file = reportHtml(run);
      const shot = `report-${s.family}.png`;
      const drawn = await checkReport(browser, file, {
        family: s.family,
        rolledBack: s.status === 'FAILED',
        screenshot: path.join(OUT, shot),
      });
      return `${drawn.join(', ')} drawn — ${shot}`;
    });
  return failures;
}

/** The HTML report of a run: named in its memo, or beside the Markdown one the memo names. */
function reportHtml(run: UiRun): string {
  const report = run.memo.report as { html?: string; markdown?: string } | undefined;
  if (report?.html) return report.html;
  if (!report?.markdown) throw new Error(`the memo of ${run.workflowId} names no report`);
  return report.markdown.replace(/\.md$/, '.html');
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: { 'ui-url': { type: 'string' }, help: { type: 'boolean', short: 'h', default: false } },
    strict: true,
  });
  if (values.help) {
    say(HELP);
    return 0;
  }
  // Before the demo's minutes: a machine without Chromium learns it at once.
  await resolveChromium();
  await mkdir(OUT, { recursive: true });
  let server: RunningDevServer | undefined;
  let uiUrl = values['ui-url']?.replace(/\/$/, '');
  if (!uiUrl) {
    const code = await runDemo();
    if (code !== 0) {
      process.stderr.write(`PHX_ERR_BROWSER_CHECK_FAILED: the demo exited with code ${code}\n`);
      return 1;
    }
    // The demo stopped its Temporal server; its history stays in the SQLite file, which a
    // server with the UI serves again for the browser.
    say('\nBrowser check — Temporal UI on the demo’s history, pages in headless Chromium');
    server = await startDevServer({
      cli: await resolveTemporalCli(),
      port: await freePort(),
      uiPort: await freePort(),
      dbFile: DEMO_DB,
    });
    uiUrl = server.uiUrl!;
  }
  await uiReady(uiUrl);
  const browser = await launchChromium();
  try {
    const failures = await check(browser, uiUrl);
    say(`\nScreenshots: ${path.relative(process.cwd(), OUT) || '.'}/`);
    if (failures.length === 0) return 0;
    process.stderr.write(
      `PHX_ERR_BROWSER_CHECK_FAILED: ${failures.length} check(s) failed\n${failures.map((f) => `  ${f}\n`).join('')}`,
    );
    return 1;
  } finally {
    await browser.close();
    await server?.stop();
  }
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(
      err instanceof PhoenixError ? `${err.code}: ${err.message}\n` : `${(err as Error).stack ?? String(err)}\n`,
    );
    process.exit(1);
  },
);
