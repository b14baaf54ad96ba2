import type { Command } from 'commander';
import { familyArg } from '../flags.js';
import { readInputFile } from '../input.js';
import { CliError, ExitCode, print } from '../output.js';
import { migrationResult, outcomeOf } from '../../lib/migration-outcome.js';
import { closeTemporalClient, migrationHandle, toCliError } from '../temporal-client.js';

/** `phoenix report <family>`: the final report of a finished migration. */
export function register(program: Command): void {
  program
    .command('report')
    .description(
      'Print the final report of a finished migration (Markdown, JSON with --json, or the path of the HTML page with charts with --html).',
    )
    .argument('<family>', 'family name', familyArg)
    .option('--json', 'print the JSON report')
    .option('--html', 'print the path of the HTML report (charts), to open in a browser')
    .action(async (family: string, opts: { json?: boolean; html?: boolean }) => {
      try {
        const handle = await migrationHandle(family);
        const d = await handle.describe();
        if (d.status.name === 'RUNNING') {
          throw new CliError(
            'PHX_ERR_MIGRATION_RUNNING',
            `the migration of "${family}" is still running; see \`phoenix status ${family}\``,
            ExitCode.Conflict,
          );
        }
        const result = await migrationResult(handle);
        if (!result.report) {
          if (opts.json) return print(true, result, () => '');
          throw new CliError(
            'PHX_ERR_REPORT_MISSING',
            `the migration of "${family}" ended (${outcomeOf(result)}) but no report was written; see the worker's logs`,
            ExitCode.NotFound,
          );
        }
        if (opts.html) {
          if (!result.report.html)
            throw new CliError(
              'PHX_ERR_REPORT_MISSING',
              `the migration of "${family}" was reported before HTML reports existed; see ${result.report.markdown}`,
              ExitCode.NotFound,
            );
          process.stdout.write(`${result.report.html}\n`);
          return;
        }
        const file = opts.json ? result.report.json : result.report.markdown;
        process.stdout.write(await readInputFile(file, 'the report written by the worker'));
      } catch (err) {
        toCliError(err, family);
      } finally {
        await closeTemporalClient();
      }
    });
}
