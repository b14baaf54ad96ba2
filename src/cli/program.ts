/**
 * The `phoenix` program. Each command lives in `commands/<verb>.ts` and exports
 * `register(program)`; this file only wires them and turns errors into exit codes.
 */
import { Command, CommanderError } from 'commander';
import pkg from '../../package.json' with { type: 'json' };
import { CliError, ExitCode } from './output.js';
import { PhoenixError } from '../lib/errors.js';
import { register as registerInit } from './commands/init.js';
import { register as registerPlan } from './commands/plan.js';
import { register as registerDev } from './commands/dev.js';
import { register as registerRouter } from './commands/router.js';
import { register as registerWorker } from './commands/worker.js';
import { register as registerStart } from './commands/start.js';
import { register as registerStatus } from './commands/status.js';
import { register as registerApprove } from './commands/approve.js';
import { register as registerControl } from './commands/control.js';
import { register as registerReport } from './commands/report.js';
import { register as registerContracts } from './commands/contracts.js';
import { register as registerSlack } from './commands/slack.js';
import { register as registerInventory } from './commands/inventory.js';
import { register as registerParity } from './commands/parity.js';
import { register as registerSetup } from './commands/setup.js';
import { register as registerRoute } from './commands/route.js';
import { register as registerComparator } from './commands/comparator.js';

const COMMANDS: ReadonlyArray<(program: Command) => void> = [
  registerInit,
  registerPlan,
  registerDev,
  registerSetup,
  registerRouter,
  registerRoute,
  registerWorker,
  registerStart,
  registerStatus,
  registerApprove,
  registerControl,
  registerReport,
  registerContracts,
  registerSlack,
  registerInventory,
  registerParity,
  registerComparator,
];

/** Stable codes of usage errors, by commander's error code. */
const USAGE_CODES: Readonly<Record<string, string>> = {
  'commander.unknownCommand': 'PHX_ERR_USAGE_UNKNOWN_COMMAND',
  'commander.unknownOption': 'PHX_ERR_USAGE_UNKNOWN_OPTION',
  'commander.missingArgument': 'PHX_ERR_USAGE_MISSING_ARGUMENT',
  'commander.missingMandatoryOptionValue': 'PHX_ERR_USAGE_MISSING_OPTION',
  'commander.optionMissingArgument': 'PHX_ERR_USAGE_MISSING_OPTION_VALUE',
  'commander.invalidArgument': 'PHX_ERR_USAGE_INVALID_VALUE',
  'commander.excessArguments': 'PHX_ERR_USAGE_EXCESS_ARGUMENTS',
  'commander.conflictingOption': 'PHX_ERR_USAGE_CONFLICTING_OPTIONS',
};

export function buildProgram(): Command {
  const program = new Command('phoenix')
    .description('Migrate a legacy HTTP monolith to new services one endpoint family at a time.')
    .version(pkg.version, '-V, --version', 'print the version')
    // Usage errors are printed by `run`, with their PHX_ERR code first.
    .configureOutput({ outputError: () => {} })
    .showSuggestionAfterError(false)
    .exitOverride();
  for (const register of COMMANDS) register(program);
  return program;
}

/**
 * The command names closest to `typed`: those it begins (`stat` → `status`), else those within
 * two edits (`strat` → `start`).
 */
export function closestCommands(typed: string, names: readonly string[]): string[] {
  const prefixed = names.filter((n) => n.startsWith(typed));
  if (prefixed.length > 0) return prefixed;
  const scored = names.map((n) => ({ n, d: editDistance(typed, n) })).filter((x) => x.d <= 2);
  const best = Math.min(...scored.map((x) => x.d));
  return scored.filter((x) => x.d === best).map((x) => x.n);
}

function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++)
      row[j] = Math.min(prev[j]! + 1, row[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    prev = row;
  }
  return prev[b.length]!;
}

function usageMessage(err: CommanderError, program: Command): string {
  const text = err.message.replace(/^error: /, '');
  const unknown = /^unknown command '([^']+)'/.exec(text);
  if (err.code !== 'commander.unknownCommand' || !unknown) return text;
  const names = program.commands.map((c) => c.name());
  const near = closestCommands(unknown[1]!, names);
  return `unknown command '${unknown[1]}'${near.length ? ` (did you mean ${near.join(' or ')}?)` : ''}; commands: ${names.join(', ')}`;
}

/**
 * Runs one command line (`argv` as in `process.argv`, node and script first) and returns its exit
 * code; errors are printed to stderr with their `PHX_ERR_*` code, never thrown.
 */
export async function run(argv: string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
    return process.exitCode === undefined ? ExitCode.Ok : Number(process.exitCode);
  } catch (err) {
    if (err instanceof CommanderError) {
      if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.code === 'commander.help')
        return ExitCode.Ok;
      process.stderr.write(
        `${USAGE_CODES[err.code] ?? 'PHX_ERR_USAGE'}: ${usageMessage(err, program)} (run with --help for usage)\n`,
      );
      return ExitCode.Usage;
    }
    if (err instanceof CliError) {
      process.stderr.write(`${err.code}: ${err.message}\n`);
      return err.exitCode;
    }
    if (err instanceof PhoenixError) {
      process.stderr.write(err.message.startsWith(err.code) ? `${err.message}\n` : `${err.code}: ${err.message}\n`);
      return ExitCode.Failed;
    }
    process.stderr.write(`PHX_ERR_UNEXPECTED: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    return ExitCode.Failed;
  }
}
