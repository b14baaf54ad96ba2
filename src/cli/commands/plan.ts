import type { Command } from 'commander';
import { loadPlan, PlanError, formatProblem } from '../../plan/index.js';
import { CliError, ExitCode, print } from '../output.js';

/** `phoenix plan validate <file>`: prints OK or every problem with file, line and field. */
export function register(program: Command): void {
  const plan = program.command('plan').description('Work with plan files.');
  plan
    .command('validate')
    .description('Validate a plan file; exits 1 and lists every problem (file:line field: message) when it is invalid.')
    .argument('<file>', 'plan file (YAML)')
    .option('--json', 'print the result as JSON')
    .action(async (file: string, opts: { json?: boolean }) => {
      try {
        const p = await loadPlan(file);
        print(
          !!opts.json,
          { ok: true, file, families: p.families.map((f) => f.name), warnings: p.warnings },
          () =>
            `OK: ${file} (${p.families.length} famil${p.families.length === 1 ? 'y' : 'ies'}: ${p.families.map((f) => f.name).join(', ')})` +
            p.warnings.map((w) => `\nwarning: ${formatProblem(w)}`).join(''),
        );
      } catch (err) {
        if (!(err instanceof PlanError)) throw err;
        if (opts.json) {
          print(true, { ok: false, code: err.code, problems: err.problems }, () => '');
          process.exitCode = ExitCode.Failed;
          return;
        }
        throw new CliError(
          err.code,
          `${file} is not a valid plan:\n${err.problems.map(formatProblem).join('\n')}`,
          ExitCode.Failed,
        );
      }
    });
}
