import type { Command } from 'commander';
import { isGrpcServiceError } from '@temporalio/client';
import { hasCode, type PhoenixError } from '../../lib/errors.js';
import { isNotFound, registerSearchAttributes } from '../../lib/search-attributes-setup.js';
import { temporalSettings } from '../../lib/temporal.js';
import { CliError, ExitCode, print } from '../output.js';
import { closeTemporalClient, temporalClient } from '../temporal-client.js';

/**
 * `phoenix setup [--json]`: checks that Temporal answers and the namespace exists, then registers
 * Phoenix's search attributes; safe to run again.
 */
export function register(program: Command): void {
  program
    .command('setup')
    .description(
      "Prepare a Temporal namespace for Phoenix (TEMPORAL_ADDRESS / TEMPORAL_NAMESPACE / TEMPORAL_API_KEY …): check it answers, register Phoenix's search attributes. Safe to run again.",
    )
    .option('--json', 'print {address, namespace, attributes: [{name, type, status}]} as JSON')
    .action(async (opts: { json?: boolean }) => {
      const { address } = temporalSettings();
      try {
        const client = await temporalClient();
        const namespace = client.options.namespace;
        try {
          await client.connection.workflowService.describeNamespace({ namespace });
        } catch (err) {
          if (!isNotFound(err)) throw err;
          throw new CliError(
            'PHX_ERR_NAMESPACE_NOT_FOUND',
            `Temporal at ${address} has no namespace "${namespace}"; create it (\`temporal operator namespace create --namespace ${namespace}\`, or in the Temporal Cloud UI) or set TEMPORAL_NAMESPACE`,
            ExitCode.NotFound,
          );
        }
        let attributes;
        try {
          attributes = await registerSearchAttributes(client.connection, namespace);
        } catch (err) {
          if (hasCode(err, 'PHX_ERR_SEARCH_ATTRIBUTE_CONFLICT')) {
            const e = err as PhoenixError;
            throw new CliError(e.code, e.message, ExitCode.Conflict, e.details);
          }
          throw err;
        }
        print(!!opts.json, { address, namespace, attributes }, () =>
          [
            `Temporal at ${address}, namespace ${namespace}: reachable`,
            ...attributes.map(
              (a) =>
                `  ${a.name.padEnd(15)} ${a.type.padEnd(8)} ${a.status === 'created' ? 'registered' : 'already there'}`,
            ),
            'ready: run `phoenix worker`, then `phoenix start <family> --plan <plan>`',
          ].join('\n'),
        );
      } catch (err) {
        if (err instanceof CliError || !isGrpcServiceError(err)) throw err;
        throw new CliError(
          'PHX_ERR_TEMPORAL_REQUEST',
          `Temporal at ${address} refused: ${err.details || err.message}`,
          ExitCode.Failed,
        );
      } finally {
        await closeTemporalClient();
      }
    });
}
