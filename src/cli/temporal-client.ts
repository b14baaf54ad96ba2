/**
 * How CLI commands reach migrations: one Temporal client, handles by family, and Temporal errors
 * turned into coded CLI errors with exit codes scripts can rely on.
 */
import {
  WorkflowNotFoundError,
  WorkflowUpdateFailedError,
  WorkflowFailedError,
  type Client,
  type WorkflowHandle,
} from '@temporalio/client';
import { connectClient } from '../lib/temporal.js';
import { migrationWorkflowId } from '../workflows/messages.js';
import type { migrateFamily } from '../workflows/migrate-family.js';
import { CliError, ExitCode } from './output.js';

let client: Promise<Client> | undefined;

/** The process's Temporal client (from envconfig: TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE, …). */
export function temporalClient(): Promise<Client> {
  client ??= connectClient().catch((err: unknown) => {
    throw new CliError('PHX_ERR_TEMPORAL_UNREACHABLE', (err as Error).message, ExitCode.Unavailable);
  });
  return client;
}

/** Closes the client so the process can exit. */
export async function closeTemporalClient(): Promise<void> {
  const c = client;
  client = undefined;
  if (c) await (await c.catch(() => undefined))?.connection.close();
}

/** The handle of a family's migration. */
export async function migrationHandle(family: string): Promise<WorkflowHandle<typeof migrateFamily>> {
  return (await temporalClient()).workflow.getHandle<typeof migrateFamily>(migrationWorkflowId(family));
}

/** Maps Temporal errors to CLI errors; anything else is rethrown. */
export function toCliError(err: unknown, family: string): never {
  if (err instanceof CliError) throw err;
  if (err instanceof WorkflowNotFoundError || (err as { name?: string }).name === 'WorkflowNotFoundError') {
    throw new CliError(
      'PHX_ERR_MIGRATION_NOT_FOUND',
      `no migration for "${family}" (workflow ${migrationWorkflowId(family)}); start one with \`phoenix start ${family} --plan <plan>\``,
      ExitCode.NotFound,
    );
  }
  if (err instanceof WorkflowUpdateFailedError) {
    const cause = err.cause?.message ?? err.message;
    throw new CliError('PHX_ERR_APPROVAL_REFUSED', `refused: ${cause}`, ExitCode.Conflict);
  }
  if (err instanceof WorkflowFailedError) {
    throw new CliError('PHX_ERR_MIGRATION_FAILED', err.message, ExitCode.Failed);
  }
  const msg = (err as Error).message ?? String(err);
  if (/workflow.*(already completed|not found|execution.*completed)/i.test(msg)) {
    throw new CliError(
      'PHX_ERR_MIGRATION_NOT_RUNNING',
      `the migration of "${family}" is not running (${msg})`,
      ExitCode.Conflict,
    );
  }
  if (/update.*rejected|validator/i.test(msg))
    throw new CliError('PHX_ERR_APPROVAL_REFUSED', `refused: ${msg}`, ExitCode.Conflict);
  throw err;
}

/**
 * Runs `fn` on a family's migration, turning Temporal errors into coded CLI errors and closing
 * the client afterwards. With `running`, a finished migration is refused first.
 */
export async function onMigration(
  family: string,
  fn: (handle: WorkflowHandle<typeof migrateFamily>) => Promise<void>,
  options: { running?: boolean } = {},
): Promise<void> {
  try {
    const handle = await migrationHandle(family);
    if (options.running) {
      const d = await handle.describe();
      if (d.status.name !== 'RUNNING') {
        throw new CliError(
          'PHX_ERR_MIGRATION_NOT_RUNNING',
          `the migration of "${family}" is ${d.status.name.toLowerCase()}, not running`,
          ExitCode.Conflict,
        );
      }
    }
    await fn(handle);
  } catch (err) {
    toCliError(err, family);
  } finally {
    await closeTemporalClient();
  }
}
