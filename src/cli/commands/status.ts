import { Option, type Command } from 'commander';
import type { WorkflowHandle } from '@temporalio/client';
import type { ReportPaths } from '../../activities/report.js';
import { progressQuery, type MigrationProgress } from '../../workflows/messages.js';
import type { migrateFamily } from '../../workflows/migrate-family.js';
import { durationFlag, familyArg } from '../flags.js';
import { listMigrations, renderMigrationList } from '../migration-list.js';
import { print } from '../output.js';
import { migrationResult } from '../../lib/migration-outcome.js';
import { progressLine, renderProgress } from '../../report/render-progress.js';
import { closeTemporalClient, migrationHandle, temporalClient, toCliError } from '../temporal-client.js';

/** The progress of a running migration (query) or of a finished one (its result, with the report's paths). */
async function progressOf(
  handle: WorkflowHandle<typeof migrateFamily>,
): Promise<{ progress: MigrationProgress; running: boolean; report?: ReportPaths }> {
  const d = await handle.describe();
  if (d.status.name === 'RUNNING') return { progress: await handle.query(progressQuery), running: true };
  // A rolled-back or aborted run has failed; its result, progress included, is in the failure.
  if (d.status.name === 'COMPLETED' || d.status.name === 'FAILED') {
    const result = await migrationResult(handle);
    return { progress: result.progress, running: false, ...(result.report ? { report: result.report } : {}) };
  }
  return { progress: await handle.query(progressQuery), running: false };
}

/** `phoenix status [family] [--watch] [--all-runs] [--json]`. */
export function register(program: Command): void {
  program
    .command('status')
    .description('Where migrations are: one family in detail, or every Phoenix migration as a list.')
    .argument('[family]', 'family to show; without it, lists all migrations', familyArg)
    .option('--watch', 'redraw until the migration ends (Ctrl-C to stop watching)')
    .addOption(
      new Option('--interval <duration>', 'refresh interval for --watch').argParser(durationFlag).default(1000, '1s'),
    )
    .option('--all-runs', "without a family: every run, not only each family's latest")
    .option('--json', 'print the progress (or the list: family, runId, startedAt, outcome, …) as JSON')
    .action(
      async (
        family: string | undefined,
        opts: { watch?: boolean; interval: number; allRuns?: boolean; json?: boolean },
      ) => {
        try {
          if (!family) {
            const rows = await listMigrations(await temporalClient(), { allRuns: opts.allRuns });
            print(!!opts.json, rows, () => renderMigrationList(rows));
            return;
          }
          const handle = await migrationHandle(family);
          for (;;) {
            const { progress, running, report } = await progressOf(handle);
            // A finished run's report paths come with it: `report` in JSON, a line in text.
            const reportLine = report
              ? `\nreport: ${report.html ?? report.markdown} (also ${report.markdown}, ${report.json})`
              : '';
            if (opts.json) print(true, report ? { ...progress, report } : progress, () => '');
            else if (opts.watch && process.stdout.isTTY)
              process.stdout.write(`\x1b[2J\x1b[H${renderProgress(progress)}${reportLine}\n`);
            else
              process.stdout.write(`${opts.watch ? progressLine(progress) : renderProgress(progress)}${reportLine}\n`);
            if (!opts.watch || !running) return;
            await new Promise((r) => setTimeout(r, opts.interval));
          }
        } catch (err) {
          toCliError(err, family ?? '');
        } finally {
          await closeTemporalClient();
        }
      },
    );
}
