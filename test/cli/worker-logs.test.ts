/**
 * `phoenix worker` writes one stream of pino JSON on stdout: its own lines, the Temporal SDK's
 * (routed through the runtime logger) and the workflows' `log` (through the SDK's sink); webpack's
 * report on the workflow bundle only with `--verbose`. Real worker processes on the suite's
 * Temporal server.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startMigration } from '../../src/cli/start-migration.js';
import { testPlan, writePlanFile } from '../helpers/plan-builder.js';
import { freePort } from '../helpers/ports.js';
import { testTemporal, type TestTemporal } from '../helpers/temporal.js';
import { waitFor } from '../helpers/wait.js';
import { migrationResult } from '../../src/lib/migration-outcome.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
let t: TestTemporal;
let dir: string;

before(async () => {
  t = await testTemporal();
  dir = await mkdtemp(path.join(os.tmpdir(), 'phx-worker-logs-'));
});
after(async () => {
  await t?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

interface RunningWorker {
  child: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

function startWorker(taskQueue: string, extra: string[] = [], env: NodeJS.ProcessEnv = {}): RunningWorker {
  let out = '';
  let err = '';
  const child = spawn(
    process.execPath,
    [
      path.join(ROOT, 'bin', 'phoenix.mjs'),
      'worker',
      '--task-queue',
      taskQueue,
      '--report-dir',
      path.join(dir, 'reports'),
      ...extra,
    ],
    {
      env: {
        ...process.env,
        TEMPORAL_ADDRESS: t.address,
        PHOENIX_LOG_LEVEL: 'info',
        PHOENIX_ADMIN_TOKEN: 'unused',
        ...env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  return { child, stdout: () => out, stderr: () => err, exited };
}

/** Every stdout line as a pino record; fails on the first line that is not one. */
function records(stdout: string): Array<Record<string, unknown>> {
  return stdout
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((line) => {
      let rec: Record<string, unknown>;
      try {
        rec = JSON.parse(line) as Record<string, unknown>;
      } catch {
        assert.fail(`not a JSON log line: ${line}`);
      }
      assert.equal(typeof rec.level, 'number', line);
      assert.equal(typeof rec.time, 'number', line);
      assert.equal(typeof rec.msg, 'string', line);
      return rec;
    });
}

async function stop(w: RunningWorker): Promise<void> {
  if (w.child.exitCode === null && w.child.signalCode === null) w.child.kill('SIGTERM');
  assert.deepEqual(await w.exited, { code: 0, signal: null }, `the worker stops cleanly on SIGTERM: ${w.stderr()}`);
}

test("the worker's stdout is pino JSON only, with the SDK's and the workflows' logs, and no bundle report", async () => {
  const tq = `worker-logs-${process.pid}-${Date.now()}`;
  const family = `logs-${process.pid % 100000}-${Date.now() % 100000}`;
  // Nothing listens on these ports: preflight fails and the workflow logs its rollback.
  const [legacyPort, newPort, adminPort] = [await freePort(), await freePort(), await freePort()];
  await mkdir(path.join(dir, 'contracts'), { recursive: true });
  await writeFile(
    path.join(dir, 'contracts', 'c.yaml'),
    'cases:\n  - name: one\n    request: { path: /api/logs/1 }\n    expect: { status: 200 }\n',
  );
  const plan = await writePlanFile(
    path.join(dir, 'plan.yaml'),
    testPlan({
      name: 'worker-logs',
      legacy: `http://127.0.0.1:${legacyPort}`,
      router: { adminUrl: `http://127.0.0.1:${adminPort}` },
      families: [
        {
          name: family,
          routes: ['GET /api/logs/:id'],
          new: `http://127.0.0.1:${newPort}`,
          contracts: ['contracts/*.yaml'],
        },
      ],
    }),
  );
  const w = startWorker(tq);
  try {
    await waitFor('the worker to run', () => w.stdout().includes('"worker running"'), { timeoutMs: 60_000 });
    const { handle } = await startMigration({ client: t.client, plan, family, taskQueue: tq });
    const result = await migrationResult(handle);
    assert.equal(result.outcome, 'rolled-back');
    const rollingBack = await waitFor('the workflow log line', () =>
      records(w.stdout()).find((r) => r.msg === 'rolling back' && r.workflowId === handle.workflowId),
    );
    assert.equal(rollingBack.level, 40, 'a workflow log.warn is a pino warn');
    assert.equal(rollingBack.sdkComponent, 'workflow');
    assert.equal(rollingBack.family, family);
  } finally {
    await stop(w);
  }
  const recs = records(w.stdout());
  assert.ok(
    recs.some((r) => r.sdkComponent === 'worker' && r.msg === 'Worker state changed' && r.state === 'STOPPED'),
    "the SDK's own messages are pino records",
  );
  assert.ok(!w.stdout().includes('webpack'), 'no bundle report without --verbose');
  assert.equal(w.stderr(), '', 'nothing on stderr');
});

test("--verbose adds webpack's report on the workflow bundle, as a pino record", async () => {
  // It bundles the workflows itself, rather than loading the test run's prebuilt bundle.
  const w = startWorker(`worker-logs-v-${process.pid}-${Date.now()}`, ['--verbose'], {
    PHOENIX_WORKFLOW_BUNDLE: undefined,
  });
  try {
    await waitFor('the worker to run', () => w.stdout().includes('"worker running"'), { timeoutMs: 60_000 });
  } finally {
    await stop(w);
  }
  const report = records(w.stdout()).find((r) => /webpack .* compiled/.test(String(r.msg)));
  assert.ok(report, `a webpack report among: ${w.stdout()}`);
  assert.equal(report.level, 30);
  assert.equal(w.stderr(), '');
});
