/**
 * Node's test runner over the files given, in the order given: `node --test` sorts its files by
 * name, so the run's slowest files would start last. Arguments: how many files at a time, then the
 * files. Prints the spec reporter's output, then the test files that failed; exits 1 when a test
 * failed.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { run } from 'node:test';
import { spec } from 'node:test/reporters';

const BATCH_ENTRY = /unit-batch-\d+\.mjs$/;

/** The test files a batch entry module (written by test-batches.ts) runs. */
function batchFiles(entry: string): string[] {
  return [...readFileSync(entry, 'utf8').matchAll(/^batchFile\([^,]+, "([^"]+)"/gm)].map((m) => m[1]!);
}

const [n, ...files] = process.argv.slice(2);
const failed = new Set<string>();
const stream = run({ files, concurrency: Number(n) });
stream.on('test:fail', (data: { nesting: number; name: string; file?: string }) => {
  process.exitCode = 1;
  if (data.nesting !== 0) return;
  // In a batch of unit files (test-batches.ts) each file is a suite named for it; a batch whose
  // process failed as a whole (a file that throws as it loads) is named with its files.
  if (data.file?.endsWith(path.join('scripts', 'test-batch.mjs')) || data.file === undefined) failed.add(data.name);
  else if (BATCH_ENTRY.test(data.file)) failed.add(`${data.file}, a batch of ${batchFiles(data.file).join(', ')}`);
  else failed.add(path.relative(process.cwd(), data.file));
});
const report = stream.pipe(new spec());
report.pipe(process.stdout);
report.on('end', () => {
  if (failed.size > 0) process.stderr.write(`\nfailed test files:\n${[...failed].map((f) => `  ${f}\n`).join('')}`);
});
