/**
 * A `phoenix` process lives as long as whatever started it: `npx phoenix router` runs as
 * npm → sh → launcher → router, and a SIGTERM to npx must free the router's ports, not leave
 * the launcher adopted by init. Real processes started through npx, free ports. Linux only.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { request } from 'undici';
import { followParent } from '../../bin/follow-parent.mjs';
import { freePort } from '../helpers/ports.js';
import { alive, childPids } from '../helpers/proc.js';
import { waitFor } from '../helpers/wait.js';
import { fakeUpstream, type FakeUpstream } from '../helpers/fake-upstream.js';
import { writePlanFile } from '../helpers/plan-builder.js';

const ROOT = path.resolve(import.meta.dirname, '..', '..');
const linux = process.platform === 'linux';

let dir: string;
let plan: string;
let legacy: FakeUpstream;
const started: ChildProcess[] = [];
const descendants = new Set<number>();

before(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'phx-lifetime-'));
  legacy = await fakeUpstream((_req, res) => res.end('legacy'));
  plan = path.join(dir, 'plan.yaml');
  await writePlanFile(plan, {
    version: 1,
    name: 'lifetime',
    legacy: legacy.url,
    approvers: ['alice'],
    families: [{ name: 'users', routes: ['GET /api/users/*'], new: 'http://127.0.0.1:9' }],
  });
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
  await legacy?.close();
  await rm(dir, { recursive: true, force: true });
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
    const npx = viaNpx(
      [
        'router',
        '--plan',
        plan,
        '--port',
        String(port),
        '--admin-port',
        String(adminPort),
        '--insecure-admin',
        '--state-file',
        path.join(dir, 'state.json'),
      ],
      env,
    );
    await waitFor(
      'the router',
      async () => (await request(`http://127.0.0.1:${adminPort}/healthz`)).statusCode === 200,
      {
        timeoutMs: 30_000,
        intervalMs: 100,
      },
    );
    const below = await tree(npx.pid!);
    for (const pid of below) descendants.add(pid);
    assert.ok(below.length >= 2, `npx runs the launcher and the router below it (saw ${below.length} processes)`);
    const t0 = performance.now();
    npx.kill('SIGTERM');
    await waitFor('both ports to be free', async () => (await portFree(port)) && (await portFree(adminPort)), {
      timeoutMs: 5_000,
      intervalMs: 20,
    });
    const ms = performance.now() - t0;
    assert.ok(ms <= 2_000, `ports free after ${Math.round(ms)} ms`);
    await waitFor(
      'every process below npx to exit',
      async () => {
        for (const pid of below) if (await alive(pid)) return false;
        return true;
      },
      { timeoutMs: 5_000 },
    );
  });

  test('SIGTERM to npx stops a slack receiver the same way', async () => {
    const port = await freePort();
    const npx = viaNpx(['slack', 'serve', '--plan', plan, '--port', String(port)], {
      SLACK_SIGNING_SECRET: 'lifetime-test-secret',
      SLACK_BOT_TOKEN: 'xoxb-lifetime-test',
      TEMPORAL_ADDRESS: process.env.PHOENIX_TEST_TEMPORAL_ADDRESS ?? 'localhost:7233',
    });
    await waitFor('the receiver', async () => !(await portFree(port)), { timeoutMs: 30_000, intervalMs: 100 });
    const below = await tree(npx.pid!);
    for (const pid of below) descendants.add(pid);
    npx.kill('SIGTERM');
    await waitFor('the receiver port to be free', () => portFree(port), { timeoutMs: 2_000, intervalMs: 20 });
    await waitFor(
      'every process below npx to exit',
      async () => {
        for (const pid of below) if (await alive(pid)) return false;
        return true;
      },
      { timeoutMs: 5_000 },
    );
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
        path.join(dir, 'reports'),
        '--slack-plan',
        plan,
        '--slack-port',
        String(port),
      ],
      {
        SLACK_SIGNING_SECRET: 'lifetime-test-secret',
        SLACK_BOT_TOKEN: 'xoxb-lifetime-test',
        TEMPORAL_ADDRESS: process.env.PHOENIX_TEST_TEMPORAL_ADDRESS ?? 'localhost:7233',
      },
    );
    // The receiver listens once the worker is built and connected.
    await waitFor('the worker', async () => !(await portFree(port)), { timeoutMs: 60_000, intervalMs: 100 });
    const below = await tree(npx.pid!);
    for (const pid of below) descendants.add(pid);
    npx.kill('SIGTERM');
    await waitFor(
      'every process below npx to exit',
      async () => {
        for (const pid of below) if (await alive(pid)) return false;
        return true;
      },
      { timeoutMs: 15_000 },
    );
    assert.ok(await portFree(port));
  });
});

test('the parent watch is not armed under init or when switched off', () => {
  assert.equal(followParent({ PHOENIX_FOLLOW_PARENT: 'off' }), false);
});
