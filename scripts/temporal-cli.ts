/**
 * `npm run setup:temporal`: installs the Temporal CLI and the time-skipping test server into
 * `.tools/bin` when they are not already available, and prints their paths.
 */
import { PhoenixError } from '../src/lib/errors.js';
import { resolveTemporalCli, resolveTestServer, works } from '../src/lib/temporal-cli.js';

async function main(): Promise<void> {
  const log = (l: string): void => void process.stdout.write(`${l}\n`);
  const cli = await resolveTemporalCli({ log });
  log(`temporal CLI: ${cli} (${await works(cli, ['--version'])})`);
  const ts = await resolveTestServer({ log });
  log(`temporal test server: ${ts}`);
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof PhoenixError ? `${err.code}: ` : ''}${(err as Error).message}\n`);
  process.exit(1);
});
