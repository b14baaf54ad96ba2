/**
 * `npm test`: starts one real Temporal dev server for the whole run, then runs every
 * `test/**\/*.test.ts` file with Node's test runner (ts-register.mjs as the TypeScript loader). Extra arguments are
 * file filters: `npm test -- router` runs the files whose path contains "router".
 *
 * `--unit` (`npm run test:unit`) is the fast loop: only the files that run in-process, with no
 * Temporal server, no Python apps and no child processes (see isUnit in test-batches.ts), side by
 * side as the whole suite runs.
 *
 * Either way the unit files run several to a process, in as many batches as files run at once
 * (test-batches.ts): a process of their own would cost each about a second of CPU for tests that
 * take milliseconds. Each file's tests still report inside a suite named for the file.
 *
 * Files run several at a time (see {@link concurrency}): most of a file's time is waiting on
 * Temporal timers, bakes and traffic, not CPU. The few files in {@link SERIAL} run afterwards, one
 * at a time, because what they measure would be skewed by other files' load.
 *
 * Either way the run fails when the tests wrote into the checkout (see checkout-writes.ts): files
 * they need go to the OS temp folder.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startDevServer } from '../src/lib/dev-server.js';
import { resolveTemporalCli, resolveTestServer } from '../src/lib/temporal-cli.js';
import { bundleWorkflows } from '../src/worker/worker.js';
import { buildCompiled, isCompiledFresh } from '../bin/compiled.mjs';
import { freePort } from '../test/helpers/ports.js';
import { checkoutWrites, listCheckout, type CheckoutListing } from './checkout-writes.js';
import { cpuReport, processCpuSeconds } from './test-cpu-report.js';
import { batched, isUnit } from './test-batches.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/**
 * For every test process and what it starts: quieter logs, and no `__pycache__` next to the
 * example apps' modules (they import each other from examples/).
 */
const TEST_ENV = { PHOENIX_LOG_LEVEL: process.env.PHOENIX_LOG_LEVEL ?? 'warn', PYTHONDONTWRITEBYTECODE: '1' };

/**
 * Test files run one at a time after the others, each with the reason: they judge timing, memory or
 * throughput on the machine, so other files' load would make them fail (or pass) for the wrong
 * reason (shadow-verdicts and runner-stability were seen to, on a loaded 2-core machine).
 */
const SERIAL: Record<string, string> = {
  'test/faults/soak.test.ts': 'judges the RSS and request rate of a router process under 15 s of load',
  'test/judgement/contract-verdicts.test.ts':
    'the same verdicts on repeated runs, latency regressions included, from the Python apps: timing under load shifts them',
  'test/judgement/shadow-verdicts.test.ts':
    'the same shadow verdicts on repeated runs from the Python apps; under load their answers time out and latency blurs',
  'test/judgement/latency-records.test.ts': 'flags a latency-only regression of the Python apps by its timing',
  'test/contracts/runner-stability.test.ts':
    'ten runs must flag the same slow route; the load of other files hides its latency',
  'test/faults/scale.test.ts': 'a hundred migrations on one worker process: it loads the whole machine by design',
};

/** Whether `file` is one of the {@link SERIAL} files. */
function isSerial(file: string): boolean {
  return file.split(path.sep).join('/') in SERIAL;
}

/**
 * The files that take longest (over 20 s of wall time each in a run on 2 cores, slowest first), started first: with
 * files running side by side, a long file started last would run on alone at the end.
 */
const SLOW_FIRST = [
  'test/faults/workflow-faults.test.ts',
  'test/workflows/evidence-gates.test.ts',
  'test/workflows/migrate-family-interrupted.test.ts',
  'test/workflows/hold-on-breach.test.ts',
  'test/workflows/rollback-after-100.test.ts',
  'test/workflows/fleet.test.ts',
  'test/workflows/migrate-family-rollbacks.test.ts',
  'test/faults/worker-killed.test.ts',
  'test/slack/slack.test.ts',
  'test/workflows/migrate-family.test.ts',
  'test/cli/cli.test.ts',
  'test/nginx/nginx-fleet.test.ts',
  'test/examples/apps.test.ts',
  'test/workflows/long-waits.test.ts',
  'test/nginx/nginx-migration.test.ts',
];

/** `files` with the {@link SLOW_FIRST} ones first, in that order. */
function slowFirst(files: string[]): string[] {
  const rank = (f: string): number => {
    const i = SLOW_FIRST.indexOf(f.split(path.sep).join('/'));
    return i === -1 ? SLOW_FIRST.length : i;
  };
  return files
    .map((f, i) => ({ f, i }))
    .sort((a, b) => rank(a.f) - rank(b.f) || a.i - b.i)
    .map((x) => x.f);
}

/**
 * How many test files run at once: `PHOENIX_TEST_CONCURRENCY`, else 3. Node's own default is one
 * fewer than the cores (1 on a 2-core CI machine), which leaves the machine idle while files wait.
 */
function concurrency(): number {
  const raw = process.env.PHOENIX_TEST_CONCURRENCY;
  if (raw === undefined || raw === '') return 3;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1)
    throw new Error(`PHOENIX_TEST_CONCURRENCY: expected a whole number ≥ 1, got "${raw}"`);
  return n;
}

/**
 * How many files the closing CPU report lists: `PHOENIX_TEST_CPU_TOP`, else 10. A larger number
 * (or `all`) lists the cheaper files too, to compare runs file by file.
 */
function cpuTop(): number {
  const raw = process.env.PHOENIX_TEST_CPU_TOP;
  if (raw === undefined || raw === '') return 10;
  if (raw === 'all') return Infinity;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0)
    throw new Error(`PHOENIX_TEST_CPU_TOP: expected a whole number ≥ 0 or "all", got "${raw}"`);
  return n;
}

async function testFiles(filters: string[]): Promise<string[]> {
  const entries = await readdir(path.join(ROOT, 'test'), { recursive: true, withFileTypes: true });
  return entries
    .filter((e) => e.isFile() && e.name.endsWith('.test.ts'))
    .map((e) => path.relative(ROOT, path.join(e.parentPath, e.name)))
    .filter((f) => filters.length === 0 || filters.some((x) => f.includes(x)))
    .sort();
}

async function runUnit(files: string[], tmp: string, cpuLog: string): Promise<number> {
  const unit: string[] = [];
  for (const f of files) if (await isUnit(ROOT, f)) unit.push(f);
  const n = concurrency();
  const code = await runSideBySide(await batched(ROOT, unit, n, tmp, isSerial), n, {
    ...process.env,
    ...TEST_ENV,
    PHOENIX_TEST_CPU_LOG: cpuLog,
  });
  process.stderr.write(await cpuReport(cpuLog, ROOT, {}, cpuTop()));
  return code;
}

/** The run's exit code, failed when the tests left files in the checkout. */
async function checked(code: number, before: CheckoutListing): Promise<number> {
  const writes = await checkoutWrites(ROOT, before);
  if (writes.length === 0) return code;
  process.stderr.write(
    `\nthe tests wrote into the checkout (they must write under the OS temp folder):\n${writes.map((w) => `  ${w}\n`).join('')}`,
  );
  return code || 1;
}

async function main(): Promise<number> {
  const filters = process.argv.slice(2).filter((a) => !a.startsWith('-'));
  const files = await testFiles(filters);
  if (files.length === 0) {
    process.stderr.write(`no test files match ${filters.join(' ')}\n`);
    return 1;
  }
  // The CLI the tests spawn (and the routers' shadow threads) run from dist/ only when it matches
  // src/; build it when it does not (about 1.5 s of CPU saved on every run after the first).
  if (!isCompiledFresh()) await buildCompiled();
  const before = await listCheckout(ROOT);
  const tmp = await mkdtemp(path.join(os.tmpdir(), 'phx-test-run-'));
  try {
    return await checked(await runFiles(files, tmp), before);
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
}

/** Runs `files`, with the run's temporary files (the workflow bundle, the CPU log) under `tmp`. */
async function runFiles(files: string[], tmp: string): Promise<number> {
  const cpuLog = path.join(tmp, 'cpu.jsonl');
  if (process.argv.includes('--unit')) return runUnit(files, tmp, cpuLog);
  const n = concurrency();
  const cli = await resolveTemporalCli({ log: (l) => process.stderr.write(`${l}\n`) });
  await resolveTestServer({ log: (l) => process.stderr.write(`${l}\n`) });
  // One workflow bundle for every worker of the run, in-process or child: bundling costs each
  // about 3 s of CPU, which the suite's two dozen workers would otherwise pay again and again.
  const bundleFile = path.join(tmp, 'workflow-bundle.js');
  const [server] = await Promise.all([
    // With its Web UI: tests assert what the UI shows through the UI's own HTTP API (costs no measurable CPU).
    startDevServer({ cli, port: await freePort(), uiPort: await freePort(), dbFile: ':memory:' }),
    bundleWorkflows().then((b) => writeFile(bundleFile, b.code)),
  ]);
  process.stderr.write(`Temporal dev server for this run on ${server.address}\n`);
  const env = {
    ...process.env,
    PHOENIX_TEST_TEMPORAL_ADDRESS: server.address,
    PHOENIX_TEST_TEMPORAL_UI: server.uiUrl,
    PHOENIX_WORKFLOW_BUNDLE: bundleFile,
    PHOENIX_TEST_CPU_LOG: cpuLog,
    ...TEST_ENV,
  };
  try {
    return await runSideBySide(await batched(ROOT, files, n, tmp, isSerial), n, env);
  } finally {
    const temporal = await processCpuSeconds(server.process?.pid);
    await server.stop();
    process.stderr.write(await cpuReport(cpuLog, ROOT, { 'the Temporal server': temporal }, cpuTop()));
  }
}

/**
 * `files` `n` at a time, {@link SLOW_FIRST} first, then the {@link SERIAL} ones one at a time; the
 * run's exit code. Unit files run side by side too: `node --test` alone runs one file at a time
 * on a 2-core machine (its default is one fewer than the cores), so a core idles whenever that
 * file waits on a socket or a timer.
 */
async function runSideBySide(files: string[], n: number, env: NodeJS.ProcessEnv): Promise<number> {
  const serial = files.filter(isSerial);
  const parallel = slowFirst(files.filter((f) => !serial.includes(f)));
  let code = parallel.length > 0 ? await runNodeTest(parallel, n, env) : 0;
  if (serial.length > 0 && !interrupted) {
    process.stderr.write(`\nnow one at a time: ${serial.join(', ')}\n`);
    code = (await runNodeTest(serial, 1, env)) || code;
  }
  return code;
}

/** Set on Ctrl-C (or SIGTERM): the serial files then do not start. */
let interrupted = false;

/**
 * Node's test runner over `files`, `n` at a time and in the order given (run-node-tests.ts: `node
 * --test` would sort them by name); its exit code. Ctrl-C stops it.
 */
async function runNodeTest(files: string[], n: number, env: NodeJS.ProcessEnv): Promise<number> {
  const child = spawn(
    process.execPath,
    [
      // Every test file's process inherits these: the first logs its CPU at exit
      // (PHOENIX_TEST_CPU_LOG); the second runs TypeScript at a fraction of tsx's CPU per process.
      '--import',
      path.join(ROOT, 'scripts', 'test-cpu-log.mjs'),
      '--import',
      path.join(ROOT, 'scripts', 'ts-register.mjs'),
      path.join(ROOT, 'scripts', 'run-node-tests.ts'),
      String(n),
      ...files,
    ],
    { cwd: ROOT, stdio: 'inherit', env },
  );
  const stop = (): void => {
    interrupted = true;
    child.kill('SIGINT');
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  try {
    return await new Promise<number>((resolve) =>
      child.once('exit', (code, signal) => resolve(code ?? (signal ? 1 : 0))),
    );
  } finally {
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
  }
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`${(err as Error).stack ?? String(err)}\n`);
    process.exit(1);
  },
);
