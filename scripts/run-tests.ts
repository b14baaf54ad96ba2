/**
 * `npm test`: starts one real Temporal dev server for the whole run, then runs every
 * `test/**\/*.test.ts` file with Node's test runner (tsx as the loader). Extra arguments are
 * file filters: `npm test -- router` runs the files whose path contains "router".
 */
import { spawn } from 'node:child_process';
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startDevServer } from '../src/lib/dev-server.js';
import { resolveTemporalCli, resolveTestServer } from '../src/lib/temporal-cli.js';
import { freePort } from '../test/helpers/ports.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

async function testFiles(filters: string[]): Promise<string[]> {
  const entries = await readdir(path.join(ROOT, 'test'), { recursive: true, withFileTypes: true });
  return entries
    .filter((e) => e.isFile() && e.name.endsWith('.test.ts'))
    .map((e) => path.relative(ROOT, path.join(e.parentPath, e.name)))
    .filter((f) => filters.length === 0 || filters.some((x) => f.includes(x)))
    .sort();
}

async function main(): Promise<number> {
  const filters = process.argv.slice(2).filter((a) => !a.startsWith('-'));
  const files = await testFiles(filters);
  if (files.length === 0) {
    process.stderr.write(`no test files match ${filters.join(' ')}\n`);
    return 1;
  }
  const cli = await resolveTemporalCli({ log: (l) => process.stderr.write(`${l}\n`) });
  await resolveTestServer({ log: (l) => process.stderr.write(`${l}\n`) });
  const server = await startDevServer({ cli, port: await freePort(), headless: true, dbFile: ':memory:' });
  process.stderr.write(`Temporal dev server for this run on ${server.address}\n`);
  try {
    const child = spawn(process.execPath, ['--import', 'tsx', '--test', '--test-reporter=spec', ...files], {
      cwd: ROOT,
      stdio: 'inherit',
      env: {
        ...process.env,
        PHOENIX_TEST_TEMPORAL_ADDRESS: server.address,
        PHOENIX_LOG_LEVEL: process.env.PHOENIX_LOG_LEVEL ?? 'warn',
      },
    });
    const stop = (): void => void child.kill('SIGINT');
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
    return await new Promise<number>((resolve) =>
      child.once('exit', (code, signal) => resolve(code ?? (signal ? 1 : 0))),
    );
  } finally {
    await server.stop();
  }
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`${(err as Error).stack ?? String(err)}\n`);
    process.exit(1);
  },
);
