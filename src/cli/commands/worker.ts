import type { Command } from 'commander';

/** `phoenix worker`: runs the workflows and activities. */
export function register(program: Command): void {
  program
    .command('worker')
    .description('Run a Phoenix worker (connection from TEMPORAL_ADDRESS / TEMPORAL_NAMESPACE / TEMPORAL_API_KEY …; router token from PHOENIX_ADMIN_TOKEN; Slack from SLACK_BOT_TOKEN).')
    .option('--task-queue <name>', 'task queue to poll', 'phoenix')
    .option('--report-dir <dir>', 'where final reports are written', '.phoenix/reports')
    .action(async (opts: { taskQueue: string; reportDir: string }) => {
      // Loaded on use: the worker SDK is heavy and other commands should start fast.
      const { runWorker } = await import('../../worker/main.js');
      await runWorker({ taskQueue: opts.taskQueue, reportDir: opts.reportDir });
    });
}
