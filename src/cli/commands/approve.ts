import type { Command } from 'commander';
import { approveUpdate, rejectUpdate } from '../../workflows/messages.js';
import { nonEmpty, familyArg } from '../flags.js';
import { print } from '../output.js';
import { onMigration } from '../temporal-client.js';

/** `phoenix approve|reject <family> --step S --as USER`: decides the pending step. */
export function register(program: Command): void {
  program
    .command('approve')
    .description(
      'Approve the pending step of a migration (the workflow checks the step is pending and you are an approver).',
    )
    .argument('<family>', 'family whose migration waits', familyArg)
    .requiredOption(
      '--step <step>',
      'the pending step, e.g. ramp-start, ramp:50, decommission:<item>',
      nonEmpty('--step'),
    )
    .requiredOption('--as <user>', "who approves (a name from the plan's approvers)", nonEmpty('--as'))
    .option('--comment <text>', 'recorded with the decision')
    .option('--json', 'print the decision as JSON')
    .action((family: string, opts: { step: string; as: string; comment?: string; json?: boolean }) =>
      onMigration(
        family,
        async (handle) => {
          const r = await handle.executeUpdate(approveUpdate, {
            args: [{ step: opts.step, approver: opts.as, comment: opts.comment, via: 'cli' }],
          });
          print(!!opts.json, r, () => `approved ${r.step} of ${family} as ${r.by} at ${r.at}`);
        },
        { running: true },
      ),
    );
  program
    .command('reject')
    .description('Reject the pending step of a migration; the migration rolls back to legacy.')
    .argument('<family>', 'family whose migration waits', familyArg)
    .requiredOption('--step <step>', 'the pending step', nonEmpty('--step'))
    .requiredOption('--as <user>', "who rejects (a name from the plan's approvers)", nonEmpty('--as'))
    .requiredOption('--reason <text>', 'why; recorded in the history, the report and Slack', nonEmpty('--reason'))
    .option('--json', 'print the decision as JSON')
    .action((family: string, opts: { step: string; as: string; reason: string; json?: boolean }) =>
      onMigration(
        family,
        async (handle) => {
          const r = await handle.executeUpdate(rejectUpdate, {
            args: [{ step: opts.step, approver: opts.as, reason: opts.reason, via: 'cli' }],
          });
          print(!!opts.json, r, () => `rejected ${r.step} of ${family} as ${r.by}; the migration rolls back`);
        },
        { running: true },
      ),
    );
}
