/**
 * `phoenix worker`: connects to Temporal from the environment (envconfig: TEMPORAL_ADDRESS,
 * TEMPORAL_NAMESPACE, TLS, API key, profile), registers the workflows and activities on the task
 * queue, and runs until SIGINT/SIGTERM.
 */
import path from 'node:path';
import type { Client } from '@temporalio/client';
import { createLogger } from '../lib/logger.js';
import { bundlerLogger, installSdkLogging } from '../lib/sdk-logger.js';
import { connectClient, connectWorkerConnection } from '../lib/temporal.js';
import { loadPlan } from '../plan/index.js';
import { startSlackInbound, type RunningSlackInbound } from '../slack/inbound.js';
import { slackFromEnv } from '../slack/env.js';
import { bundleWorkflows, createPhoenixWorker, TASK_QUEUE, type WorkerDeployment } from './worker.js';

export interface RunWorkerOptions {
  /** @default "phoenix" */
  taskQueue?: string;
  /** Where final reports are written. @default ".phoenix/reports" */
  reportDir?: string;
  /**
   * Take Slack approvals in this process too: Socket Mode when `SLACK_APP_TOKEN` is set, else the
   * HTTP receiver on `port`. @default off (run `phoenix slack serve` separately, or use the CLI)
   */
  slack?: { plan: string; port?: number; host?: string };
  /** Also log webpack's report on the workflow bundle (info level). @default false */
  verbose?: boolean;
  /**
   * How long each attempt of a fleet-wide change waits for a member that is down (see
   * docs/fleets.md). @default 3000 (ms)
   */
  fleetWaitMs?: number;
  /** Worker Versioning: the Worker Deployment and build this worker is. @default unversioned */
  deployment?: WorkerDeployment;
}

export async function runWorker(o: RunWorkerOptions = {}): Promise<void> {
  const log = createLogger('worker');
  // Before any connection: the SDK's runtime is created once per process, with its logger.
  installSdkLogging(log);
  const slack = slackFromEnv();
  if (!slack.enabled) log.info(`Slack is off: ${slack.reason}; approvals by CLI (phoenix approve)`);
  if (!process.env.PHOENIX_ADMIN_TOKEN)
    log.warn(
      'PHOENIX_ADMIN_TOKEN is not set: the router admin API will refuse the worker unless it runs with --insecure-admin',
    );
  const { connection, namespace } = await connectWorkerConnection();
  const worker = await createPhoenixWorker({
    connection,
    namespace,
    taskQueue: o.taskQueue ?? TASK_QUEUE,
    workflowBundle: await bundleWorkflows(bundlerLogger(log, o.verbose ?? false)),
    activities: {
      adminToken: process.env.PHOENIX_ADMIN_TOKEN,
      ...(o.fleetWaitMs !== undefined ? { fleetWaitMs: o.fleetWaitMs } : {}),
      reportDir: path.resolve(o.reportDir ?? '.phoenix/reports'),
      slack: { slack: slack.web, log, buttonSecret: slack.buttonSecret },
    },
    ...(o.deployment ? { deployment: o.deployment } : {}),
  });
  let inbound: RunningSlackInbound | undefined;
  let inboundClient: Client | undefined;
  if (o.slack) {
    const plan = await loadPlan(o.slack.plan);
    inboundClient = await connectClient();
    inbound = await startSlackInbound({
      settings: slack,
      plan,
      temporal: inboundClient,
      mode: slack.appToken ? 'socket' : 'http',
      port: o.slack.port,
      host: o.slack.host,
      logger: log,
    });
    log.info(inbound.description);
  }
  const stop = (): void => worker.shutdown();
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  log.info(
    {
      taskQueue: o.taskQueue ?? TASK_QUEUE,
      namespace,
      ...(o.deployment ? { deployment: o.deployment.name, buildId: o.deployment.buildId } : {}),
    },
    o.deployment
      ? `worker running as build ${o.deployment.buildId} of deployment ${o.deployment.name}: it takes tasks once that version is current (temporal worker deployment set-current-version)`
      : 'worker running',
  );
  try {
    await worker.run();
  } finally {
    await inbound?.close();
    await inboundClient?.connection.close();
    await connection.close();
  }
}
