/**
 * The one place that decides how Phoenix reaches Temporal: the SDK's envconfig
 * (`TEMPORAL_ADDRESS`, `TEMPORAL_NAMESPACE`, `TEMPORAL_API_KEY`, TLS settings, `TEMPORAL_PROFILE`
 * and the config file), defaulting to the local dev server on `localhost:7233`, namespace `default`.
 * The same worker and CLI therefore run against a real cluster or Temporal Cloud unchanged.
 */
import { Client, Connection } from '@temporalio/client';
import { loadClientConnectConfig } from '@temporalio/envconfig';
import type { NativeConnection } from '@temporalio/worker';
import { PhoenixError } from './errors.js';

/** Resolved connection settings. */
export interface TemporalSettings {
  address: string;
  namespace: string;
  /** The envconfig connection options (TLS, API key, metadata). */
  connectionOptions: ReturnType<typeof loadClientConnectConfig>['connectionOptions'];
}

/** Reads the connection settings from the environment and the Temporal config file. */
export function temporalSettings(overrides: { address?: string; namespace?: string } = {}): TemporalSettings {
  let config: ReturnType<typeof loadClientConnectConfig>;
  try {
    config = loadClientConnectConfig();
  } catch (err) {
    throw new PhoenixError(
      'PHX_ERR_TEMPORAL_CONFIG',
      `cannot read the Temporal client configuration: ${(err as Error).message}`,
    );
  }
  const address = overrides.address ?? config.connectionOptions.address ?? 'localhost:7233';
  return {
    address,
    namespace: overrides.namespace ?? config.namespace ?? 'default',
    connectionOptions: { ...config.connectionOptions, address },
  };
}

function unreachable(s: TemporalSettings, err: unknown): PhoenixError {
  return new PhoenixError(
    'PHX_ERR_TEMPORAL_UNREACHABLE',
    `cannot reach Temporal at ${s.address} (namespace ${s.namespace}): ${(err as Error).message}. ` +
      'Start a local server with `npx phoenix dev server`, or set TEMPORAL_ADDRESS / TEMPORAL_NAMESPACE / TEMPORAL_API_KEY.',
  );
}

/**
 * Connects a client.
 * @throws PhoenixError `PHX_ERR_TEMPORAL_UNREACHABLE`
 */
export async function connectClient(overrides: { address?: string; namespace?: string } = {}): Promise<Client> {
  const s = temporalSettings(overrides);
  try {
    const connection = await Connection.connect({ ...s.connectionOptions, connectTimeout: '5s' });
    return new Client({ connection, namespace: s.namespace });
  } catch (err) {
    throw unreachable(s, err);
  }
}

/**
 * Connects a worker connection.
 * @throws PhoenixError `PHX_ERR_TEMPORAL_UNREACHABLE`
 */
export async function connectWorkerConnection(
  overrides: { address?: string; namespace?: string } = {},
): Promise<{ connection: NativeConnection; namespace: string }> {
  const s = temporalSettings(overrides);
  // Loaded here, not with the module: the worker package costs a CLI command that only needs a client.
  const { NativeConnection } = await import('@temporalio/worker');
  try {
    return { connection: await NativeConnection.connect(s.connectionOptions), namespace: s.namespace };
  } catch (err) {
    throw unreachable(s, err);
  }
}
