import type { Command } from 'commander';
import { loadPlan } from '../../plan/index.js';
import { slackFromEnv } from '../../slack/env.js';
import { portFlag } from '../flags.js';
import { CliError, ExitCode } from '../output.js';
import { temporalClient } from '../temporal-client.js';

/** `phoenix slack serve`: the interactivity receiver (buttons, the reason modal, /phoenix status). */
export function register(program: Command): void {
  const slack = program.command('slack').description('Slack approvals.');
  slack
    .command('serve')
    .description('Run the Slack interactivity receiver (SLACK_BOT_TOKEN and SLACK_SIGNING_SECRET from the environment).')
    .requiredOption('--plan <file>', 'plan file (YAML): who may approve which family')
    .option('--port <port>', 'port for /slack/interactivity and /slack/commands', portFlag, 3000)
    .option('--host <address>', 'bind address', '127.0.0.1')
    .action(async (o: { plan: string; port: number; host: string }) => {
      const settings = slackFromEnv();
      if (!settings.enabled || !settings.web) throw new CliError('PHX_ERR_SLACK_OFF', `Slack is off: ${settings.reason}`, ExitCode.Usage);
      if (!settings.signingSecret) throw new CliError('PHX_ERR_SLACK_OFF', 'SLACK_SIGNING_SECRET is not set; the receiver refuses to run without verifying requests', ExitCode.Usage);
      const plan = await loadPlan(o.plan);
      const { startSlackReceiver } = await import('../../slack/receiver.js');
      const receiver = await startSlackReceiver({ port: o.port, host: o.host, signingSecret: settings.signingSecret, temporal: await temporalClient(), web: settings.web, plan });
      process.stdout.write(`Slack receiver on ${receiver.url}/slack/interactivity and ${receiver.url}/slack/commands; Ctrl-C stops it\n`);
      await new Promise<void>((resolve) => {
        const stop = (): void => void receiver.close().then(resolve);
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
      });
    });
}
