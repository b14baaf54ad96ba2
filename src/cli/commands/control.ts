import type { Command } from 'commander';
import { abortSignal, pauseSignal, resumeSignal, retrySignal } from '../../workflows/messages.js';
import { nonEmpty } from '../flags.js';
import { closeTemporalClient, migrationHandle, toCliError } from '../temporal-client.js';

async function running(family: string) {
  const handle = await migrationHandle(family);
  const d = await handle.describe();
  if (d.status.name !== 'RUNNING') {
    const { CliError, ExitCode } = await import('../output.js');
    throw new CliError('PHX_ERR_MIGRATION_NOT_RUNNING', `the migration of "${family}" is ${d.status.name.toLowerCase()}, not running`, ExitCode.Conflict);
  }
  return handle;
}

/** `phoenix pause|resume|abort|retry <family>`: signals to a running migration. */
export function register(program: Command): void {
  const user = process.env.USER ?? 'cli';
  program
    .command('pause')
    .description('Hold the migration at its current percent (bakes stop counting; analysis and rollback stay on).')
    .argument('<family>')
    .option('--as <user>', 'who pauses', user)
    .option('--reason <text>', 'why')
    .action(async (family: string, o: { as: string; reason?: string }) => {
      try {
        await (await running(family)).signal(pauseSignal, { by: o.as, reason: o.reason });
        process.stdout.write(`paused ${family}\n`);
      } catch (err) {
        toCliError(err, family);
      } finally {
        await closeTemporalClient();
      }
    });
  program
    .command('resume')
    .description('Continue a paused migration.')
    .argument('<family>')
    .option('--as <user>', 'who resumes', user)
    .action(async (family: string, o: { as: string }) => {
      try {
        await (await running(family)).signal(resumeSignal, { by: o.as });
        process.stdout.write(`resumed ${family}\n`);
      } catch (err) {
        toCliError(err, family);
      } finally {
        await closeTemporalClient();
      }
    });
  program
    .command('abort')
    .description('Stop the migration and roll the family back to legacy.')
    .argument('<family>')
    .requiredOption('--reason <text>', 'why; recorded as the rollback reason', nonEmpty('--reason'))
    .option('--as <user>', 'who aborts', user)
    .action(async (family: string, o: { as: string; reason: string }) => {
      try {
        await (await running(family)).signal(abortSignal, { by: o.as, reason: o.reason });
        process.stdout.write(`abort sent to ${family}; it rolls back to legacy (follow with: npx phoenix status ${family} --watch)\n`);
      } catch (err) {
        toCliError(err, family);
      } finally {
        await closeTemporalClient();
      }
    });
  program
    .command('retry')
    .description('Start a rolled-back migration again from the contract gate (plans with onRollback: wait-for-retry).')
    .argument('<family>')
    .option('--as <user>', 'who retries', user)
    .action(async (family: string, o: { as: string }) => {
      try {
        await (await running(family)).signal(retrySignal, { by: o.as });
        process.stdout.write(`retry sent to ${family}\n`);
      } catch (err) {
        toCliError(err, family);
      } finally {
        await closeTemporalClient();
      }
    });
}
