import type { Command } from 'commander';
import { durationFlag, nonEmpty, portFlag } from '../flags.js';
import { CliError, ExitCode } from '../output.js';

/** The longest `--fleet-wait`: a route change's attempt has 10 s for the wait, the health checks and the change. */
const MAX_FLEET_WAIT_MS = 6000;

function fleetWaitFlag(value: string): number {
  const ms = durationFlag(value);
  if (ms > MAX_FLEET_WAIT_MS)
    throw new CliError(
      'PHX_ERR_CLI_BAD_FLAG',
      `--fleet-wait: at most 6s (each attempt of a route change has 10 s in all), got "${value}"`,
      ExitCode.Usage,
    );
  return ms;
}

/** `--write-bundle`: the workflow bundle to a file, for `PHOENIX_WORKFLOW_BUNDLE`. */
async function writeBundle(file: string): Promise<void> {
  const { writeWorkflowBundle } = await import('../../worker/worker.js');
  let bytes: number;
  try {
    bytes = await writeWorkflowBundle(file);
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    if (e.code === undefined) throw err;
    throw new CliError(
      'PHX_ERR_BUNDLE_WRITE',
      `cannot write the workflow bundle to ${file}: ${e.message}; give a path in a writable directory`,
      ExitCode.Failed,
    );
  }
  process.stdout.write(
    `wrote the workflow bundle to ${file} (${Math.round(bytes / 1024)} KB); start workers with PHOENIX_WORKFLOW_BUNDLE=${file}\n`,
  );
}

/** `phoenix worker`: runs the workflows and activities. */
export function register(program: Command): void {
  program
    .command('worker')
    .description(
      'Run a Phoenix worker (connection from TEMPORAL_ADDRESS / TEMPORAL_NAMESPACE / TEMPORAL_API_KEY …; router token from PHOENIX_ADMIN_TOKEN; Slack from SLACK_BOT_TOKEN).',
    )
    .option('--task-queue <name>', 'task queue to poll', 'phoenix')
    .option('--report-dir <dir>', 'where final reports are written', '.phoenix/reports')
    .option(
      '--slack-plan <file>',
      "also take Slack approvals in this process, with this plan's approvers: Socket Mode when SLACK_APP_TOKEN is set, else the HTTP receiver",
    )
    .option('--slack-port <port>', 'HTTP receiver port with --slack-plan', portFlag, 3000)
    .option('--slack-host <address>', 'HTTP receiver bind address with --slack-plan', '127.0.0.1')
    .option('--verbose', "also log webpack's report on the workflow bundle")
    .option(
      '--write-bundle <file>',
      'write the workflow bundle, built from this install, to <file> and exit; workers started with PHOENIX_WORKFLOW_BUNDLE=<file> then skip webpack at start-up (rebuild it on every upgrade)',
    )
    .option(
      '--deployment <name>',
      'Worker Versioning: the Worker Deployment this worker belongs to (with --build-id; see docs/production.md)',
      nonEmpty('--deployment'),
    )
    .option('--build-id <id>', "Worker Versioning: this worker's build within --deployment", nonEmpty('--build-id'))
    .option(
      '--fleet-wait <duration>',
      'how long each attempt of a fleet-wide change waits for a member that is down (at most 6s; see docs/fleets.md)',
      fleetWaitFlag,
      3000,
    )
    .action(
      async (opts: {
        taskQueue: string;
        reportDir: string;
        slackPlan?: string;
        slackPort: number;
        slackHost: string;
        verbose?: boolean;
        fleetWait: number;
        writeBundle?: string;
        deployment?: string;
        buildId?: string;
      }) => {
        if (opts.writeBundle !== undefined) return writeBundle(opts.writeBundle);
        if ((opts.deployment === undefined) !== (opts.buildId === undefined))
          throw new CliError(
            'PHX_ERR_CLI_BAD_FLAG',
            '--deployment and --build-id go together: a versioned worker is one build of one Worker Deployment',
            ExitCode.Usage,
          );
        // Loaded on use: the worker SDK is heavy and other commands should start fast.
        const { runWorker } = await import('../../worker/main.js');
        await runWorker({
          taskQueue: opts.taskQueue,
          reportDir: opts.reportDir,
          verbose: opts.verbose ?? false,
          fleetWaitMs: opts.fleetWait,
          ...(opts.deployment !== undefined && opts.buildId !== undefined
            ? { deployment: { name: opts.deployment, buildId: opts.buildId } }
            : {}),
          ...(opts.slackPlan ? { slack: { plan: opts.slackPlan, port: opts.slackPort, host: opts.slackHost } } : {}),
        });
      },
    );
}
