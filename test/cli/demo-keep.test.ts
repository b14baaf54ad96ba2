/**
 * `npm run demo -- --keep` leaves a usable stack: the plan it writes for the running stack loads
 * from another folder with the real ports, and the commands it prints work as printed — run here
 * through `sh` from the repository root against a real router and the suite's Temporal, with only
 * the environment the printed lines set.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadPlan } from '../../src/plan/index.js';
import type { Plan } from '../../src/plan/schema.js';
import { createRouterAdminClient } from '../../src/router/client.js';
import { startRouter, type RunningRouter } from '../../src/router/server.js';
import {
  keepInstructions,
  planForRunningStack,
  withPorts,
  writeRunningPlan,
  type RunningDemo,
} from '../../scripts/demo/running-stack.js';
import { freePort } from '../helpers/ports.js';
import { testTemporal, type TestTemporal } from '../helpers/temporal.js';
import { startUpstream, type Upstream } from '../workflows/support.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const DEMO_PLAN = path.join(ROOT, 'examples', 'demo-plan.yaml');
const TOKEN = `demo-${process.pid}-keep-test`;
let t: TestTemporal;
let legacy: Upstream;
let candidate: Upstream;
let router: RunningRouter;
let dir: string;
let planFile: string;
let plan: Plan;
let demo: RunningDemo;

before(async () => {
  t = await testTemporal();
  legacy = await startUpstream('legacy');
  candidate = await startUpstream('new');
  dir = await mkdtemp(path.join(os.tmpdir(), 'phx-demo-keep-'));
  const [routerPort, adminPort, uiPort] = [await freePort(), await freePort(), await freePort()];
  const text = withPorts(await readFile(DEMO_PLAN, 'utf8'), {
    legacyUrl: legacy.url,
    newUrl: candidate.url,
    routerPort,
    adminPort,
    uiPort,
  });
  planFile = path.join(dir, 'demo', 'plan.yaml');
  const stateFile = path.join(dir, 'state.json');
  await writeRunningPlan(planFile, planForRunningStack(text, path.dirname(DEMO_PLAN), stateFile));
  plan = await loadPlan(planFile);
  router = await startRouter({ plan, port: routerPort, adminPort, adminToken: TOKEN, stateFile });
  demo = {
    routerUrl: router.url,
    adminUrl: router.adminUrl,
    legacyUrl: legacy.url,
    newUrl: candidate.url,
    temporalAddress: t.address,
    uiUrl: `http://localhost:${uiPort}`,
    adminToken: TOKEN,
    tokenFromEnv: false,
  };
});
after(async () => {
  await router?.close();
  await legacy?.close();
  await candidate?.close();
  await t?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** The printed lines run by `sh` from the repository root, without the caller's token or Temporal address. */
function runPrinted(lines: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const env = { ...process.env };
  delete env.PHOENIX_ADMIN_TOKEN;
  delete env.TEMPORAL_ADDRESS;
  delete env.TEMPORAL_NAMESPACE;
  return new Promise((resolve) => {
    execFile('sh', ['-ec', lines.join('\n')], { cwd: ROOT, env, timeout: 120_000 }, (err, stdout, stderr) =>
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

test('the plan for the running stack has the real ports and finds the example contract cases from any folder', () => {
  assert.equal(plan.router.adminUrl, router.adminUrl);
  assert.equal(plan.router.publicUrl, router.url);
  assert.equal(plan.router.stateFile, path.join(dir, 'state.json'));
  for (const f of plan.families) {
    assert.equal(f.legacy, legacy.url, f.name);
    assert.equal(f.new, candidate.url, f.name);
    assert.ok(f.contractFiles.length > 0, `${f.name} has its case files`);
    for (const c of f.contractFiles) assert.ok(c.startsWith(path.join(ROOT, 'examples', 'contracts')), c);
  }
});

test('--keep prints every address and the token, and its commands work as printed', async () => {
  const k = keepInstructions(demo, planFile, ROOT, { shadow: 'orders', migrate: 'orders' });
  const summary = k.summary.join('\n');
  for (const part of [router.url, router.adminUrl, legacy.url, candidate.url, t.address, demo.uiUrl, TOKEN, planFile])
    assert.ok(summary.includes(part), `the summary names ${part}:\n${summary}`);
  assert.deepEqual(k.env, [`export PHOENIX_ADMIN_TOKEN=${TOKEN}`, `export TEMPORAL_ADDRESS=${t.address}`]);

  const shadow = k.commands.find((c) => / route set orders shadow /.test(c));
  assert.ok(shadow, k.commands.join('\n'));
  const set = await runPrinted([...k.env, shadow]);
  assert.equal(set.code, 0, set.stderr);
  const admin = createRouterAdminClient({ baseUrl: router.adminUrl, token: TOKEN });
  assert.equal((await admin.getRoute('orders')).mode, 'shadow');

  const status = k.commands.find((c) => c === 'npx phoenix status');
  assert.ok(status);
  const listed = await runPrinted([...k.env, `${status} --json`]);
  assert.equal(listed.code, 0, listed.stderr);
  assert.ok(Array.isArray(JSON.parse(listed.stdout)), listed.stdout);

  const back = k.commands.find((c) => / route set orders legacy /.test(c));
  assert.ok(back);
  const reset = await runPrinted([...k.env, back]);
  assert.equal(reset.code, 0, reset.stderr);
  assert.equal((await admin.getRoute('orders')).mode, 'legacy');
});

test("with the user's own PHOENIX_ADMIN_TOKEN the token is not printed", () => {
  const k = keepInstructions({ ...demo, tokenFromEnv: true }, planFile, ROOT, { shadow: 'orders', migrate: 'orders' });
  const printed = [...k.summary, ...k.env, ...k.commands].join('\n');
  assert.ok(!printed.includes(TOKEN), printed);
  assert.match(printed, /PHOENIX_ADMIN_TOKEN of your environment/);
  assert.deepEqual(k.env, [`export TEMPORAL_ADDRESS=${t.address}`]);
});

test('a plan under the current folder is printed relative to it', () => {
  const k = keepInstructions(demo, path.join(ROOT, '.phoenix', 'demo', 'plan.yaml'), ROOT, {
    shadow: 'orders',
    migrate: 'orders',
  });
  assert.ok(k.commands.includes('npx phoenix start orders --plan .phoenix/demo/plan.yaml'), k.commands.join('\n'));
});
