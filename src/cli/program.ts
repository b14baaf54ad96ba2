/**
 * The `phoenix` program. Each command lives in `commands/<verb>.ts` and exports
 * `register(program)`; this file only wires them and turns errors into exit codes.
 */
import { readFile } from 'node:fs/promises';
import { Command, CommanderError } from 'commander';
import pkg from '../../package.json' with { type: 'json' };
import { CliError, ExitCode } from './output.js';
import { PhoenixError } from '../lib/errors.js';

/** A module under `commands/`: it adds its commands to the program. */
export interface CommandModule {
  register(program: Command): void;
}

/**
 * Every command module and the top-level commands it adds. A command line loads only the module of
 * its command, so `phoenix status` does not pay for the worker, Slack and the router.
 */
export const COMMANDS: ReadonlyArray<{ names: readonly string[]; load: () => Promise<CommandModule> }> = [
  { names: ['init'], load: () => import('./commands/init.js') },
  { names: ['plan'], load: () => import('./commands/plan.js') },
  { names: ['dev'], load: () => import('./commands/dev.js') },
  { names: ['setup'], load: () => import('./commands/setup.js') },
  { names: ['router'], load: () => import('./commands/router.js') },
  { names: ['route'], load: () => import('./commands/route.js') },
  { names: ['worker'], load: () => import('./commands/worker.js') },
  { names: ['start'], load: () => import('./commands/start.js') },
  { names: ['status'], load: () => import('./commands/status.js') },
  { names: ['approve', 'reject'], load: () => import('./commands/approve.js') },
  { names: ['pause', 'resume', 'abort', 'rollback', 'retry'], load: () => import('./commands/control.js') },
  { names: ['report'], load: () => import('./commands/report.js') },
  { names: ['contracts'], load: () => import('./commands/contracts.js') },
  { names: ['slack'], load: () => import('./commands/slack.js') },
  { names: ['inventory'], load: () => import('./commands/inventory.js') },
  { names: ['parity'], load: () => import('./commands/parity.js') },
  { names: ['comparator'], load: () => import('./commands/comparator.js') },
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

/** The program with the commands of `modules` (all of them by default). */
export async function buildProgram(modules = COMMANDS): Promise<Command> {
  const program = new Command('phoenix')
    .description('Migrate a legacy HTTP monolith to new services one endpoint family at a time.')
    .version(pkg.version, '-V, --version', 'print the version')
    // Usage errors are printed by `run`, with their PHX_ERR code first.
    .configureOutput({ outputError: () => {} })
    .showSuggestionAfterError(false)
    .exitOverride();
  for (const m of await Promise.all(modules.map((c) => c.load()))) m.register(program);
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
 * The top-level help, rendered when the CLI is compiled (`scripts/build.mjs`), so `phoenix --help`
 * loads no command module. Absent when running from source.
 */
export const TOP_HELP = new URL('./help.txt', import.meta.url);

/**
 * The command modules a command line needs: only its command's, when the line starts with a known
 * command; all of them for help, the version, and unknown commands (their suggestions).
 */
function modulesFor(args: readonly string[]): typeof COMMANDS {
  const first = args[0];
  if (args.length === 1 && (first === '-V' || first === '--version')) return [];
  const entry = first === undefined ? undefined : COMMANDS.find((c) => c.names.includes(first));
  return entry ? [entry] : COMMANDS;
}

/**
 * Runs one command line (`argv` as in `process.argv`, node and script first) and returns its exit
 * code; errors are printed to stderr with their `PHX_ERR_*` code, never thrown.
 */
export async function run(argv: string[]): Promise<number> {
  const args = argv.slice(2);
  if (args.length === 1 && ['--help', '-h', 'help'].includes(args[0]!)) {
    const prebuilt = await readFile(TOP_HELP, 'utf8').catch(() => undefined);
    if (prebuilt !== undefined) {
      process.stdout.write(prebuilt);
      return ExitCode.Ok;
    }
  }
  const program = await buildProgram(modulesFor(args));
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

/** Runs this process's command line and sets its exit code: what `phoenix` does. */
export function main(argv: string[]): void {
  run(argv).then(
    (code) => {
      process.exitCode = code;
    },
    (err: unknown) => {
      process.stderr.write(`${String(err)}\n`);
      process.exit(ExitCode.Failed);
    },
  );
}
