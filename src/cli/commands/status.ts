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
import {
  memberStatusText,
  readMemberStatus,
  runMembers,
  runTarget,
  type DataPlaneStatus,
  type RunTarget,
} from '../member-status.js';

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

/** Each member of the run's data plane as it serves the family now; nothing when the run's input cannot be read. */
async function dataPlaneOf(
  target: RunTarget | undefined,
  family: string,
  token: string | undefined,
): Promise<DataPlaneStatus | undefined> {
  if (!target) return undefined;
  return readMemberStatus(runMembers(target), family, {
    token,
    ...(target.adminTimeoutMs !== undefined ? { timeoutMs: target.adminTimeoutMs } : {}),
  });
}

/** `phoenix status [family] [--watch] [--all-runs] [--json] [--no-data-plane]`. */
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
    .option(
      '--json',
      'print the progress (or the list: family, runId, startedAt, outcome, …) as JSON; with a family, `dataPlane.members` too',
    )
    .option(
      '--no-data-plane',
      'with a family: do not read each member of its data plane (route, version, reachable); read by default',
    )
    .option('--token <token>', 'router admin token, to read the members (default: PHOENIX_ADMIN_TOKEN)')
    .action(
      async (
        family: string | undefined,
        opts: {
          watch?: boolean;
          interval: number;
          allRuns?: boolean;
          json?: boolean;
          dataPlane: boolean;
          token?: string;
        },
      ) => {
        try {
          if (!family) {
            const rows = await listMigrations(await temporalClient(), { allRuns: opts.allRuns });
            print(!!opts.json, rows, () => renderMigrationList(rows));
            return;
          }
          const handle = await migrationHandle(family);
          const token = opts.token ?? process.env.PHOENIX_ADMIN_TOKEN;
          let target: RunTarget | undefined;
          for (let first = true; ; first = false) {
            const { progress, running, report } = await progressOf(handle);
            // The members are the run's own (its input), read once; their state on every refresh.
            if (first && opts.dataPlane) target = await runTarget(await temporalClient(), handle);
            const oneLine = !!opts.watch && !process.stdout.isTTY && !opts.json;
            const dataPlane = oneLine ? undefined : await dataPlaneOf(target, family, token);
            // A finished run's report paths come with it: `report` in JSON, a line in text.
            const reportLine = report
              ? `\nreport: ${report.html ?? report.markdown} (also ${report.markdown}, ${report.json})`
              : '';
            const membersText = dataPlane ? `\n${memberStatusText(dataPlane)}` : '';
            if (opts.json)
              print(
                true,
                { ...progress, ...(report ? { report } : {}), ...(dataPlane ? { dataPlane } : {}) },
                () => '',
              );
            else if (opts.watch && process.stdout.isTTY)
              process.stdout.write(`\x1b[2J\x1b[H${renderProgress(progress)}${membersText}${reportLine}\n`);
            else
              process.stdout.write(
                `${oneLine ? progressLine(progress) : `${renderProgress(progress)}${membersText}`}${reportLine}\n`,
              );
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
