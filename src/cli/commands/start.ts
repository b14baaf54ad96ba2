import type { Command } from 'commander';
import { familyArg } from '../flags.js';
import { loadPlan } from '../../plan/index.js';
import { migrationResult, outcomeOf, programResult } from '../../lib/migration-outcome.js';
import { CliError, ExitCode, print } from '../output.js';
import { startMigration, startProgram } from '../start-migration.js';
import { closeTemporalClient, temporalClient } from '../temporal-client.js';

/** `phoenix start <family>|--all --plan plan.yaml`: starts a migration (or the whole plan). */
export function register(program: Command): void {
  program
    .command('start')
    .description('Start the migration of one family, or of every family in dependency order (--all).')
    .argument('[family]', 'family to migrate', familyArg)
    .requiredOption('--plan <file>', 'plan file (YAML)')
    .option('--all', 'migrate every family of the plan in dependency order')
    .option('--task-queue <name>', 'task queue the worker polls', 'phoenix')
    .option('--wait', 'follow the migration until it ends (exit 0 completed, 1 rolled back or aborted)')
    .option('--json', 'print {workflowId, runId, family, uiUrl} as JSON')
    .action(
      async (
        family: string | undefined,
        opts: { plan: string; all?: boolean; taskQueue: string; wait?: boolean; json?: boolean },
      ) => {
        if (!family && !opts.all)
          throw new CliError(
            'PHX_ERR_CLI_BAD_FLAG',
            'name a family, or pass --all to migrate the whole plan',
            ExitCode.Usage,
          );
        if (family && opts.all)
          throw new CliError('PHX_ERR_CLI_BAD_FLAG', 'pass a family or --all, not both', ExitCode.Usage);
        const plan = await loadPlan(opts.plan);
        try {
          const client = await temporalClient();
          const started = family
            ? await startMigration({ client, plan, family, taskQueue: opts.taskQueue })
            : await startProgram({ client, plan, taskQueue: opts.taskQueue });
          print(
            !!opts.json,
            {
              workflowId: started.workflowId,
              runId: started.runId,
              family: family ?? null,
              plan: plan.name,
              uiUrl: started.uiUrl,
            },
            () =>
              [
                `started ${started.workflowId}`,
                `  follow it: npx phoenix status ${family ?? ''} --watch`.replace('  --', ' --'),
                `  Temporal UI: ${started.uiUrl}`,
              ].join('\n'),
          );
          if (!opts.wait) return;
          // A rolled-back or aborted run fails; its result is in the failure's details.
          if (family) {
            const result = await migrationResult(started.handle);
            const outcome = outcomeOf(result);
            if (!opts.json)
              process.stdout.write(
                `${result.family}: ${outcome}${result.reason ? ` — ${result.type}: ${result.reason}` : ''}\n`,
              );
            if (outcome !== 'completed') process.exitCode = ExitCode.Failed;
          } else {
            const result = await programResult(started.handle);
            if (!opts.json)
              for (const f of result.families)
                process.stdout.write(`${f.family}: ${f.outcome}${f.reason ? ` — ${f.reason}` : ''}\n`);
            if (result.families.some((f) => f.outcome !== 'completed')) process.exitCode = ExitCode.Failed;
          }
        } finally {
          await closeTemporalClient();
        }
      },
    );
}
