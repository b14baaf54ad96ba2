/**
 * The suite's Temporal server: `scripts/run-tests.ts` starts one real dev server per run and
 * passes its address in `PHOENIX_TEST_TEMPORAL_ADDRESS`; a test file run on its own starts its
 * own. Time-skipping tests use the real test server binary.
 */
import { Client, Connection } from '@temporalio/client';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { NativeConnection } from '@temporalio/worker';
import proto from '@temporalio/proto';
import { SEARCH_ATTRIBUTES, startDevServer, type RunningDevServer } from '../../src/lib/dev-server.js';
import { resolveTemporalCli, resolveTestServer } from '../../src/lib/temporal-cli.js';
import { freePort } from './ports.js';

export interface TestTemporal {
  address: string;
  namespace: string;
  /** The server's Web UI, whose HTTP API (`/api/v1/…`) tests read what the UI shows from. */
  uiUrl: string;
  client: Client;
  nativeConnection: NativeConnection;
  close(): Promise<void>;
}

/** Connects to the run's dev server, or starts a private one when the file runs alone. */
export async function testTemporal(): Promise<TestTemporal> {
  let server: RunningDevServer | undefined;
  let address = process.env.PHOENIX_TEST_TEMPORAL_ADDRESS;
  let uiUrl = process.env.PHOENIX_TEST_TEMPORAL_UI;
  if (!address || !uiUrl) {
    server = await startDevServer({
      cli: await resolveTemporalCli(),
      port: await freePort(),
      uiPort: await freePort(),
      dbFile: ':memory:',
    });
    address = server.address;
    uiUrl = server.uiUrl!;
  }
  const connection = await Connection.connect({ address });
  const nativeConnection = await NativeConnection.connect({ address });
  return {
    address,
    namespace: 'default',
    uiUrl,
    client: new Client({ connection, namespace: 'default' }),
    nativeConnection,
    async close() {
      await connection.close();
      await nativeConnection.close();
      await server?.stop();
    },
  };
}

/** A time-skipping environment on the real test server binary, with Phoenix's search attributes. */
export async function timeSkippingEnv(): Promise<TestWorkflowEnvironment> {
  const path = await resolveTestServer();
  const env = await TestWorkflowEnvironment.createTimeSkipping({
    server: { executable: { type: 'existing-path', path } },
  });
  const { IndexedValueType } = proto.temporal.api.enums.v1;
  const types = { Keyword: IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD, Int: IndexedValueType.INDEXED_VALUE_TYPE_INT };
  await env.connection.operatorService.addSearchAttributes({
    namespace: env.namespace ?? 'default',
    searchAttributes: Object.fromEntries(Object.entries(SEARCH_ATTRIBUTES).map(([k, v]) => [k, types[v]])),
  });
  return env;
}
