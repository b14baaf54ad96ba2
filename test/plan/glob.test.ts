import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { expandGlobs } from '../../src/plan/glob.js';

let dir: string;

before(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'phx-glob-'));
  for (const f of ['users/a.yaml', 'users/b.yml', 'users/deep/c.yaml', 'users/notes.txt', 'orders/x.yaml'])
    await mkdir(path.dirname(path.join(dir, 'contracts', f)), { recursive: true }).then(() =>
      writeFile(path.join(dir, 'contracts', f), 'x'),
    );
});
after(() => rm(dir, { recursive: true, force: true }));

const rel = (files: string[]): string[] => files.map((f) => path.relative(dir, f));

test('contract globs expand *, **, braces and character classes to sorted absolute files', async () => {
  assert.deepEqual(rel(await expandGlobs(['contracts/users/*.yaml'], dir)), ['contracts/users/a.yaml']);
  assert.deepEqual(rel(await expandGlobs(['contracts/users/{*.yml,*.yaml}'], dir)), [
    'contracts/users/a.yaml',
    'contracts/users/b.yml',
  ]);
  assert.deepEqual(rel(await expandGlobs(['contracts/**/*.yaml'], dir)), [
    'contracts/orders/x.yaml',
    'contracts/users/a.yaml',
    'contracts/users/deep/c.yaml',
  ]);
  assert.deepEqual(rel(await expandGlobs(['contracts/users/[ab].y*'], dir)), [
    'contracts/users/a.yaml',
    'contracts/users/b.yml',
  ]);
});

test('plain paths, absolute globs and overlapping globs give each file once; folders and misses give nothing', async () => {
  const files = await expandGlobs(
    ['contracts/users/a.yaml', path.join(dir, 'contracts/users/*.yaml'), 'contracts/users', 'nope/*.yaml'],
    dir,
  );
  assert.deepEqual(rel(files), ['contracts/users/a.yaml']);
  assert.deepEqual(await expandGlobs([], dir), []);
});
