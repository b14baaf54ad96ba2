/**
 * `phoenix setup` against a fresh Temporal dev server started without Phoenix's search
 * attributes, as a real cluster comes: `start` says what to run, `setup` registers them, twice is
 * fine, and a same-named attribute of another type is a conflict.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Connection } from '@temporalio/client';
import proto from '@temporalio/proto';
import { startDevServer, type RunningDevServer } from '../../src/lib/dev-server.js';
import { resolveTemporalCli } from '../../src/lib/temporal-cli.js';
import { testPlan, writePlanFile } from '../helpers/plan-builder.js';
import { freePort } from '../helpers/ports.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const { IndexedValueType } = proto.temporal.api.enums.v1;
let server: RunningDevServer;
let connection: Connection;
let dir: string;
let planFile: string;

function phoenix(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [path.join(ROOT, 'bin/phoenix.mjs'), ...args],
      {
        env: { ...process.env, TEMPORAL_ADDRESS: server.address, TEMPORAL_NAMESPACE: 'default' },
        timeout: 60_000,
        cwd: dir,
      },
      (err, stdout, stderr) => resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

async function custom(): Promise<Record<string, number>> {
  return (await connection.operatorService.listSearchAttributes({ namespace: 'default' })).customAttributes ?? {};
}

before(async () => {
  server = await startDevServer({
    cli: await resolveTemporalCli(),
    port: await freePort(),
    headless: true,
    dbFile: ':memory:',
    searchAttributes: false,
  });
  connection = await Connection.connect({ address: server.address });
  dir = await mkdtemp(path.join(os.tmpdir(), 'phx-setup-'));
  await mkdir(path.join(dir, 'contracts'));
  await writeFile(
    path.join(dir, 'contracts', 'c.yaml'),
    'cases:\n  - name: one\n    request: { path: /api/users/7 }\n',
  );
  planFile = path.join(dir, 'plan.yaml');
  await writePlanFile(
    planFile,
    testPlan({
      name: 'setup-test',
      legacy: 'http://127.0.0.1:9',
      families: [
        {
          name: 'users',
          routes: ['GET /api/users/:id'],
          new: 'http://127.0.0.1:9',
          contracts: ['contracts/*.yaml'],
        },
      ],
    }),
  );
});
after(async () => {
  await connection?.close();
  await server?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

test('start on a namespace without the search attributes names them and `phoenix setup`; setup registers them, idempotently', async () => {
  const start = await phoenix('start', 'users', '--plan', planFile, '--task-queue', 'nobody-polls');
  assert.equal(start.code, 1, start.stderr);
  assert.match(
    start.stderr,
    /^PHX_ERR_SEARCH_ATTRIBUTES_MISSING: namespace default lacks Phoenix's search attributes PhoenixFamily, PhoenixStage, PhoenixPercent, PhoenixPlan; run `phoenix setup`/,
  );
  assert.doesNotMatch(start.stderr, /\n\s+at /, 'no stack trace');

  const unknownNs = await new Promise<{ code: number; stderr: string }>((resolve) =>
    execFile(
      process.execPath,
      [path.join(ROOT, 'bin/phoenix.mjs'), 'setup'],
      { env: { ...process.env, TEMPORAL_ADDRESS: server.address, TEMPORAL_NAMESPACE: 'no-such-ns' }, timeout: 60_000 },
      (err, _stdout, stderr) => resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stderr }),
    ),
  );
  assert.equal(unknownNs.code, 4, unknownNs.stderr);
  assert.match(unknownNs.stderr, /^PHX_ERR_NAMESPACE_NOT_FOUND: .* has no namespace "no-such-ns"/);

  // One attribute already registered with another type: setup refuses and registers nothing.
  await connection.operatorService.addSearchAttributes({
    namespace: 'default',
    searchAttributes: { PhoenixPercent: IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD },
  });
  const conflict = await phoenix('setup');
  assert.equal(conflict.code, 5, conflict.stderr);
  assert.match(
    conflict.stderr,
    /^PHX_ERR_SEARCH_ATTRIBUTE_CONFLICT: .*PhoenixPercent as KEYWORD \(Phoenix writes INT\)/,
  );
  assert.deepEqual(Object.keys(await custom()), ['PhoenixPercent']);
  await connection.operatorService.removeSearchAttributes({
    namespace: 'default',
    searchAttributes: ['PhoenixPercent'],
  });

  const first = await phoenix('setup', '--json');
  assert.equal(first.code, 0, first.stderr);
  const created = JSON.parse(first.stdout) as { namespace: string; attributes: { name: string; status: string }[] };
  assert.equal(created.namespace, 'default');
  assert.deepEqual(
    created.attributes.map((a) => `${a.name}:${a.status}`),
    ['PhoenixFamily:created', 'PhoenixStage:created', 'PhoenixPercent:created', 'PhoenixPlan:created'],
  );
  const have = await custom();
  assert.equal(have.PhoenixFamily, IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD);
  assert.equal(have.PhoenixStage, IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD);
  assert.equal(have.PhoenixPlan, IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD);
  assert.equal(have.PhoenixPercent, IndexedValueType.INDEXED_VALUE_TYPE_INT);

  const again = await phoenix('setup');
  assert.equal(again.code, 0, again.stderr);
  assert.match(again.stdout, /namespace default: reachable/);
  assert.equal((again.stdout.match(/already there/g) ?? []).length, 4, again.stdout);
});
