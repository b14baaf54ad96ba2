/**
 * Triage with the real router, a real workflow and the CLI as a child process: a rewrite with
 * intended differences keeps the parity gate blocked and lists their signatures; accepting them
 * (one through `phoenix parity accept`, one through the `triage` update) lets the gate pass; a
 * regression switched on afterwards shows up as a new signature and the ramp stops.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import http from 'node:http';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';
import { request } from 'undici';
import { createPhoenixWorker } from '../../src/worker/worker.js';
import { loadPlan } from '../../src/plan/index.js';
import { startRouter } from '../../src/router/server.js';
import { createRouterAdminClient, type SignaturesResponse } from '../../src/router/client.js';
import { migrateFamily } from '../../src/workflows/migrate-family.js';
import { renderDetails } from '../../src/workflows/details.js';
import { approveUpdate, migrationWorkflowId, triageUpdate } from '../../src/workflows/messages.js';
import { testTemporal, type TestTemporal } from '../helpers/temporal.js';
import { taskQueue, workflowBundle } from './support.js';
import { recordHistory, waitForPending, waitForProgress } from './harness.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const run = promisify(execFile);

let t: TestTemporal;
let dir: string;
before(async () => {
  t = await testTemporal();
  dir = await mkdtemp(path.join(os.tmpdir(), 'phx-triage-'));
});
after(async () => {
  await t?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** A thing service; the rewrite adds `slug`, answers the list with 201, and can drop `name`. */
async function thingService(
  side: 'legacy' | 'new',
): Promise<{ url: string; regress: boolean; close(): Promise<void> }> {
  const state = { regress: false };
  const server = http.createServer((req, res) => {
    const send = (status: number, body: unknown): void => {
      const text = JSON.stringify(body);
      res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
      res.end(text);
    };
    const m = /^\/api\/things\/(\d+)$/.exec(req.url ?? '');
    if (m) {
      const id = Number(m[1]);
      const thing: Record<string, unknown> = { id, name: `thing ${id}`, price: id * 3 };
      if (side === 'new') thing.slug = `thing-${id}`;
      if (side === 'new' && state.regress) delete thing.name;
      return send(200, thing);
    }
    if (req.url === '/api/things') return send(side === 'new' ? 201 : 200, { total: 3 });
    return send(req.url === '/' ? 200 : 404, {});
  });
  server.keepAliveTimeout = 1000;
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}`,
    get regress() {
      return state.regress;
    },
    set regress(v: boolean) {
      state.regress = v;
    },
    async close() {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    },
  };
}

function traffic(url: string): { stop(): Promise<void> } {
  let running = true;
  const loop = async (k: number): Promise<void> => {
    for (let i = k; running; i = (i + 1) % 40) {
      try {
        const res = await request(i % 4 === 0 ? `${url}/api/things` : `${url}/api/things/${i + 1}`, {
          headers: { 'x-user': `u${i}` },
        });
        await res.body.dump();
      } catch {
        // The router is closing.
      }
    }
  };
  const loops = [loop(0), loop(1)];
  return {
    async stop() {
      running = false;
      await Promise.all(loops);
    },
  };
}

const BASELINE_HEAD = '# Triage of the things rewrite, reviewed with the plan.\nversion: 1\nfamilies:\n  things: []\n';

describe('triage of a rewrite', () => {
  test('intended differences block until accepted; a later regression blocks again with its signature', async () => {
    const legacy = await thingService('legacy');
    const candidate = await thingService('new');
    const planFile = path.join(dir, 'plan.yaml');
    await writeFile(
      planFile,
      `version: 1
name: triage-test
legacy: ${legacy.url}
approvers: [alice]
families:
  - name: things
    routes: ["GET /api/things", "GET /api/things/:id"]
    new: ${candidate.url}
    sticky: { header: x-user }
    diff: { learnNoise: false }
    parity: { minSamples: 20, maxMismatchRate: 0, sampleRate: 1, timeout: 60s, pollInterval: 300ms }
    ramp:
      analysisInterval: 250ms
      steps:
        - { percent: 25, bake: 20s }
        - { percent: 100, bake: 1s, approval: true }
    slo: { minRequests: 5, maxErrorRate: 0.05, maxP95Ratio: 20, maxMismatchRate: 0.05 }
    approval: { timeout: 60s, remindBefore: 10s }
`,
    );
    await writeFile(path.join(dir, 'plan.baseline.yaml'), BASELINE_HEAD);
    const plan = await loadPlan(planFile);
    plan.router.shadowMaxBusy = 1;
    const router = await startRouter({
      plan,
      port: 0,
      adminPort: 0,
      insecureAdmin: true,
      stateFile: path.join(dir, 'router-state.json'),
    });
    const admin = createRouterAdminClient({ baseUrl: router.adminUrl });
    const load = traffic(router.url);
    const tq = taskQueue('triage');
    const worker = await createPhoenixWorker({
      connection: t.nativeConnection,
      taskQueue: tq,
      workflowBundle: await workflowBundle(),
      activities: { reportDir: dir },
    });
    try {
      await worker.runUntil(async () => {
        const handle = await t.client.workflow.start(migrateFamily, {
          taskQueue: tq,
          workflowId: migrationWorkflowId('things'),
          args: [
            { plan: plan.name, routerAdminUrl: router.adminUrl, temporalUiUrl: 'http://x', family: plan.families[0]! },
          ],
        });

        // 1. Blocked, with the intended differences listed as untriaged signatures.
        const blocked = await waitForProgress(
          handle,
          'the gate to fail on untriaged signatures',
          (p) => p.parity?.outcome === 'fail' && (p.triage?.waiting ?? 0) >= 2,
        );
        assert.match(
          blocked.parity!.reasons.join(' '),
          /most frequent untriaged signature [0-9a-f]{12}: GET \/api\/things/,
        );
        assert.match(
          renderDetails(blocked, plan.families[0]!),
          /triage: \d+ signatures wait for a decision, 0 decided/,
        );
        const listed: SignaturesResponse = await admin.getSignatures('things');
        const extra = listed.signatures.find((s) => s.text === 'GET /api/things/:id $.slug extra');
        const created = listed.signatures.find((s) => s.text === 'GET /api/things status 200→201');
        assert.ok(extra && created, JSON.stringify(listed.signatures.map((s) => s.text)));
        assert.ok(extra.count > 0 && extra.examples[0]!.requestId.length > 0);
        assert.equal(extra.decision, undefined);

        const { stdout: table } = await run(
          process.execPath,
          ['bin/phoenix.mjs', 'parity', 'diffs', 'things', '--router-url', router.adminUrl],
          { cwd: ROOT },
        );
        assert.match(table, new RegExp(`${extra.id}\\s+\\d+\\s+untriaged\\s+GET /api/things/:id \\$\\.slug extra`));

        // 2. Accepted: one through the CLI (baseline file + update), one through the update.
        const env = { ...process.env, TEMPORAL_ADDRESS: t.address, TEMPORAL_NAMESPACE: 'default' };
        const cli = await run(
          process.execPath,
          [
            'bin/phoenix.mjs',
            'parity',
            'accept',
            'things',
            extra.id,
            '--reason',
            'the rewrite adds slugs for the new web client',
            '--as',
            'alice',
            '--plan',
            planFile,
            '--router-url',
            router.adminUrl,
          ],
          { cwd: ROOT, env },
        );
        assert.match(cli.stdout, /sent to the running migration \(1 decisions in force\)/);
        const baseline = await readFile(path.join(dir, 'plan.baseline.yaml'), 'utf8');
        assert.match(baseline, /^# Triage of the things rewrite, reviewed with the plan\./);
        assert.match(
          baseline,
          new RegExp(`- id: ${extra.id}\\n\\s+text: GET /api/things/:id \\$\\.slug extra\\n\\s+decision: accept`),
        );
        await assert.rejects(
          handle.executeUpdate(triageUpdate, {
            args: [{ signature: created.id, decision: 'accept', approver: 'alice' }],
          }),
          (e: Error) => /needs a reason/.test((e.cause as Error | undefined)?.message ?? ''),
        );
        await assert.rejects(
          handle.executeUpdate(triageUpdate, {
            args: [{ signature: created.id, decision: 'accept', approver: 'mallory', reason: 'x' }],
          }),
          (e: Error) => /"mallory" may not triage things/.test((e.cause as Error | undefined)?.message ?? ''),
        );
        const r = await handle.executeUpdate(triageUpdate, {
          args: [
            { signature: created.id, decision: 'accept', approver: 'alice', reason: '201 on the list is intended' },
          ],
        });
        assert.equal(r.decisions, 2);

        // 3. The gate passes with the accepted differences counted as matches.
        const passed = await waitForPending(handle, 'ramp-start');
        assert.equal(passed.parity?.outcome, 'pass', passed.parity?.reasons.join('; '));
        assert.equal(passed.triage?.waiting, 0);
        assert.ok(((await admin.getStats('things')).stats.parity.accepted ?? 0) > 0);

        // 4. A field that was equal disappears: a new signature, and the ramp goes no further.
        candidate.regress = true;
        await handle.executeUpdate(approveUpdate, { args: [{ step: 'ramp-start', approver: 'alice' }] });
        const result = await handle.result();
        assert.equal(result.outcome, 'rolled-back');
        assert.match(result.reason ?? '', /untriaged signature [0-9a-f]{12}: GET \/api\/things\/:id \$\.name missing/);
        assert.ok(!result.progress.decisions.some((d) => d.step === 'ramp:100'));
        assert.deepEqual(
          result.progress.decisions.filter((d) => d.kind === 'triaged').map((d) => d.by),
          ['alice', 'alice'],
        );
        const after = await admin.getSignatures('things');
        const missing = after.signatures.find((s) => s.text === 'GET /api/things/:id $.name missing');
        assert.ok(missing && missing.decision === undefined);
        await recordHistory(handle, 'triage');
      });
    } finally {
      await load.stop();
      await admin.close();
      await router.close();
      await legacy.close();
      await candidate.close();
    }
  });
});
