/**
 * The `phoenix` program. Each command lives in `commands/<verb>.ts` and exports
 * `register(program)`; this file only wires them and turns errors into exit codes.
 */
import { Command, CommanderError } from 'commander';
import { CliError, ExitCode } from './output.js';
import { PhoenixError } from '../lib/errors.js';
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

const COMMANDS: ReadonlyArray<(program: Command) => void> = [
  registerPlan,
  registerDev,
  registerRouter,
  registerWorker,
  registerStart,
  registerStatus,
  registerApprove,
  registerControl,
  registerReport,
  registerContracts,
  registerSlack,
  registerInventory,
];

export function buildProgram(): Command {
  const program = new Command('phoenix')
    .description('Migrate a legacy HTTP monolith to new services one endpoint family at a time.')
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride();
  for (const register of COMMANDS) register(program);
  return program;
}

/**
 * Runs one command line (`argv` as in `process.argv`, node and script first) and returns its exit
 * code; errors are printed to stderr with their `PHX_ERR_*` code, never thrown.
 */
export async function run(argv: string[]): Promise<number> {
  try {
    await buildProgram().parseAsync(argv);
    return process.exitCode === undefined ? ExitCode.Ok : Number(process.exitCode);
  } catch (err) {
    if (err instanceof CommanderError) {
      if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.code === 'commander.help')
        return ExitCode.Ok;
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
