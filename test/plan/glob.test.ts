import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { expandGlobs } from '../../src/plan/glob.js';
import { PlanError, validatePlan } from '../../src/plan/index.js';

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

test('a contract pattern the glob library refuses is a plan error naming its entry, not a crash', async () => {
  const plan = {
    version: 1,
    name: 'p',
    approvers: ['U1'],
    legacy: 'http://127.0.0.1:1',
    families: [
      { name: 'a', routes: ['/a/*'], new: 'http://127.0.0.1:2', contracts: ['contracts/users/*.yaml', 'a//'] },
    ],
  };
  await assert.rejects(validatePlan(plan, path.join(dir, 'plan.yaml'), 'plan.yaml'), (err: unknown) => {
    assert.ok(err instanceof PlanError);
    assert.match(err.message, /^PHX_ERR_PLAN_INVALID/);
    assert.match(err.message, /families\[0\]\.contracts\[1\]: "a\/\/" is not a usable file pattern/);
    return true;
  });
});
