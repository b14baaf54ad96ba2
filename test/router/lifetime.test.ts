/**
 * A `phoenix` process lives as long as whatever started it: `npx phoenix router` runs as
 * npm → sh → launcher → router, and a SIGTERM to npx must free the router's ports, not leave
 * the launcher adopted by init. Real processes started through npx, free ports. Linux only.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import path from 'node:path';
import { followParent } from '../../bin/follow-parent.mjs';
import { freePort } from '../helpers/ports.js';
import { alive, childPids } from '../helpers/proc.js';
import { waitFor } from '../helpers/wait.js';
import { routerArgs, routerPlanFixture, routerReady, type RouterPlanFixture } from '../helpers/router-process.js';

const ROOT = path.resolve(import.meta.dirname, '..', '..');
const linux = process.platform === 'linux';

let fx: RouterPlanFixture;
const started: ChildProcess[] = [];
const descendants = new Set<number>();

before(async () => {
  fx = await routerPlanFixture('lifetime');
});

after(async () => {
  // Whatever still runs below a process started here (a test that failed before it looked).
  for (const c of started) if (c.pid !== undefined) for (const pid of await tree(c.pid)) descendants.add(pid);
  for (const c of started) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  for (const pid of descendants) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone, as it should be
    }
  }
  await fx?.close();
});

/** Every live process below `pid`. */
async function tree(pid: number): Promise<number[]> {
  const out: number[] = [];
  for (const kid of await childPids(pid)) out.push(kid, ...(await tree(kid)));
  return out;
}

function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1');
    s.once('connect', () => {
      s.destroy();
      resolve(false);
    });
    s.once('error', () => resolve(true));
  });
}

/** Every live process below `npx` now, remembered so `after` can kill any left behind. */
async function below(npx: ChildProcess): Promise<number[]> {
  const pids = await tree(npx.pid!);
  for (const pid of pids) descendants.add(pid);
  return pids;
}

function allExited(pids: number[], timeoutMs: number): Promise<boolean> {
  return waitFor(
    'every process below npx to exit',
    async () => {
      for (const pid of pids) if (await alive(pid)) return false;
      return true;
    },
    { timeoutMs },
  );
}

/** What `slack serve` needs to start; nothing here reaches Slack. */
function slackEnv(): NodeJS.ProcessEnv {
  return {
    SLACK_SIGNING_SECRET: 'lifetime-test-secret',
    SLACK_BOT_TOKEN: 'xoxb-lifetime-test',
    TEMPORAL_ADDRESS: process.env.PHOENIX_TEST_TEMPORAL_ADDRESS ?? 'localhost:7233',
  };
}

function viaNpx(args: string[], env: NodeJS.ProcessEnv = {}): ChildProcess {
  const proc = spawn('npx', ['phoenix', ...args], {
    cwd: ROOT,
    // A pipe this process reads, not its own stderr: a process left behind must not hold the
    // test runner's output open (the runner would wait for it forever).
    stdio: ['ignore', 'ignore', 'pipe'],
    env: { ...process.env, PHOENIX_LOG_LEVEL: 'warn', ...env },
  });
  proc.stderr?.on('data', (b: Buffer) => process.stderr.write(b));
  started.push(proc);
  return proc;
}

describe('a phoenix process started through npx stops with npx', { skip: linux ? false : 'needs /proc' }, () => {
  test('SIGTERM to npx frees both router ports within 2 s and leaves no process behind', async () => {
    const [port, adminPort] = [await freePort(), await freePort()];
    const env = { ...process.env };
    delete env.GLIBC_TUNABLES;
    delete env.PHOENIX_MALLOC_TUNING;
    const npx = viaNpx(routerArgs(fx.plan, port, adminPort, path.join(fx.dir, 'state.json')), env);
    await routerReady(adminPort);
    const pids = await below(npx);
    assert.ok(pids.length >= 2, `npx runs the launcher and the router below it (saw ${pids.length} processes)`);
    const t0 = performance.now();
    npx.kill('SIGTERM');
    await waitFor('both ports to be free', async () => (await portFree(port)) && (await portFree(adminPort)), {
      timeoutMs: 5_000,
      intervalMs: 20,
    });
    const ms = performance.now() - t0;
    assert.ok(ms <= 2_000, `ports free after ${Math.round(ms)} ms`);
    await allExited(pids, 5_000);
  });

  test('SIGTERM to npx stops a slack receiver the same way', async () => {
    const port = await freePort();
    const npx = viaNpx(['slack', 'serve', '--plan', fx.plan, '--port', String(port)], slackEnv());
    await waitFor('the receiver', async () => !(await portFree(port)), { timeoutMs: 30_000, intervalMs: 100 });
    const pids = await below(npx);
    npx.kill('SIGTERM');
    await waitFor('the receiver port to be free', () => portFree(port), { timeoutMs: 2_000, intervalMs: 20 });
    await allExited(pids, 5_000);
  });
});

describe('a worker started through npx stops with npx', { skip: linux ? false : 'needs /proc' }, () => {
  test('SIGTERM to npx stops the worker (and its Slack receiver) and leaves no process behind', async () => {
    const port = await freePort();
    const npx = viaNpx(
      [
        'worker',
        '--task-queue',
        `lifetime-${process.pid}`,
        '--report-dir',
        path.join(fx.dir, 'reports'),
        '--slack-plan',
        fx.plan,
        '--slack-port',
        String(port),
      ],
      slackEnv(),
    );
    // The receiver listens once the worker is built and connected.
    await waitFor('the worker', async () => !(await portFree(port)), { timeoutMs: 60_000, intervalMs: 100 });
    const pids = await below(npx);
    npx.kill('SIGTERM');
    await allExited(pids, 15_000);
    assert.ok(await portFree(port));
  });
});

test('the parent watch is not armed under init or when switched off', () => {
  assert.equal(followParent({ PHOENIX_FOLLOW_PARENT: 'off' }), false);
});
