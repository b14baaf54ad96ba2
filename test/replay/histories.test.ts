/**
 * Replays every recorded migration history against today's workflow code, so a change that is
 * not replay-safe fails here. Re-record with `PHOENIX_RECORD_HISTORIES=1 npm test -- workflows`
 * only when the change is guarded by `patched()` or no migration of the old shape can be running.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker, bundleWorkflowCode } from '@temporalio/worker';
import { DeterminismViolationError } from '@temporalio/workflow';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils.js';
import { bundleWorkflows } from '../../src/worker/worker.js';
import { runPhoenix } from '../helpers/phoenix-cli.js';

const HISTORIES = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'histories');
const quiet = { log() {}, info() {}, debug() {}, trace() {}, warn() {}, error() {} };

async function histories(): Promise<{ workflowId: string; history: ReturnType<typeof historyFromJSON> }[]> {
  const files = (await readdir(HISTORIES)).filter((f) => f.endsWith('.json')).sort();
  return Promise.all(
    files.map(async (f) => ({
      workflowId: f.replace(/\.json$/, ''),
      history: historyFromJSON(JSON.parse(await readFile(path.join(HISTORIES, f), 'utf8'))),
    })),
  );
}

describe('recorded histories', () => {
  test('replay without non-determinism on the current workflow code', async () => {
    const all = await histories();
    assert.ok(all.length >= 5, `expected the recorded scenarios in ${HISTORIES}, found ${all.length}`);
    const workflowBundle = await bundleWorkflows();
    const failures: string[] = [];
    for await (const r of Worker.runReplayHistories({ workflowBundle }, all)) {
      if (r.error) failures.push(`${r.workflowId}: ${r.error.name}: ${r.error.message}`);
    }
    assert.deepEqual(failures, []);
  });

  test('the bundle `phoenix worker --write-bundle` writes replays them too, as workers load it', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'phx-bundle-'));
    try {
      const file = path.join(dir, 'workflow-bundle.js');
      const run = await runPhoenix('127.0.0.1:1', 'worker', '--write-bundle', file);
      assert.equal(run.code, 0, run.stderr);
      assert.equal(
        run.stdout,
        `wrote the workflow bundle to ${file} (${Math.round((await stat(file)).size / 1024)} KB); start workers with PHOENIX_WORKFLOW_BUNDLE=${file}\n`,
      );
      const workflowBundle = { code: await readFile(file, 'utf8') };
      const failures: string[] = [];
      for await (const r of Worker.runReplayHistories({ workflowBundle }, await histories()))
        if (r.error) failures.push(`${r.workflowId}: ${r.error.name}: ${r.error.message}`);
      assert.deepEqual(failures, []);
      const refused = await runPhoenix('127.0.0.1:1', 'worker', '--write-bundle', path.join(dir, 'missing', 'b.js'));
      assert.equal(refused.code, 1);
      assert.match(
        refused.stderr,
        /^PHX_ERR_BUNDLE_WRITE: cannot write the workflow bundle to .*; give a path in a writable directory/,
      );
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  test('a workflow whose commands changed fails replay with a DeterminismViolationError', async () => {
    const happy = (await histories()).find((h) => h.workflowId === 'happy-path');
    assert.ok(happy, 'happy-path.json is recorded');
    // The same workflow name, but it schedules a timer first instead of the preflight activity.
    const workflowBundle = await bundleWorkflowCode({
      workflowsPath: fileURLToPath(new URL('./fixtures/changed-workflow.ts', import.meta.url)),
      logger: quiet,
    });
    const results = [];
    for await (const r of Worker.runReplayHistories({ workflowBundle }, [happy])) results.push(r);
    assert.equal(results.length, 1);
    assert.ok(
      results[0]!.error instanceof DeterminismViolationError,
      `expected a DeterminismViolationError, got ${String(results[0]!.error)}`,
    );
  });
});
