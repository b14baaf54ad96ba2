/**
 * Triaging the rewrite fixture end to end: its Flask and FastAPI apps, the real router in this
 * process, a real worker and workflow, the CLI as a child process and Slack's Web API played by a
 * local server. The intended differences keep the parity gate blocked and are listed; accepting
 * them (all but one through `phoenix parity accept`, the last from Slack's button and modal) lets
 * the gate pass; a regression switched on in new afterwards is a new signature, and the ramp stops.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';
import { WebClient } from '@slack/web-api';
import { createPhoenixWorker } from '../../src/worker/worker.js';
import { loadPlan } from '../../src/plan/index.js';
import { startRouter } from '../../src/router/server.js';
import { createRouterAdminClient } from '../../src/router/client.js';
import { startSlackReceiver } from '../../src/slack/receiver.js';
import { migrateFamily } from '../../src/workflows/migrate-family.js';
import { renderDetails } from '../../src/workflows/details.js';
import { approveUpdate, migrationWorkflowId } from '../../src/workflows/messages.js';
import { clickButton, fakeSlack, interaction, SECRET, type FakeSlack } from '../helpers/slack.js';
import { testTemporal, type TestTemporal } from '../helpers/temporal.js';
import { waitFor } from '../helpers/wait.js';
import { taskQueue, workflowBundle } from '../workflows/support.js';
import { recordHistory, waitForPending, waitForProgress } from '../workflows/harness.js';
import {
  INTENDED_GET_FIELD_CHANGES,
  ISBNS,
  login,
  rewritePlanText,
  setRegression,
  startRewriteApps,
  type Client,
  type RewriteApps,
} from './fixture.js';
import { migrationResult } from '../../src/lib/migration-outcome.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const run = promisify(execFile);

let apps: RewriteApps;
let t: TestTemporal;
let slack: FakeSlack;
let dir: string;

before(async () => {
  [apps, t, slack] = await Promise.all([startRewriteApps(), testTemporal(), fakeSlack()]);
  dir = await mkdtemp(path.join(os.tmpdir(), 'phx-rewrite-triage-'));
});
after(async () => {
  await apps?.stop();
  await slack?.close();
  await t?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** The three users reading the library through the router, each request from one of 40 sticky users. */
function readers(clients: Client[]): { stop(): Promise<void> } {
  let running = true;
  const paths = ['/api/books', ...ISBNS.map((i) => `/api/books/${i}`), '/api/loans', '/api/reports/overdue'];
  const loop = async (c: Client, k: number): Promise<void> => {
    for (let i = k; running; i++) {
      try {
        await c.call('GET', paths[i % paths.length]!, undefined, { 'x-user': `${c.user}-${i % 40}` });
      } catch {
        // The router is closing.
      }
    }
  };
  const loops = clients.map((c, k) => loop(c, k));
  return {
    async stop() {
      running = false;
      await Promise.all(loops);
    },
  };
}

const BASELINE_HEAD =
  '# Triage of the library rewrite, reviewed with the plan.\nversion: 1\nfamilies:\n  library: []\n';

describe('triaging the library rewrite', () => {
  test('intended changes block until accepted from the CLI and Slack; a regression in new blocks again', async () => {
    const planFile = path.join(dir, 'plan.yaml');
    await writeFile(
      planFile,
      (await rewritePlanText(apps)).replace('approvers: [alice]', 'approvers: [alice, UALICE]'),
    );
    await writeFile(path.join(dir, 'plan.baseline.yaml'), BASELINE_HEAD);
    const plan = await loadPlan(planFile);
    plan.router.stateFile = path.join(dir, 'router-state.json');
    plan.router.shadowMaxBusy = 1;
    const family = {
      ...plan.families[0]!,
      slackChannel: 'C123',
      sticky: { header: 'x-user' },
      // Latency is not what this test is about: new (FastAPI plus a token exchange) may be slower here.
      parity: {
        ...plan.families[0]!.parity,
        minSamples: 30,
        maxMismatchRate: 0,
        maxP95Ratio: 20,
        latency: { maxShiftMs: 1000, minSamples: 20 },
        timeout: 90_000,
        pollInterval: 300,
      },
      ramp: {
        analysisInterval: 250,
        steps: [
          { percent: 25, bake: 20_000, approval: false },
          { percent: 100, bake: 1000, approval: true },
        ],
      },
      slo: { ...plan.families[0]!.slo, minRequests: 5, minUsers: 5, maxP95Ratio: 20, maxMismatchRate: 0.05 },
      approval: { ...plan.families[0]!.approval, timeout: 90_000, remindBefore: 10_000 },
    };
    // The router, the receiver and the workflow all see the family as tuned here.
    plan.families[0] = family;
    const router = await startRouter({ plan, port: 0, adminPort: 0, insecureAdmin: true });
    const admin = createRouterAdminClient({ baseUrl: router.adminUrl });
    plan.router.adminUrl = router.adminUrl;
    const clients = await Promise.all(['ana', 'bo', 'cy'].map((u) => login(router.url, u)));
    const load = readers(clients);
    const web = new WebClient('xoxb-test', { slackApiUrl: slack.url, retryConfig: { retries: 0 } });
    const receiver = await startSlackReceiver({ port: 0, signingSecret: SECRET, temporal: t.client, web, plan });
    const tq = taskQueue('rewrite-triage');
    const worker = await createPhoenixWorker({
      connection: t.nativeConnection,
      taskQueue: tq,
      workflowBundle: await workflowBundle(),
      workflowsOnThisThread: true,
      activities: { reportDir: dir, slack: { slack: web, buttonSecret: SECRET } },
    });
    try {
      await worker.runUntil(async () => {
        const handle = await t.client.workflow.start(migrateFamily, {
          taskQueue: tq,
          workflowId: migrationWorkflowId('library'),
          workflowIdConflictPolicy: 'TERMINATE_EXISTING',
          args: [{ plan: plan.name, routerAdminUrl: router.adminUrl, temporalUiUrl: 'http://x', family }],
        });

        // 1. Blocked, with every intended change listed as an untriaged signature.
        const intended = [...INTENDED_GET_FIELD_CHANGES, 'GET /api/reports/overdue status 401→403'];
        const blocked = await waitForProgress(
          handle,
          'the gate to fail on the untriaged intended changes',
          (p) => p.parity?.outcome === 'fail' && (p.triage?.waiting ?? 0) >= intended.length,
          60_000,
        );
        assert.match(blocked.parity!.reasons.join(' '), /most frequent untriaged signature [0-9a-f]{12}: GET \/api\//);
        assert.match(renderDetails(blocked, family), /triage: \d+ signatures wait for a decision, 0 decided/);
        const listed = (await admin.getSignatures('library')).signatures;
        assert.deepEqual(listed.map((s) => s.text).sort(), intended, 'only the intended changes differ');
        const idOf = (text: string): string => listed.find((s) => s.text === text)!.id;
        const { stdout: table } = await run(
          process.execPath,
          ['bin/phoenix.mjs', 'parity', 'diffs', 'library', '--router-url', router.adminUrl],
          { cwd: ROOT },
        );
        for (const text of intended) assert.ok(table.includes(`${idOf(text)}  `) && table.includes(text), table);
        assert.match(table, /7 signatures, 7 waiting for triage/);

        // 2a. All but the status change accepted in one CLI call: the baseline file and the running migration.
        const fromCli = intended.filter((s) => !s.includes('status'));
        const env = { ...process.env, TEMPORAL_ADDRESS: t.address, TEMPORAL_NAMESPACE: 'default' };
        const cli = await run(
          process.execPath,
          [
            ...['bin/phoenix.mjs', 'parity', 'accept', 'library', ...fromCli.map(idOf)],
            ...['--reason', 'the rewrite adds ids and fixes availability', '--as', 'alice', '--plan', planFile],
            ...['--router-url', router.adminUrl, '--json'],
          ],
          { cwd: ROOT, env },
        );
        const out = JSON.parse(cli.stdout) as { decisions: { entry: { id: string }; migration: string }[] };
        assert.deepEqual(
          out.decisions.map((d) => d.entry.id),
          fromCli.map(idOf),
        );
        assert.match(out.decisions.at(-1)!.migration, /sent to the running migration \(6 decisions in force\)/);
        const baseline = await readFile(path.join(dir, 'plan.baseline.yaml'), 'utf8');
        assert.match(baseline, /^# Triage of the library rewrite, reviewed with the plan\./);
        for (const text of fromCli)
          assert.ok(baseline.includes(`- id: ${idOf(text)}\n      text: ${text}\n      decision: accept`), baseline);

        // 2b. The status change accepted from Slack: its triage message, Accept, the reason modal.
        const status = idOf('GET /api/reports/overdue status 401→403');
        const post = await waitFor(
          'a triage message listing the status change',
          () =>
            slack.calls.find(
              (c) =>
                c.method === 'chat.postMessage' && JSON.stringify(c.body.blocks ?? '').includes(`triage-${status}`),
            ),
          { timeoutMs: 30_000, intervalMs: 100 },
        );
        const blocks = post.body.blocks as { block_id?: string; elements?: { action_id: string; value: string }[] }[];
        const buttons = blocks.find((b) => b.block_id === `triage-${status}`)!.elements!;
        const accept = buttons.find((b) => b.action_id === 'phoenix_triage_accept')!;
        await (await clickButton(receiver, 'UALICE', accept.action_id, accept.value)).body.dump();
        const modal = await waitFor('the reason modal', () => slack.calls.find((c) => c.method === 'views.open'), {
          timeoutMs: 5000,
          intervalMs: 50,
        });
        const view = modal.body.view as { callback_id: string; private_metadata: string };
        const submitted = await interaction(receiver, {
          type: 'view_submission',
          user: { id: 'UALICE' },
          view: {
            callback_id: view.callback_id,
            private_metadata: view.private_metadata,
            state: { values: { reason: { value: { value: 'members get 403, as the API guidelines say' } } } },
          },
        });
        assert.equal(submitted.statusCode, 200);
        await submitted.body.dump();

        // 3. The gate passes: the accepted changes count as matches.
        const passed = await waitForPending(handle, 'ramp-start', 60_000);
        assert.equal(passed.parity?.outcome, 'pass', passed.parity?.reasons.join('; '));
        assert.equal(passed.triage?.waiting, 0);
        assert.deepEqual(
          passed.triage.decisions.map((d) => [d.decision, d.by]).sort(),
          [...fromCli.map(() => ['accept', 'alice']), ['accept', 'UALICE']].sort(),
        );
        assert.ok(((await admin.getStats('library')).stats.parity.accepted ?? 0) > 0);
        // The receiver kept the Slack decision in the baseline beside the CLI's, with its text.
        const slackEntry = `- id: ${status}\n      text: GET /api/reports/overdue status 401→403\n      decision: accept\n      reason: members get 403`;
        await waitFor(
          'the Slack decision in the baseline file',
          async () => (await readFile(path.join(dir, 'plan.baseline.yaml'), 'utf8')).includes(slackEntry) || undefined,
          { timeoutMs: 10_000, intervalMs: 100 },
        ).catch(async (err: Error) => {
          throw new Error(`${err.message}:\n${await readFile(path.join(dir, 'plan.baseline.yaml'), 'utf8')}`);
        });

        // 4. New drops a field both sides answered alike: a new signature, and no further ramp.
        await setRegression(apps, 'no-author');
        await handle.executeUpdate(approveUpdate, { args: [{ step: 'ramp-start', approver: 'alice' }] });
        const result = await migrationResult(handle);
        assert.equal(result.outcome, 'rolled-back');
        assert.match(
          result.reason ?? '',
          /untriaged signature [0-9a-f]{12}: GET \/api\/books(\/:isbn)? \$\.(books\[\*\]\.)?author missing/,
        );
        assert.ok(!result.progress.decisions.some((d) => d.step === 'ramp:100'));
        assert.equal((await admin.getRoute('library')).mode, 'legacy');
        const after = (await admin.getSignatures('library')).signatures;
        assert.ok(after.some((s) => /author missing$/.test(s.text) && s.decision === undefined));
        await recordHistory(handle, 'triage');
      });
    } finally {
      await load.stop();
      await setRegression(apps, 'off');
      await receiver.close();
      await admin.close();
      await router.close();
    }
  });
});
