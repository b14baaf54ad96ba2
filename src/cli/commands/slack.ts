import type { Command } from 'commander';
import { loadPlan } from '../../plan/index.js';
import { slackFromEnv } from '../../slack/env.js';
import { startSlackInbound } from '../../slack/inbound.js';
import { hasCode } from '../../lib/errors.js';
import { catchStopSignals } from '../../lib/stop-signals.js';
import { portFlag } from '../flags.js';
import { CliError, ExitCode } from '../output.js';
import { temporalClient } from '../temporal-client.js';

/** `phoenix slack serve`: Slack's inbound side (buttons, the reason modal, /phoenix status). */
export function register(program: Command): void {
  const slack = program.command('slack').description('Slack approvals.');
  slack
    .command('serve')
    .description(
      'Take approvals from Slack: an HTTP interactivity receiver (SLACK_BOT_TOKEN, SLACK_SIGNING_SECRET), or Socket Mode with --socket-mode (SLACK_BOT_TOKEN, SLACK_APP_TOKEN; no public URL needed).',
    )
    .requiredOption('--plan <file>', 'plan file (YAML): who may approve which family')
    .option('--socket-mode', 'connect to Slack over Socket Mode instead of serving HTTP')
    .option('--port <port>', 'HTTP port for /slack/interactivity and /slack/commands', portFlag, 3000)
    .option('--host <address>', 'HTTP bind address', '127.0.0.1')
    .action(async (o: { plan: string; socketMode?: boolean; port: number; host: string }) => {
      const signals = catchStopSignals();
      const plan = await loadPlan(o.plan);
      const inbound = await startSlackInbound({
        settings: slackFromEnv(),
        plan,
        temporal: await temporalClient(),
        mode: o.socketMode ? 'socket' : 'http',
        port: o.port,
        host: o.host,
      }).catch((err: unknown) => {
        throw hasCode(err, 'PHX_ERR_SLACK_OFF')
          ? new CliError('PHX_ERR_SLACK_OFF', (err as Error).message, ExitCode.Usage)
          : err;
      });
      process.stdout.write(`${inbound.description}; Ctrl-C stops it\n`);
      await signals.until(inbound);
    });
}
