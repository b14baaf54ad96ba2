import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import type { Command } from 'commander';
import { SEARCH_ATTRIBUTES, startDevServer } from '../../lib/dev-server.js';
import { catchStopSignals } from '../../lib/stop-signals.js';
import { resolveTemporalCli } from '../../lib/temporal-cli.js';
import { CliError, ExitCode } from '../output.js';

const run = promisify(execFile);

function port(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 65535)
    throw new CliError('PHX_ERR_CLI_BAD_FLAG', `expected a port number 1–65535, got "${value}"`, ExitCode.Usage);
  return n;
}

/** Registers the search attributes on a server Phoenix did not start; existing ones are left alone. */
async function ensureSearchAttributes(cli: string, address: string, namespace: string): Promise<void> {
  const { stdout } = await run(
    cli,
    ['operator', 'search-attribute', 'list', '--address', address, '--namespace', namespace],
    { timeout: 15_000 },
  );
  for (const [name, type] of Object.entries(SEARCH_ATTRIBUTES)) {
    if (stdout.includes(name)) continue;
    await run(
      cli,
      [
        'operator',
        'search-attribute',
        'create',
        '--name',
        name,
        '--type',
        type,
        '--address',
        address,
        '--namespace',
        namespace,
      ],
      { timeout: 15_000 },
    );
  }
}

/** `phoenix dev server`: a local Temporal dev server with Phoenix's search attributes. */
export function register(program: Command): void {
  const dev = program.command('dev').description('Local development helpers.');
  dev
    .command('server')
    .description(
      'Start the Temporal dev server (SQLite under .phoenix/, Web UI) with Phoenix search attributes; reuses a running one.',
    )
    .option('--port <port>', 'gRPC port', port, 7233)
    .option('--ui-port <port>', 'Web UI port', port, 8233)
    .option('--ip <address>', 'bind address', '127.0.0.1')
    .option('--db-file <file>', 'SQLite file', '.phoenix/temporal.db')
    .option('--namespace <name>', 'namespace', 'default')
    .action(async (opts: { port: number; uiPort: number; ip: string; dbFile: string; namespace: string }) => {
      // The Temporal server stops in about a second; it may flush its SQLite file first.
      const signals = catchStopSignals(30_000);
      const cli = await resolveTemporalCli({ log: (l) => process.stderr.write(`${l}\n`) });
      const server = await startDevServer({
        cli,
        port: opts.port,
        uiPort: opts.uiPort,
        ip: opts.ip,
        dbFile: path.resolve(opts.dbFile),
        namespace: opts.namespace,
        stdio: 'inherit',
      });
      if (server.reused) {
        await ensureSearchAttributes(cli, server.address, server.namespace);
        process.stdout.write(
          `a Temporal server already answers on ${server.address}; reusing it (search attributes checked)\n`,
        );
        return;
      }
      process.stdout.write(
        `Temporal dev server on ${server.address}, namespace ${server.namespace}, Web UI ${server.uiUrl}\nPress Ctrl-C to stop.\n`,
      );
      await Promise.race([
        signals.until({ close: () => server.stop() }),
        new Promise<void>((resolve) => server.process?.once('exit', () => resolve())),
      ]);
    });
}
