/**
 * `phoenix comparator --serve` as users start it: like `phoenix router`, the launcher in bin/ runs
 * it in a child process with glibc malloc tuned (bin/malloc-tuning.mjs), since it buffers the same
 * bodies. Real processes, free ports. Linux only (/proc).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { request } from 'undici';
import { ROUTER_GLIBC_TUNABLES, wantsMallocTuning } from '../../bin/malloc-tuning.mjs';
import { freePort } from '../helpers/ports.js';
import { alive, childPids, processEnviron } from '../helpers/proc.js';
import { waitFor } from '../helpers/wait.js';
import { writePlanFile } from '../helpers/plan-builder.js';

const BIN = path.join(import.meta.dirname, '..', '..', 'bin', 'phoenix.mjs');

let dir: string;
let plan: string;
const started: ChildProcess[] = [];

before(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'phx-comparator-launcher-'));
  plan = path.join(dir, 'plan.yaml');
  await writePlanFile(plan, {
    version: 1,
    name: 'launcher',
    legacy: 'http://127.0.0.1:9',
    approvers: ['alice'],
    families: [{ name: 'users', routes: ['GET /api/users/*'], new: 'http://127.0.0.1:9' }],
  });
});

after(async () => {
  for (const c of started) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  await rm(dir, { recursive: true, force: true });
});

test('comparator --serve is relaunched with the malloc tuning; one-off comparisons are not', () => {
  assert.equal(wantsMallocTuning(['comparator', '--serve', '--plan', 'p.yaml'], {}, 'linux'), true);
  assert.equal(wantsMallocTuning(['comparator', '--plan', 'p.yaml', '--serve'], {}, 'linux'), true);
  assert.equal(wantsMallocTuning(['comparator', 'users', '/api/users/1', '--plan', 'p.yaml'], {}, 'linux'), false);
  assert.equal(wantsMallocTuning(['comparator', '--serve'], { GLIBC_TUNABLES: '' }, 'linux'), false);
  assert.equal(wantsMallocTuning(['comparator', '--serve'], { PHOENIX_MALLOC_TUNING: 'off' }, 'linux'), false);
  assert.equal(wantsMallocTuning(['comparator', '--serve'], {}, 'darwin'), false);
});

test(
  'comparator --serve serves from a tuned child process; SIGTERM stops both and exits 0',
  { skip: process.platform === 'linux' ? false : 'needs /proc' },
  async () => {
    const env: NodeJS.ProcessEnv = { ...process.env, PHOENIX_LOG_LEVEL: 'warn' };
    delete env.GLIBC_TUNABLES;
    delete env.PHOENIX_MALLOC_TUNING;
    const [port, adminPort] = [await freePort(), await freePort()];
    const args = ['--plan', plan, '--port', String(port), '--admin-port', String(adminPort), '--insecure-admin'];
    const proc = spawn(process.execPath, [BIN, 'comparator', '--serve', ...args], {
      stdio: ['ignore', 'ignore', 'pipe'],
      env,
    });
    proc.stderr?.on('data', (b: Buffer) => process.stderr.write(b));
    started.push(proc);
    const exited = new Promise<number | null>((r) => proc.once('exit', (code) => r(code)));
    await waitFor(
      'the comparator',
      async () => (await request(`http://127.0.0.1:${adminPort}/healthz`)).statusCode === 200,
      { timeoutMs: 30_000, intervalMs: 100 },
    );
    const kids = await childPids(proc.pid!);
    assert.equal(kids.length, 1, 'one serving process under the launcher');
    const serving = kids[0]!;
    const environ = await processEnviron(serving);
    for (const tunable of ROUTER_GLIBC_TUNABLES.split(':'))
      assert.ok(environ.includes(tunable), `the serving process was started with ${tunable}`);
    // The serving process takes mirrors: a mirrored GET is answered 204 at once.
    const mirror = await request(`http://127.0.0.1:${port}/api/users/1`, { headers: { 'x-phoenix-family': 'users' } });
    await mirror.body.dump();
    assert.equal(mirror.statusCode, 204);
    proc.kill('SIGTERM');
    assert.equal(await exited, 0);
    await waitFor('the serving process to exit', async () => !(await alive(serving)), { timeoutMs: 10_000 });
  },
);
