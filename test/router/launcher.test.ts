/**
 * `phoenix router` as users start it: the launcher in bin/ runs the router in a child process
 * with glibc malloc tuned (see bin/malloc-tuning.mjs), forwards signals and passes exit codes on.
 * Real processes, a real upstream, free ports. Linux only (/proc).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { request } from 'undici';
import { ROUTER_GLIBC_TUNABLES, wantsMallocTuning } from '../../bin/malloc-tuning.mjs';
import { freePort } from '../helpers/ports.js';
import { alive, childPids, processEnviron } from '../helpers/proc.js';
import { waitFor } from '../helpers/wait.js';
import {
  PHOENIX_BIN as BIN,
  routerArgs,
  routerPlanFixture,
  routerReady,
  type RouterPlanFixture,
} from '../helpers/router-process.js';

const linux = process.platform === 'linux';

let fx: RouterPlanFixture;
const started: ChildProcess[] = [];

before(async () => {
  fx = await routerPlanFixture('launcher');
});

after(async () => {
  for (const c of started) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  await fx?.close();
});

/** `phoenix router` on free ports; resolves once its admin API answers. */
async function startRouter(
  env: NodeJS.ProcessEnv,
): Promise<{ proc: ChildProcess; url: string; exited: Promise<number | null> }> {
  const [port, adminPort] = [await freePort(), await freePort()];
  const proc = spawn(
    process.execPath,
    [BIN, ...routerArgs(fx.plan, port, adminPort, path.join(fx.dir, `state-${port}.json`))],
    {
      // Read here rather than inherited: a router left behind must not hold the runner's output open.
      stdio: ['ignore', 'ignore', 'pipe'],
      env: { ...env, PHOENIX_LOG_LEVEL: 'warn' },
    },
  );
  proc.stderr?.on('data', (b: Buffer) => process.stderr.write(b));
  started.push(proc);
  const exited = new Promise<number | null>((r) => proc.once('exit', (code) => r(code)));
  await routerReady(adminPort);
  return { proc, url: `http://127.0.0.1:${port}`, exited };
}

/** The one process serving under the launcher `r` started. */
async function servingPid(r: { proc: ChildProcess }): Promise<number> {
  const kids = await childPids(r.proc.pid!);
  assert.equal(kids.length, 1, 'one serving process under the launcher');
  return kids[0]!;
}

function exitOf(pid: number, what: string): Promise<boolean> {
  return waitFor(what, async () => !(await alive(pid)), { timeoutMs: 10_000 });
}

function withoutTunables(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  delete env.GLIBC_TUNABLES;
  delete env.PHOENIX_MALLOC_TUNING;
  return env;
}

function runCli(args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, ...args], { env, timeout: 60_000 }, (err, _stdout, stderr) =>
      resolve({ code: err ? Number((err as { code?: number }).code) : 0, stderr }),
    );
  });
}

describe('the phoenix router launcher', { skip: linux ? false : 'needs /proc' }, () => {
  test('serves from a child process started with the malloc tuning; SIGTERM stops both and exits 0', async () => {
    const r = await startRouter(withoutTunables());
    const serving = await servingPid(r);
    const environ = await processEnviron(serving);
    for (const tunable of ROUTER_GLIBC_TUNABLES.split(':'))
      assert.ok(environ.includes(tunable), `the serving process was started with ${tunable}`);
    assert.ok(
      !(await processEnviron(r.proc.pid!)).includes('GLIBC_TUNABLES='),
      'the launcher itself runs as the user started it',
    );
    const res = await request(`${r.url}/api/users/1`);
    assert.equal(await res.body.text(), 'legacy');
    r.proc.kill('SIGTERM');
    assert.equal(await r.exited, 0);
    await exitOf(serving, 'the serving process to exit');
  });

  test('a repeated Ctrl-C (SIGINT to launcher and router alike) still closes cleanly', async () => {
    const r = await startRouter(withoutTunables());
    const serving = await servingPid(r);
    process.kill(serving, 'SIGINT');
    r.proc.kill('SIGINT');
    assert.equal(await r.exited, 0);
    await exitOf(serving, 'the serving process to exit');
  });

  test('a launcher killed with SIGKILL takes the router with it', async () => {
    const r = await startRouter(withoutTunables());
    const serving = await servingPid(r);
    r.proc.kill('SIGKILL');
    await r.exited;
    await exitOf(serving, 'the orphaned router to exit');
  });

  test("an operator's own GLIBC_TUNABLES, or PHOENIX_MALLOC_TUNING=off, runs the router in the started process", async () => {
    const own = 'glibc.malloc.trim_threshold=1048576';
    const envs: NodeJS.ProcessEnv[] = [
      { ...withoutTunables(), GLIBC_TUNABLES: own },
      { ...withoutTunables(), PHOENIX_MALLOC_TUNING: 'off' },
    ];
    for (const env of envs) {
      const r = await startRouter(env);
      assert.deepEqual(await childPids(r.proc.pid!), [], 'no second process');
      const environ = await processEnviron(r.proc.pid!);
      assert.ok(!environ.includes(ROUTER_GLIBC_TUNABLES.split(':')[1]!), "Phoenix's tuning was not added");
      if (env.GLIBC_TUNABLES) assert.ok(environ.includes(own), "the operator's setting is kept");
      r.proc.kill('SIGTERM');
      assert.equal(await r.exited, 0);
    }
  });

  test('exit codes and error codes pass through the launcher unchanged', async () => {
    const args = ['router', '--plan', path.join(fx.dir, 'no-such-plan.yaml'), '--insecure-admin'];
    const tuned = await runCli(args, withoutTunables());
    const direct = await runCli(args, { ...withoutTunables(), PHOENIX_MALLOC_TUNING: 'off' });
    assert.notEqual(tuned.code, 0);
    assert.equal(tuned.code, direct.code);
    assert.match(tuned.stderr, /^PHX_ERR_\w+/m);
    assert.equal(tuned.stderr, direct.stderr);
  });
});

test('only the router command is relaunched, only on Linux, and never over an explicit setting', () => {
  assert.equal(wantsMallocTuning(['router', '--plan', 'p.yaml'], {}, 'linux'), true);
  assert.equal(wantsMallocTuning(['worker'], {}, 'linux'), false);
  assert.equal(wantsMallocTuning([], {}, 'linux'), false);
  assert.equal(wantsMallocTuning(['router'], {}, 'darwin'), false);
  assert.equal(wantsMallocTuning(['router'], { GLIBC_TUNABLES: '' }, 'linux'), false);
  assert.equal(wantsMallocTuning(['router'], { PHOENIX_MALLOC_TUNING: 'off' }, 'linux'), false);
});
