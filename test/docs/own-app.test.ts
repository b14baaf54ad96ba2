/**
 * docs/own-app.md, followed as a reader would: its `sh own-app` blocks run in order, as written,
 * in an empty temporary directory, with the example apps on free ports and the variables the doc
 * asks the reader to set. It must reach the first shadow comparison (the router counts compared
 * requests for the family) and `phoenix start` must be accepted by the suite's Temporal (in a
 * namespace of its own, so the doc's family names meet no other test's workflows).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client } from '@temporalio/client';
import { msToTs } from '@temporalio/common';
import { ensurePythonEnv, startPythonApp, type RunningPythonApp } from '../../scripts/python-env.js';
import { freePort } from '../helpers/ports.js';
import { testTemporal, type TestTemporal } from '../helpers/temporal.js';
import { waitFor } from '../helpers/wait.js';
import { progressQuery, Stage } from '../../src/workflows/messages.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const DOC = path.join(ROOT, 'docs/own-app.md');
const TOKEN = 'own-app-doc-token';
const namespace = `own-app-${process.pid}-${Date.now() % 100000}`;
let t: TestTemporal;
let dir: string;
let legacy: RunningPythonApp;
let fresh: RunningPythonApp;
let env: NodeJS.ProcessEnv;
const groups: number[] = [];

/** A client of the doc's namespace. */
const inNamespace = (): Client => new Client({ connection: t.client.connection, namespace });

/** The doc's runnable blocks: fenced with the info string `sh own-app`. */
function ownAppBlocks(markdown: string): string[] {
  return [...markdown.matchAll(/^```sh own-app\n([\s\S]*?)^```$/gm)].map((m) => m[1]!);
}

/** Runs one block with `sh -e` in the doc's directory; a process group of its own, killed in `after`. */
function runBlock(script: string): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    const child = spawn('sh', ['-e', '-c', script], { cwd: dir, env, detached: true, stdio: 'pipe' });
    groups.push(child.pid!);
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 90_000);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, out });
    });
  });
}

before(async () => {
  t = await testTemporal();
  await t.client.connection.workflowService.registerNamespace({
    namespace,
    workflowExecutionRetentionPeriod: msToTs('1 day'),
  });
  const { python } = await ensurePythonEnv({ root: ROOT });
  dir = await mkdtemp(path.join(os.tmpdir(), 'phx-own-app-'));
  const work = path.join(dir, 'my-migration');
  const bin = path.join(dir, 'bin');
  await mkdir(work);
  await mkdir(bin);
  // The doc's one-line `phoenix` script.
  await writeFile(path.join(bin, 'phoenix'), `#!/bin/sh\nexec "${process.execPath}" "${ROOT}/bin/phoenix.mjs" "$@"\n`);
  await chmod(path.join(bin, 'phoenix'), 0o755);
  [legacy, fresh] = await Promise.all([
    startPythonApp(python, path.join(ROOT, 'examples/legacy-flask/app.py'), [], {
      logFile: path.join(dir, 'legacy.log'),
    }),
    startPythonApp(python, path.join(ROOT, 'examples/fastapi-services/main.py'), ['--service', 'all'], {
      logFile: path.join(dir, 'new.log'),
    }),
  ]);
  env = {
    ...process.env,
    PATH: `${bin}${path.delimiter}${process.env.PATH ?? ''}`,
    PHOENIX_HOME: ROOT,
    LEGACY_URL: legacy.url,
    NEW_URL: fresh.url,
    ROUTER_URL: `http://127.0.0.1:${await freePort()}`,
    ADMIN_URL: `http://127.0.0.1:${await freePort()}`,
    PHOENIX_ADMIN_TOKEN: TOKEN,
    TEMPORAL_ADDRESS: t.address,
    TEMPORAL_NAMESPACE: namespace,
  };
  delete env.NODE_OPTIONS;
  dir = work;
});

after(async () => {
  for (const pgid of groups) {
    try {
      process.kill(-pgid, 'SIGTERM');
    } catch {
      // the block and everything it started are gone already
    }
  }
  try {
    await inNamespace().workflow.getHandle('phoenix-users').terminate('docs/own-app.md test done');
  } catch {
    // not started (the test failed earlier)
  }
  await Promise.all([legacy?.stop(), fresh?.stop()]);
  await t?.close();
  if (dir) await rm(path.dirname(dir), { recursive: true, force: true });
});

test('docs/own-app.md: its commands take the example apps from nothing to a shadow comparison and an accepted start', async () => {
  const blocks = ownAppBlocks(await readFile(DOC, 'utf8'));
  assert.ok(blocks.length >= 5, `expected the doc's sh own-app blocks, found ${blocks.length}`);
  let compared = false;
  for (const [i, block] of blocks.entries()) {
    const r = await runBlock(block);
    assert.equal(r.code, 0, `block ${i + 1} of docs/own-app.md failed:\n${block}\n--- output ---\n${r.out}`);
    if (block.includes('route set users shadow')) {
      await assertShadowCompared();
      compared = true;
    }
  }
  assert.ok(compared, 'the doc has no block that puts users in shadow');

  // `phoenix start` was accepted, and with the doc's worker the migration gets past preflight and
  // the contract gate to its own shadow and parity gate.
  const handle = inNamespace().workflow.getHandle('phoenix-users');
  assert.equal((await handle.describe()).status.name, 'RUNNING');
  const settled: Stage[] = [Stage.Parity, Stage.AwaitingApproval, Stage.RollingBack, Stage.RolledBack];
  const reached = await waitFor(
    'the migration to reach its parity gate',
    async () => {
      const p = await handle.query(progressQuery);
      return settled.includes(p.stage) && p;
    },
    { timeoutMs: 90_000, intervalMs: 250 },
  );
  assert.ok(
    reached.stage !== Stage.RollingBack && reached.stage !== Stage.RolledBack,
    `the migration rolled back: ${JSON.stringify(reached)}`,
  );
});

/** The first shadow comparison: the router counted compared requests for the family. */
async function assertShadowCompared(): Promise<void> {
  const res = await fetch(`${env.ADMIN_URL}/v1/families/users/stats`, {
    headers: { authorization: `Bearer ${TOKEN}` },
  });
  assert.equal(res.status, 200);
  const stats = (await res.json()) as { route: { mode: string }; stats: { parity: { samples: number } } };
  assert.equal(stats.route.mode, 'shadow');
  assert.ok(stats.stats.parity.samples >= 1, `no shadow comparison: ${JSON.stringify(stats.stats.parity)}`);
}
