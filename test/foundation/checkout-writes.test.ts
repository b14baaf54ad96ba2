/**
 * The test run's check that tests leave the checkout as they found it (scripts/run-tests.ts),
 * on a scratch git checkout.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { appendFile, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { checkoutWrites, listCheckout } from '../../scripts/checkout-writes.js';

const git = (cwd: string, ...args: string[]) => promisify(execFile)('git', args, { cwd });
let root: string;

before(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), 'phx-checkout-'));
  await git(root, 'init', '-q');
  await mkdir(path.join(root, 'src'));
  await writeFile(path.join(root, 'src', 'a.ts'), 'export {};\n');
  await writeFile(path.join(root, '.gitignore'), '.phoenix/\nnode_modules/\n*.log\n');
  await git(root, 'add', '.');
  await mkdir(path.join(root, '.phoenix', 'venv'), { recursive: true });
  await mkdir(path.join(root, '.phoenix', 'reports'), { recursive: true });
  await writeFile(path.join(root, '.phoenix', 'reports', 'old.md'), 'from an earlier demo\n');
  await writeFile(path.join(root, 'stale.log'), 'x\n');
});
after(async () => {
  if (root) await rm(root, { recursive: true, force: true });
});

test('files the run created, changed or removed outside the caches are reported; tracked files and caches are not', async () => {
  const before = await listCheckout(root);
  assert.deepEqual(await checkoutWrites(root, before), [], 'nothing happened yet');

  await mkdir(path.join(root, '.phoenix', 'logs'));
  await writeFile(path.join(root, '.phoenix', 'logs', 'bench-scale-worker.log'), 'worker output\n');
  await appendFile(path.join(root, '.phoenix', 'reports', 'old.md'), 'and one more line\n');
  await rm(path.join(root, 'stale.log'));
  await writeFile(path.join(root, 'src', 'b.ts'), 'export {};\n');
  // A cache filled and a tracked file edited by hand meanwhile: not the tests' doing.
  await writeFile(path.join(root, '.phoenix', 'venv', 'pyvenv.cfg'), 'home = /usr/bin\n');
  await mkdir(path.join(root, 'node_modules', 'x'), { recursive: true });
  await writeFile(path.join(root, 'node_modules', 'x', 'index.js'), '\n');
  await appendFile(path.join(root, 'src', 'a.ts'), '// edited\n');

  assert.deepEqual(await checkoutWrites(root, before), [
    'created .phoenix/logs/bench-scale-worker.log',
    'changed .phoenix/reports/old.md',
    'created src/b.ts',
    'removed stale.log',
  ]);
});
