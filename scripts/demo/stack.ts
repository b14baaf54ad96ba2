/**
 * Brings up everything the demo needs — Temporal dev server, the example legacy and new apps, the
 * router and the worker — and takes it all down again.
 */
import { mkdir, readFile, rm } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { pino } from 'pino';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Client } from '@temporalio/client';
import type { Worker } from '@temporalio/worker';
import { startDevServer, portAnswers, type RunningDevServer } from '../../src/lib/dev-server.js';
import { resolveTemporalCli } from '../../src/lib/temporal-cli.js';
import { connectClient, connectWorkerConnection } from '../../src/lib/temporal.js';
import { createLogger } from '../../src/lib/logger.js';
import { bundlerLogger, installSdkLogging } from '../../src/lib/sdk-logger.js';
import { parsePlan, type Plan } from '../../src/plan/index.js';
import { startRouter } from '../../src/router/server.js';
import { bundleWorkflows, createPhoenixWorker } from '../../src/worker/worker.js';
import { ensurePythonEnv, startPythonApp } from '../python-env.js';
import { withPorts } from './running-stack.js';
import { slackFromEnv } from '../../src/slack/env.js';
import { startSlackInbound } from '../../src/slack/inbound.js';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const DEMO_PLAN = path.join(ROOT, 'examples', 'demo-plan.yaml');

export interface DemoOptions {
  temporalPort: number;
  uiPort: number;
  routerPort: number;
  adminPort: number;
  /** Port of the Slack receiver, when Slack is configured. */
  slackPort: number;
  say: (line: string) => void;
}

export interface DemoStack {
  plan: Plan;
  /** The demo plan's text with the ports in use (read from {@link DEMO_PLAN}). */
  planText: string;
  /** The router's flag state file. */
  stateFile: string;
  legacyUrl: string;
  /** Temporal's gRPC address. */
  temporalAddress: string;
  client: Client;
  routerUrl: string;
  adminUrl: string;
  adminToken: string;
  /** The token is the caller's `PHOENIX_ADMIN_TOKEN` (else one made up for this run). */
  tokenFromEnv: boolean;
  uiUrl: string;
  newServiceUrl: string;
  /** Approvals go to Slack. */
  slack: boolean;
  /** The virtualenv's python (for the inventory helper). */
  python: string;
  logDir: string;
  stop(): Promise<void>;
}

/** Starts the pieces in order; whatever started is stopped again if a later piece fails. */
export async function startDemoStack(o: DemoOptions): Promise<DemoStack> {
  const stops: (() => Promise<unknown>)[] = [];
  const stop = async (): Promise<void> => {
    for (const s of stops.reverse()) await s().catch(() => {});
  };
  try {
    const logDir = path.join(ROOT, '.phoenix', 'logs');
    await mkdir(logDir, { recursive: true });

    o.say('• Temporal CLI …');
    const cli = await resolveTemporalCli({ log: (l) => o.say(`  ${l}`) });
    o.say('• Python virtualenv for the example apps (.phoenix/venv) …');
    const { python } = await ensurePythonEnv({ root: ROOT, log: (l) => o.say(`  ${l}`) });

    o.say(`• Temporal dev server on :${o.temporalPort}, Web UI on :${o.uiPort} …`);
    const temporal: RunningDevServer = await startDevServer({
      cli,
      port: o.temporalPort,
      uiPort: o.uiPort,
      dbFile: path.join(ROOT, '.phoenix', 'temporal.db'),
    });
    stops.push(() => temporal.stop());
    if (temporal.reused) o.say(`  a Temporal server already answers on ${temporal.address}; using it`);

    o.say('• legacy Flask monolith and the new FastAPI services …');
    const legacy = await startPythonApp(python, path.join(ROOT, 'examples', 'legacy-flask', 'app.py'), [], {
      logFile: path.join(logDir, 'legacy.log'),
    });
    stops.push(() => legacy.stop());
    const fresh = await startPythonApp(
      python,
      path.join(ROOT, 'examples', 'fastapi-services', 'main.py'),
      ['--service', 'all'],
      {
        logFile: path.join(logDir, 'new-services.log'),
      },
    );
    stops.push(() => fresh.stop());

    if (await portAnswers('127.0.0.1', o.routerPort))
      throw new Error(`port ${o.routerPort} is taken; pass --router-port`);
    const text = withPorts(await readFile(DEMO_PLAN, 'utf8'), {
      legacyUrl: legacy.url,
      newUrl: fresh.url,
      routerPort: o.routerPort,
      adminPort: o.adminPort,
      uiPort: o.uiPort,
    });
    const plan = await parsePlan(text, DEMO_PLAN);
    // With Slack configured (SLACK_BOT_TOKEN, SLACK_APP_TOKEN or SLACK_SIGNING_SECRET, and a
    // channel), approvals go to Slack: over Socket Mode when there is an app token.
    const slack = slackFromEnv();
    const channel = process.env.PHOENIX_DEMO_SLACK_CHANNEL;
    const slackOn = slack.enabled && !!slack.web && !!slack.buttonSecret && !!channel;
    if (slackOn) {
      // Slack users who may approve in the demo, by id or email (PHOENIX_DEMO_SLACK_APPROVERS, comma-separated).
      const approvers = (process.env.PHOENIX_DEMO_SLACK_APPROVERS ?? '')
        .split(',')
        .map((a) => a.trim())
        .filter(Boolean);
      for (const f of plan.families) {
        f.slackChannel = channel;
        f.approval.approvers = [...f.approval.approvers, ...approvers];
      }
    } else
      o.say(
        `  Slack is off (${slack.enabled ? 'set SLACK_APP_TOKEN or SLACK_SIGNING_SECRET, and PHOENIX_DEMO_SLACK_CHANNEL' : slack.reason}); approvals by CLI`,
      );

    o.say(`• router on :${o.routerPort} (admin :${o.adminPort}) …`);
    const tokenFromEnv = !!process.env.PHOENIX_ADMIN_TOKEN;
    const adminToken = process.env.PHOENIX_ADMIN_TOKEN || `demo-${randomBytes(12).toString('hex')}`;
    // Every demo run starts with all families on legacy, whatever an earlier run left behind.
    const stateFile = path.join(ROOT, '.phoenix', 'demo-router-state.json');
    await rm(stateFile, { force: true });
    const router = await startRouter({
      // This process also runs the worker and the traffic; its busy time is not the router's.
      plan: { ...plan, router: { ...plan.router, shadowMaxBusy: 1 } },
      port: o.routerPort,
      adminPort: o.adminPort,
      adminToken,
      stateFile,
      logger: createLogger('router', {}, pino.destination({ dest: path.join(logDir, 'router.log'), sync: false })),
    });
    stops.push(() => router.close());

    o.say('• worker (task queue "phoenix") …');
    // The worker's log (pino JSON, the SDK's and the workflows' included) goes to a file so the
    // terminal shows the story, not SDK chatter.
    const workerLog = createLogger(
      'worker',
      {},
      pino.destination({ dest: path.join(logDir, 'worker.log'), sync: false }),
    );
    installSdkLogging(workerLog);
    const { connection } = await connectWorkerConnection({ address: temporal.address });
    stops.push(() => connection.close());
    const worker: Worker = await createPhoenixWorker({
      connection,
      workflowBundle: await bundleWorkflows(bundlerLogger(workerLog, false)),
      activities: {
        adminToken,
        reportDir: path.join(ROOT, '.phoenix', 'reports'),
        ...(slackOn ? { slack: { slack: slack.web, buttonSecret: slack.buttonSecret } } : {}),
      },
    });
    const running = worker.run();
    stops.push(async () => {
      worker.shutdown();
      await running;
    });
    const client = await connectClient({ address: temporal.address });
    stops.push(() => client.connection.close());
    if (slackOn) {
      const inbound = await startSlackInbound({
        settings: slack,
        plan,
        temporal: client,
        mode: slack.appToken ? 'socket' : 'http',
        port: o.slackPort,
      });
      stops.push(() => inbound.close());
      o.say(
        `• Slack: approval requests go to ${channel}; ${inbound.description}${slack.appToken ? '' : " (point the app's interactivity URL there)"}`,
      );
    }

    return {
      plan,
      planText: text,
      stateFile,
      legacyUrl: legacy.url,
      temporalAddress: temporal.address,
      client,
      routerUrl: router.url,
      adminUrl: router.adminUrl,
      adminToken,
      tokenFromEnv,
      uiUrl: `http://localhost:${o.uiPort}`,
      newServiceUrl: fresh.url,
      python,
      slack: slackOn,
      logDir,
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}
