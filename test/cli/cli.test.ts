/**
 * The `phoenix` CLI as scripts use it: real child processes against the suite's Temporal server,
 * a real worker, the real router and real upstreams; exit codes and `PHX_ERR_*` codes asserted.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, mkdir, readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Worker } from '@temporalio/worker';
import type { Command } from 'commander';
import { buildProgram } from '../../src/cli/program.js';
import { startRouter, type RunningRouter } from '../../src/router/server.js';
import { createPhoenixWorker } from '../../src/worker/worker.js';
import { freePort } from '../helpers/ports.js';
import { mergeFamily, TEST_FAMILY, writePlanFile, type FamilyOverrides } from '../helpers/plan-builder.js';
import { testTemporal, type TestTemporal } from '../helpers/temporal.js';
import { waitFor } from '../helpers/wait.js';
import { runPhoenix, type CliRun } from '../helpers/phoenix-cli.js';
import { progressQuery } from '../../src/workflows/messages.js';
import {
  driveTraffic,
  startUpstream,
  taskQueue,
  workflowBundle,
  usersFamily,
  type Upstream,
} from '../workflows/support.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
let t: TestTemporal;
let legacy: Upstream;
let candidate: Upstream;
let router: RunningRouter;
let worker: Worker;
let running: Promise<void>;
let planFile: string;
let traffic: ReturnType<typeof driveTraffic>;
let unusedPort: number;
const tq = taskQueue('cli');
const family = `cli-${process.pid % 100000}-${Date.now() % 100000}`;

const phoenix = (...args: string[]): Promise<CliRun> => runPhoenix(t.address, ...args);

// The CLI is driven by child processes that take seconds each on a loaded machine: approvals
// wait long enough that a slow run never times one out mid-test.
const cliApprovals: FamilyOverrides = { approval: { timeout: '10m' } };

before(async () => {
  t = await testTemporal();
  legacy = await startUpstream('legacy');
  candidate = await startUpstream('new');
  const dir = await mkdtemp(path.join(os.tmpdir(), 'phx-cli-'));
  await mkdir(path.join(dir, 'contracts'));
  await writeFile(
    path.join(dir, 'contracts', 'c.yaml'),
    'cases:\n  - name: one user\n    request: { path: /api/users/7 }\n    expect: { status: 200 }\n',
  );
  const adminPort = await freePort();
  unusedPort = await freePort();
  planFile = path.join(dir, 'plan.yaml');
  const plan = await writePlanFile(planFile, {
    version: 1,
    name: 'cli-test',
    legacy: legacy.url,
    // shadowMaxBusy 1: the router shares this process with the test's traffic and worker
    router: { adminUrl: `http://127.0.0.1:${adminPort}`, shadowMaxBusy: 1 },
    approvers: ['alice'],
    families: [mergeFamily(usersFamily(family, candidate.url), TEST_FAMILY, cliApprovals)],
  });
  router = await startRouter({
    plan,
    port: 0,
    adminPort,
    insecureAdmin: true,
    stateFile: path.join(dir, 'state.json'),
  });
  traffic = driveTraffic(router.url);
  worker = await createPhoenixWorker({
    connection: t.nativeConnection,
    taskQueue: tq,
    workflowBundle: await workflowBundle(),
    workflowsOnThisThread: true,
    activities: { reportDir: dir },
  });
  running = worker.run();
});
after(async () => {
  await traffic?.stop();
  worker?.shutdown();
  await running;
  await router?.close();
  await legacy?.close();
  await candidate?.close();
  await t?.close();
});

describe('phoenix CLI', () => {
  test('every command answers --help with exit 0', async () => {
    // Every command of the program, found by walking it, renders its help...
    const all: string[] = [];
    const walk = (c: Command, prefix: string): void => {
      for (const sub of c.commands) {
        const name = `${prefix}${sub.name()}`;
        all.push(name);
        assert.match(sub.helpInformation(), new RegExp(`^Usage: phoenix ${name}`), name);
        walk(sub, `${name} `);
      }
    };
    walk(await buildProgram(), '');
    for (const expected of ['setup', 'route set', 'parity accept', 'contracts run', 'worker', 'dev server'])
      assert.ok(all.includes(expected), `${expected} is missing from ${all.join(', ')}`);
    // ...and the installed entry answers --help with exit 0, at the top and for a nested command.
    for (const cmd of [[], ['contracts', 'run']]) {
      const r = await phoenix(...cmd, '--help');
      assert.equal(r.code, 0, `${cmd.join(' ')} --help: ${r.stderr}`);
      assert.match(r.stdout, /Usage: phoenix/);
    }
  });

  test('bad usage exits 2 and names the flag', async () => {
    const noFamily = await phoenix('start', '--plan', planFile);
    assert.equal(noFamily.code, 2);
    assert.match(noFamily.stderr, /PHX_ERR_CLI_BAD_FLAG: name a family, or pass --all/);
    const missing = await phoenix('approve', family, '--step', 'ramp-start');
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /--as/);
    const badInterval = await phoenix('status', family, '--interval', 'soon');
    assert.equal(badInterval.code, 2);
    assert.match(badInterval.stderr, /expected a duration/);
  });

  test('start, status, a refused duplicate, a refused approver, approval and abort', async () => {
    const started = await phoenix('start', family, '--plan', planFile, '--task-queue', tq, '--json');
    assert.equal(started.code, 0, started.stderr);
    const info = JSON.parse(started.stdout) as { workflowId: string; runId: string; uiUrl: string };
    assert.equal(info.workflowId, `phoenix-${family}`);
    assert.match(info.uiUrl, new RegExp(`/namespaces/default/workflows/phoenix-${family}$`));

    const again = await phoenix('start', family, '--plan', planFile, '--task-queue', tq);
    assert.equal(again.code, 5);
    assert.match(again.stderr, /PHX_ERR_MIGRATION_ALREADY_RUNNING/);

    await waitFor(
      'the ramp-start approval',
      async () => {
        const s = await phoenix('status', family, '--json');
        return s.code === 0 && (JSON.parse(s.stdout) as { pending?: { step: string } }).pending?.step === 'ramp-start';
      },
      { timeoutMs: 40_000, intervalMs: 500 },
    );
    const text = await phoenix('status', family);
    assert.match(text.stdout, new RegExp(`npx phoenix approve ${family} --step ramp-start --as alice`));
    assert.match(text.stdout, /parity: pass — mismatch 0\.00% \(0 of \d+\), 95% bounds .*; latency shift /);
    // The run's one router, as it serves the family now.
    assert.ok(text.stdout.includes(`data plane: 1 member\n  ${router.adminUrl}  shadow (version `), text.stdout);

    const mallory = await phoenix('approve', family, '--step', 'ramp-start', '--as', 'mallory');
    assert.equal(mallory.code, 5);
    assert.match(mallory.stderr, /PHX_ERR_APPROVAL_REFUSED: refused: .*"mallory" may not decide/);
    const wrongStep = await phoenix('approve', family, '--step', 'ramp:100', '--as', 'alice');
    assert.equal(wrongStep.code, 5);

    const ok = await phoenix('approve', family, '--step', 'ramp-start', '--as', 'alice', '--json');
    assert.equal(ok.code, 0, ok.stderr);
    assert.equal((JSON.parse(ok.stdout) as { outcome: string }).outcome, 'approved');

    const abort = await phoenix('abort', family, '--reason', 'testing the CLI');
    assert.equal(abort.code, 0, abort.stderr);
    await waitFor(
      'the rollback',
      async () => {
        const s = await phoenix('status', family, '--json');
        return (JSON.parse(s.stdout) as { stage: string }).stage === 'rolled-back';
      },
      { timeoutMs: 30_000, intervalMs: 500 },
    );
    const report = await phoenix('report', family);
    assert.equal(report.code, 0, report.stderr);
    assert.match(report.stdout, /rolled-back|Aborted/);
    const late = await phoenix('pause', family);
    assert.equal(late.code, 5);
    assert.match(late.stderr, /PHX_ERR_MIGRATION_NOT_RUNNING/);
    for (const decide of [
      ['approve', family, '--step', 'ramp:5', '--as', 'alice'],
      ['reject', family, '--step', 'ramp:5', '--as', 'alice', '--reason', 'too late'],
    ]) {
      const r = await phoenix(...decide);
      assert.equal(r.code, 5, `${decide[0]} on a finished migration`);
      assert.match(r.stderr, /^PHX_ERR_MIGRATION_NOT_RUNNING: the migration of .* is (completed|failed), not running/);
    }

    // The list without a family: run id, start time and outcome (an abort is neither "completed"
    // nor "rolled-back"), newest first, the latest run per family unless --all-runs.
    type Row = { family: string; runId: string; startedAt: string; outcome: string; status: string };
    const runsOf = async (...flags: string[]): Promise<Row[]> => {
      const r = await phoenix('status', ...flags, '--json');
      assert.equal(r.code, 0, r.stderr);
      return (JSON.parse(r.stdout) as Row[]).filter((row) => row.family === family);
    };
    await waitFor('the aborted run in the list', async () => (await runsOf())[0]?.outcome === 'aborted', {
      timeoutMs: 15_000,
      intervalMs: 300,
    });
    const [first] = await runsOf();
    assert.equal(first!.runId, info.runId);
    assert.equal(first!.status, 'failed', 'an aborted migration is a failed workflow');
    assert.ok(Date.now() - Date.parse(first!.startedAt) < 10 * 60_000, first!.startedAt);
    const restarted = await phoenix('start', family, '--plan', planFile, '--task-queue', tq, '--json');
    assert.equal(restarted.code, 0, restarted.stderr);
    const second = (JSON.parse(restarted.stdout) as { runId: string }).runId;
    try {
      await waitFor('both runs in the list', async () => (await runsOf('--all-runs')).length === 2, {
        timeoutMs: 15_000,
        intervalMs: 300,
      });
      const all = await runsOf('--all-runs');
      assert.deepEqual(
        all.map((r) => [r.runId, r.outcome]),
        [
          [second, 'running'],
          [info.runId, 'aborted'],
        ],
      );
      const text = await phoenix('status');
      const lines = text.stdout.split('\n').filter((l) => l.startsWith(`${family} `));
      assert.equal(lines.length, 1, text.stdout);
      assert.match(
        lines[0]!,
        new RegExp(`^${family}\\s+running\\s+.*\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d\\s+${second}$`),
      );
    } finally {
      await t.client.workflow.getHandle(info.workflowId, second).terminate('test over');
    }
  });

  test('start --wait on a migration that is rejected exits 1 and says rolled back; status and report read the failed run', async () => {
    // The run the previous test terminated may have left the family in shadow; preflight wants legacy.
    const reset = await phoenix('route', 'set', family, 'legacy', '--plan', planFile);
    assert.equal(reset.code, 0, reset.stderr);
    const waiting = phoenix('start', family, '--plan', planFile, '--task-queue', tq, '--wait');
    await waitFor(
      'the ramp-start approval of the new run',
      async () => {
        // The latest run, once it is the new one: the terminated run before it had the same step pending.
        const h = t.client.workflow.getHandle(`phoenix-${family}`);
        if ((await h.describe()).status.name !== 'RUNNING') return false;
        return (await h.query(progressQuery)).pending?.step === 'ramp-start';
      },
      { timeoutMs: 60_000, intervalMs: 500 },
    );
    const rejected = await phoenix('reject', family, '--step', 'ramp-start', '--as', 'alice', '--reason', 'too slow');
    assert.equal(rejected.code, 0, rejected.stderr);
    const ended = await waiting;
    assert.equal(ended.code, 1, ended.stderr);
    assert.match(ended.stdout, new RegExp(`^${family}: rolled-back — ApprovalRejected: .*too slow`, 'm'));

    const s = await phoenix('status', family, '--json');
    assert.equal(s.code, 0, s.stderr);
    assert.equal((JSON.parse(s.stdout) as { stage: string }).stage, 'rolled-back');
    const list = await phoenix('status', '--json');
    const row = (JSON.parse(list.stdout) as { family: string; outcome: string; status: string }[]).find(
      (r) => r.family === family,
    );
    assert.deepEqual([row?.outcome, row?.status], ['rolled-back', 'failed']);
    const report = await phoenix('report', family);
    assert.equal(report.code, 0, report.stderr);
    assert.match(report.stdout, /rolled-back\*\* — ApprovalRejected/);
  });

  test('a triage decision is kept in the baseline when Temporal cannot be reached, and the exit says so', async () => {
    const r = await new Promise<{ code: number; stderr: string }>((resolve) =>
      execFile(
        process.execPath,
        [
          ...[path.join(ROOT, 'bin/phoenix.mjs'), 'parity', 'noise', family, 'aaaaaaaaaaaa', 'bbbbbbbbbbbb'],
          ...['--as', 'alice', '--plan', planFile],
        ],
        { env: { ...process.env, TEMPORAL_ADDRESS: `127.0.0.1:${unusedPort}` }, timeout: 60_000 },
        (err, _stdout, stderr) => resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stderr }),
      ),
    );
    assert.equal(r.code, 3, r.stderr);
    assert.match(
      r.stderr,
      /^PHX_ERR_TEMPORAL_UNREACHABLE: written to \S+plan\.baseline\.yaml, but the running migration was not told/,
    );
    const baseline = await readFile(path.join(path.dirname(planFile), 'plan.baseline.yaml'), 'utf8');
    assert.match(baseline, /- id: aaaaaaaaaaaa\n\s+decision: noise/);
    assert.match(baseline, /- id: bbbbbbbbbbbb\n\s+decision: noise/);
  });

  test('an unknown migration exits 4', async () => {
    const r = await phoenix('status', 'no-such-family');
    assert.equal(r.code, 4);
    assert.match(r.stderr, /PHX_ERR_MIGRATION_NOT_FOUND/);
  });
});
