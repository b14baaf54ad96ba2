import type { Command } from 'commander';
import type { WorkflowHandle } from '@temporalio/client';
import { progressQuery, type MigrationProgress } from '../../workflows/messages.js';
import type { migrateFamily } from '../../workflows/migrate-family.js';
import { PhoenixFamily, PhoenixPercent, PhoenixStage } from '../../workflows/search-attributes.js';
import { durationFlag, familyArg } from '../flags.js';
import { print } from '../output.js';
import { progressLine, renderProgress } from '../../workflows/render-progress.js';
import { closeTemporalClient, migrationHandle, temporalClient, toCliError } from '../temporal-client.js';

/** The progress of a running migration (query) or of a finished one (its result). */
async function progressOf(
  handle: WorkflowHandle<typeof migrateFamily>,
): Promise<{ progress: MigrationProgress; running: boolean }> {
  const d = await handle.describe();
  if (d.status.name === 'RUNNING') return { progress: await handle.query(progressQuery), running: true };
  if (d.status.name === 'COMPLETED') return { progress: (await handle.result()).progress, running: false };
  return { progress: await handle.query(progressQuery), running: false };
}

/** `phoenix status [family] [--watch] [--json]`. */
export function register(program: Command): void {
  program
    .command('status')
    .description('Where migrations are: one family in detail, or every Phoenix migration as a list.')
    .argument('[family]', 'family to show; without it, lists all migrations', familyArg)
    .option('--watch', 'redraw until the migration ends (Ctrl-C to stop watching)')
    .option('--interval <duration>', 'refresh interval for --watch', durationFlag, 1000)
    .option('--json', 'print the progress (or the list) as JSON')
    .action(async (family: string | undefined, opts: { watch?: boolean; interval: number; json?: boolean }) => {
      try {
        if (!family) {
          const client = await temporalClient();
          const rows: { family: string; workflowId: string; status: string; stage: string; percent: number }[] = [];
          for await (const w of client.workflow.list({ query: `WorkflowType = 'migrateFamily'` })) {
            rows.push({
              family: w.typedSearchAttributes.get(PhoenixFamily) ?? w.workflowId.replace(/^phoenix-/, ''),
              workflowId: w.workflowId,
              status: w.status.name.toLowerCase(),
              stage: w.typedSearchAttributes.get(PhoenixStage) ?? '—',
              percent: w.typedSearchAttributes.get(PhoenixPercent) ?? 0,
            });
            if (rows.length >= 200) break;
          }
          print(!!opts.json, rows, () =>
            rows.length === 0
              ? 'no migrations yet (start one with `phoenix start <family> --plan <plan>`)'
              : rows
                  .map(
                    (r) =>
                      `${r.family.padEnd(20)} ${r.status.padEnd(10)} ${r.stage.padEnd(18)} ${String(r.percent).padStart(3)}%  ${r.workflowId}`,
                  )
                  .join('\n'),
          );
          return;
        }
        const handle = await migrationHandle(family);
        for (;;) {
          const { progress, running } = await progressOf(handle);
          if (opts.json) print(true, progress, () => '');
          else if (opts.watch && process.stdout.isTTY)
            process.stdout.write(`\x1b[2J\x1b[H${renderProgress(progress)}\n`);
          else process.stdout.write(`${opts.watch ? progressLine(progress) : renderProgress(progress)}\n`);
          if (!opts.watch || !running) return;
          await new Promise((r) => setTimeout(r, opts.interval));
        }
      } catch (err) {
        toCliError(err, family ?? '');
      } finally {
        await closeTemporalClient();
      }
    });
}
