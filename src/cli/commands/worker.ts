import type { Command } from 'commander';
import { portFlag } from '../flags.js';

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
    .action(
      async (opts: {
        taskQueue: string;
        reportDir: string;
        slackPlan?: string;
        slackPort: number;
        slackHost: string;
        verbose?: boolean;
      }) => {
        // Loaded on use: the worker SDK is heavy and other commands should start fast.
        const { runWorker } = await import('../../worker/main.js');
        await runWorker({
          taskQueue: opts.taskQueue,
          reportDir: opts.reportDir,
          verbose: opts.verbose ?? false,
          ...(opts.slackPlan ? { slack: { plan: opts.slackPlan, port: opts.slackPort, host: opts.slackHost } } : {}),
        });
      },
    );
}
