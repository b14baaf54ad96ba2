/**
 * `phoenix route set` as a child process against the real router (in this process) and the
 * suite's Temporal: shadow, canary 25 and legacy by hand; refused while a migration of the family
 * runs (unless --force), and when Temporal cannot be asked.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Plan } from '../../src/plan/schema.js';
import { createRouterAdminClient, type RouterAdminClient, type RouteState } from '../../src/router/client.js';
import { startRouter, type RunningRouter } from '../../src/router/server.js';
import { startMigration } from '../../src/cli/start-migration.js';
import { testPlan, writePlanFile } from '../helpers/plan-builder.js';
import { freePort } from '../helpers/ports.js';
import { testTemporal, type TestTemporal } from '../helpers/temporal.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const TOKEN = 'route-set-test-token';
const family = `route-${process.pid % 100000}-${Date.now() % 100000}`;
let t: TestTemporal;
let router: RunningRouter;
let admin: RouterAdminClient;
let dir: string;
let planFile: string;
let plan: Plan;
let unusedPort: number;

function phoenix(
  args: string[],
  env: Record<string, string> = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [path.join(ROOT, 'bin/phoenix.mjs'), 'route', 'set', ...args],
      {
        env: { ...process.env, TEMPORAL_ADDRESS: t.address, TEMPORAL_NAMESPACE: 'default', ...env },
        timeout: 60_000,
        cwd: dir,
      },
      (err, stdout, stderr) => resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

before(async () => {
  t = await testTemporal();
  dir = await mkdtemp(path.join(os.tmpdir(), 'phx-route-'));
  await mkdir(path.join(dir, 'contracts'));
  await writeFile(
    path.join(dir, 'contracts', 'c.yaml'),
    'cases:\n  - name: one\n    request: { path: /api/users/7 }\n',
  );
  const adminPort = await freePort();
  unusedPort = await freePort();
  planFile = path.join(dir, 'plan.yaml');
  plan = await writePlanFile(
    planFile,
    testPlan({
      name: 'route-set-test',
      legacy: `http://127.0.0.1:${unusedPort}`,
      router: { adminUrl: `http://127.0.0.1:${adminPort}` },
      families: [
        {
          name: family,
          routes: ['GET /api/users/:id'],
          new: `http://127.0.0.1:${unusedPort}`,
          contracts: ['contracts/*.yaml'],
          parity: { sampleRate: 0.5 },
        },
      ],
    }),
  );
  router = await startRouter({ plan, port: 0, adminPort, adminToken: TOKEN, stateFile: path.join(dir, 'state.json') });
  admin = createRouterAdminClient({ baseUrl: plan.router.adminUrl, token: TOKEN });
});
after(async () => {
  await admin?.close();
  await router?.close();
  await t?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

test('route set moves a family to shadow, canary 25% and back to legacy, each a newer version', async () => {
  const before = await admin.getRoute(family);
  assert.equal(before.mode, 'legacy');

  const shadow = await phoenix([family, 'shadow', '--plan', planFile, '--json'], { PHOENIX_ADMIN_TOKEN: TOKEN });
  assert.equal(shadow.code, 0, shadow.stderr);
  const s = JSON.parse(shadow.stdout) as RouteState;
  assert.deepEqual([s.mode, s.percent, s.version, s.sampleRate], ['shadow', 0, before.version + 1, 0.5]);

  const canary = await phoenix([
    family,
    'canary',
    '--percent',
    '25',
    '--router-url',
    plan.router.adminUrl,
    '--token',
    TOKEN,
  ]);
  assert.equal(canary.code, 0, canary.stderr);
  assert.match(canary.stdout, new RegExp(`^${family}: canary 25% \\(version ${before.version + 2}, `));
  assert.deepEqual([(await admin.getRoute(family)).mode, (await admin.getRoute(family)).percent], ['canary', 25]);

  const noToken = await phoenix([family, 'legacy', '--plan', planFile], { PHOENIX_ADMIN_TOKEN: '' });
  assert.equal(noToken.code, 1, noToken.stderr);
  assert.match(noToken.stderr, /^PHX_ERR_ROUTER_UNAUTHORIZED: .*--token or PHOENIX_ADMIN_TOKEN/);

  const legacy = await phoenix([family, 'legacy', '--plan', planFile, '--json'], { PHOENIX_ADMIN_TOKEN: TOKEN });
  assert.equal(legacy.code, 0, legacy.stderr);
  const l = JSON.parse(legacy.stdout) as RouteState;
  assert.deepEqual([l.mode, l.percent, l.version], ['legacy', 0, before.version + 3]);
});

test('route set is refused while a migration of the family runs, and when Temporal cannot be asked, unless --force', async () => {
  // A real migration workflow; no worker polls its queue, so it stays running where it is.
  const started = await startMigration({ client: t.client, plan, family, taskQueue: `nobody-${family}` });
  try {
    const env = { PHOENIX_ADMIN_TOKEN: TOKEN };
    const [owned, unreachable] = await Promise.all([
      phoenix([family, 'new', '--plan', planFile], env),
      phoenix([family, 'new', '--plan', planFile], { ...env, TEMPORAL_ADDRESS: `127.0.0.1:${unusedPort}` }),
    ]);
    assert.equal(owned.code, 5, owned.stderr);
    assert.match(
      owned.stderr,
      new RegExp(
        `^PHX_ERR_ROUTE_OWNED_BY_MIGRATION: the migration of "${family}" \\(workflow phoenix-${family}\\) is running .*--force`,
      ),
    );
    assert.equal(unreachable.code, 3, unreachable.stderr);
    assert.match(
      unreachable.stderr,
      /^PHX_ERR_TEMPORAL_UNREACHABLE: cannot ask Temporal whether a migration owns .*pass --force/,
    );
    assert.equal((await admin.getRoute(family)).mode, 'legacy', 'nothing changed');

    const forced = await phoenix([family, 'new', '--plan', planFile, '--force', '--json'], env);
    assert.equal(forced.code, 0, forced.stderr);
    assert.deepEqual([(await admin.getRoute(family)).mode, (await admin.getRoute(family)).percent], ['new', 100]);
  } finally {
    await started.handle.terminate('test over');
  }
});
