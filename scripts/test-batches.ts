/**
 * Which test files are unit tests, and the unit files run several to a process. A unit file's
 * tests take milliseconds, but a process of its own costs about a second of CPU: Node's start, the
 * TypeScript loader's thread and loading the same modules (undici, zod, the router…) again. Node 20
 * has no `--experimental-test-isolation=none`, so each batch is an entry module written for the
 * run that imports its files; test-batch-scope.mjs keeps each file's tests and hooks in a suite
 * named for the file, test-batch.mjs logs each file's CPU.
 */
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

/**
 * A test file is a unit test when it needs nothing outside its own process: neither it nor the
 * test helpers it imports (followed through `test/`) use the suite's Temporal server (the Temporal
 * and workflow helpers), the example apps' Python or child processes, and it is not a fault, load
 * or scale test (`test/faults/`).
 */
const OUT_OF_PROCESS = /helpers\/temporal|workflows\/(harness|support)|python-env|node:child_process/;
const RELATIVE_IMPORT = /from '(\.{1,2}\/[^']+)\.js'/g;

/** Whether `file` (relative to `root`) is a unit test file: see {@link OUT_OF_PROCESS}. */
export async function isUnit(root: string, file: string, seen = new Set<string>()): Promise<boolean> {
  if (file.startsWith(path.join('test', 'faults'))) return false;
  if (seen.has(file)) return true;
  seen.add(file);
  const text = await readFile(path.join(root, file), 'utf8');
  if (OUT_OF_PROCESS.test(text)) return false;
  for (const [, spec] of text.matchAll(RELATIVE_IMPORT)) {
    const helper = path.join(path.dirname(file), `${spec}.ts`);
    if (helper.startsWith(`test${path.sep}`) && !(await isUnit(root, helper, seen))) return false;
  }
  return true;
}

/**
 * The test helpers `file` imports, followed through `test/` (relative to `root`, `file` not
 * included).
 */
async function testHelpers(root: string, file: string, seen = new Set<string>()): Promise<Set<string>> {
  const text = await readFile(path.join(root, file), 'utf8');
  for (const [, spec] of text.matchAll(RELATIVE_IMPORT)) {
    const helper = path.join(path.dirname(file), `${spec}.ts`);
    if (helper.startsWith(`test${path.sep}`) && !seen.has(helper)) {
      seen.add(helper);
      await testHelpers(root, helper, seen);
    }
  }
  return seen;
}

/**
 * Whether `file` can share a process: not when a test helper it imports registers tests or hooks
 * itself, since only the file's own `node:test` import is scoped to the file (test-batch-scope.mjs).
 */
async function batchable(root: string, file: string): Promise<boolean> {
  for (const helper of await testHelpers(root, file)) {
    if ((await readFile(path.join(root, helper), 'utf8')).includes("from 'node:test'")) return false;
  }
  return true;
}

/**
 * Unit files that keep a process of their own, each with the reason. Files in a batch run one
 * after another, each in its own suite, so hooks, `process.env` changes undone in `after` and
 * servers closed in `after` stay within the file; what is left is what lasts for the process.
 */
export const BATCH_ALONE: Record<string, string> = {};

/**
 * The unit files that take longest, in seconds of wall time (`npm run test:unit` on the shared
 * 2-core machine at load 13–17, 2026-12-02), to spread them over the batches: a batch lasts as
 * long as its files together. A file not listed counts as {@link DEFAULT_COST}.
 */
const COST: Record<string, number> = {
  'test/router/canary.test.ts': 52,
  'test/replay/histories.test.ts': 49,
  'test/router/admin.test.ts': 37,
  'test/router/proxy.test.ts': 18,
  'test/comparator/intake-bounds.test.ts': 16,
  'test/router/identity.test.ts': 13,
  'test/router/mirror-order.test.ts': 12,
  'test/router/shadow-keys.test.ts': 12,
  'test/router/redirects.test.ts': 12,
  'test/contracts/runner.test.ts': 11,
  'test/router/upstream-failures.test.ts': 11,
  'test/cli/commands-table.test.ts': 11,
  'test/contracts/stateful.test.ts': 10,
  'test/provider/router-provider.test.ts': 8,
  'test/router/replay.test.ts': 6,
  'test/parity/property.test.ts': 6,
  'test/router/status-line.test.ts': 6,
  'test/router/shadow-pipeline.test.ts': 5,
  'test/router/triage-admin.test.ts': 4,
  'test/report/html-report.test.ts': 4,
  'test/router/records.test.ts': 3,
  'test/contracts/redirects.test.ts': 3,
  'test/router/slash-variants.test.ts': 3,
  'test/plan/data-plane-members.test.ts': 2,
  'test/router/shadow-admission.test.ts': 2,
};
const DEFAULT_COST = 0.5;

/**
 * Writes `n` entry modules into `dir` that together run `files` (relative to `root`), each file in
 * one of them, the costliest spread first (see {@link COST}); the entries' paths. A batch process
 * exits with a failure when any of its files' tests fail, and the failing test is reported inside
 * the suite named for its file, at its own line.
 */
export async function writeBatches(root: string, files: string[], n: number, dir: string): Promise<string[]> {
  const cost = (f: string): number => COST[f.split(path.sep).join('/')] ?? DEFAULT_COST;
  // At least two files a batch: a batch of one only adds its entry module.
  const count = Math.max(1, Math.min(n, Math.floor(files.length / 2)));
  const batches = Array.from({ length: count }, () => ({ files: [] as string[], cost: 0 }));
  for (const f of [...files].sort((a, b) => cost(b) - cost(a) || a.localeCompare(b))) {
    const least = batches.reduce((a, b) => (b.cost < a.cost ? b : a));
    least.files.push(f);
    least.cost += cost(f);
  }
  const api = pathToFileURL(path.join(root, 'scripts', 'test-batch.mjs')).href;
  return Promise.all(
    batches.map(async (b, i) => {
      const sorted = b.files.sort();
      const files = `${sorted.length} file${sorted.length === 1 ? '' : 's'}`;
      const label = `unit batch ${i + 1} of ${batches.length} (${files}): start-up and module loading`;
      const lines = [`import { batchFile, logBatchCpu } from ${JSON.stringify(api)};`];
      sorted.forEach((f, j) => {
        const url = pathToFileURL(path.join(root, f)).href;
        lines.push(`import ${JSON.stringify(`${url}?phx-batch`)};`);
        lines.push(`import { replay as replay${j} } from ${JSON.stringify(`${url}?phx-test-scope`)};`);
      });
      lines.push(`logBatchCpu(${JSON.stringify(label)});`);
      sorted.forEach((f, j) => {
        const name = f.split(path.sep).join('/');
        lines.push(`batchFile(${JSON.stringify(root)}, ${JSON.stringify(name)}, replay${j});`);
      });
      const entry = path.join(dir, `unit-batch-${i + 1}.mjs`);
      await writeFile(entry, `${lines.join('\n')}\n`);
      return entry;
    }),
  );
}

/**
 * `files` with the unit files replaced by `n` batch entries written into `dir`, which come first;
 * left as they are: the files in `keep` or {@link BATCH_ALONE}, and those whose helpers register
 * tests or hooks (see batchable).
 */
export async function batched(
  root: string,
  files: string[],
  n: number,
  dir: string,
  keep: (file: string) => boolean,
): Promise<string[]> {
  const unit: string[] = [];
  const rest: string[] = [];
  for (const f of files) {
    const name = f.split(path.sep).join('/');
    if (!keep(f) && !(name in BATCH_ALONE) && (await isUnit(root, f)) && (await batchable(root, f))) unit.push(f);
    else rest.push(f);
  }
  // One file needs no batch: it would only add the entry module.
  if (unit.length < 2) return files;
  return [...(await writeBatches(root, unit, n, dir)), ...rest];
}
