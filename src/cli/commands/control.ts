import type { Command } from 'commander';
import { abortSignal, pauseSignal, resumeSignal, retrySignal, rollbackUpdate } from '../../workflows/messages.js';
import { nonEmpty, familyArg } from '../flags.js';
import { CliError, ExitCode, print } from '../output.js';
import { WorkflowUpdateFailedError } from '@temporalio/client';
import { onMigration } from '../temporal-client.js';

const say = (line: string): void => void process.stdout.write(`${line}\n`);

/** `phoenix pause|resume|abort|rollback|retry <family>`: signals and updates to a running migration. */
export function register(program: Command): void {
  const user = process.env.USER ?? 'cli';
  program
    .command('pause')
    .description('Hold the migration at its current percent (bakes stop counting; analysis and rollback stay on).')
    .argument('<family>', 'family name', familyArg)
    .option('--as <user>', 'who pauses', user)
    .option('--reason <text>', 'why')
    .action((family: string, o: { as: string; reason?: string }) =>
      onMigration(
        family,
        async (h) => (await h.signal(pauseSignal, { by: o.as, reason: o.reason }), say(`paused ${family}`)),
        { running: true },
      ),
    );
  program
    .command('resume')
    .description('Continue a paused migration.')
    .argument('<family>', 'family name', familyArg)
    .option('--as <user>', 'who resumes', user)
    .action((family: string, o: { as: string }) =>
      onMigration(family, async (h) => (await h.signal(resumeSignal, { by: o.as }), say(`resumed ${family}`)), {
        running: true,
      }),
    );
  program
    .command('abort')
    .description('Stop the migration and roll the family back to legacy.')
    .argument('<family>', 'family name', familyArg)
    .requiredOption('--reason <text>', 'why; recorded as the rollback reason', nonEmpty('--reason'))
    .option('--as <user>', 'who aborts', user)
    .action((family: string, o: { as: string; reason: string }) =>
      onMigration(
        family,
        async (h) => (
          await h.signal(abortSignal, { by: o.as, reason: o.reason }),
          say(`abort sent to ${family}; it rolls back to legacy (follow with: npx phoenix status ${family} --watch)`)
        ),
        { running: true },
      ),
    );
  program
    .command('rollback')
    .description(
      'Send the family back to legacy now, at any percent including 100%, until its decommission checklist completes (approvers only).',
    )
    .argument('<family>', 'family name', familyArg)
    .requiredOption('--as <user>', "who rolls back (a name from the plan's approvers)", nonEmpty('--as'))
    .option('--reason <text>', 'why; recorded as the rollback reason')
    .option('--json', 'print the accepted request as JSON')
    .action((family: string, o: { as: string; reason?: string; json?: boolean }) =>
      onMigration(
        family,
        async (h) => {
          const r = await h
            .executeUpdate(rollbackUpdate, { args: [{ approver: o.as, reason: o.reason, via: 'cli' }] })
            .catch((err: unknown) => {
              if (!(err instanceof WorkflowUpdateFailedError)) throw err;
              throw new CliError(
                'PHX_ERR_ROLLBACK_REFUSED',
                `refused: ${err.cause?.message ?? err.message}`,
                ExitCode.Conflict,
              );
            });
          print(
            !!o.json,
            r,
            () =>
              `rollback of ${family} accepted at ${r.percent}% (${r.stage}); the route goes to legacy first (follow with: npx phoenix status ${family})`,
          );
        },
        { running: true },
      ),
    );
  program
    .command('retry')
    .description('Start a rolled-back migration again from the contract gate (plans with onRollback: wait-for-retry).')
    .argument('<family>', 'family name', familyArg)
    .option('--as <user>', 'who retries', user)
    .action((family: string, o: { as: string }) =>
      onMigration(family, async (h) => (await h.signal(retrySignal, { by: o.as }), say(`retry sent to ${family}`)), {
        running: true,
      }),
    );
}
