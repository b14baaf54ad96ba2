/**
 * `npm run demo`: the whole story on one machine. Brings up Temporal (Web UI on :8233), the
 * example Flask monolith and FastAPI services, the router and the worker; drives traffic; runs
 * the contract suites; migrates one family end to end; then migrates a second one with a
 * regression switched on at 25% and shows the automatic rollback. Stops everything on exit.
 */
import { parseArgs } from 'node:util';
import { request } from 'undici';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { groupIntoFamilies, missingInNew, parseOpenApi } from '../src/contracts/inventory.js';
import { readFlaskUrlMap } from '../src/contracts/flask-url-map.js';
import { migrationOrder } from '../src/plan/index.js';
import { computeCoverage, matrixHtml } from '../src/contracts/coverage.js';
import { runContractSuite } from '../src/contracts/runner.js';
import { createRouterAdminClient } from '../src/router/client.js';
import type { MigrationProgress } from '../src/workflows/messages.js';
import { keepInstructions, planForRunningStack, writeRunningPlan } from './demo/running-stack.js';
import { DEMO_PLAN, ROOT, startDemoStack, type DemoStack } from './demo/stack.js';
import { runStory } from './demo/story.js';
import { startTraffic, type TrafficRoute } from './demo/traffic.js';
import { outcomeOf } from '../src/lib/migration-outcome.js';

const HELP = `npm run demo -- [options]

Runs Phoenix end to end against the example apps: one family migrated to 100%, one rolled back
after a regression at 25%. Everything it starts is stopped on exit or Ctrl-C.

Options:
  --yes               approve every step automatically (after --approve-after) so the demo runs unattended
  --approve-after MS  pause before an automatic approval (default 1500)
  --keep              leave everything running at the end; prints every address, the admin token
                      (unless PHOENIX_ADMIN_TOKEN is set) and commands to go on with, and writes
                      .phoenix/demo/plan.yaml with the ports in use; Ctrl-C stops it
  --temporal-port N   Temporal gRPC port (default 7233; an existing server there is reused)
  --ui-port N         Temporal Web UI port (default 8233)
  --router-port N     router port (default 8080)
  --admin-port N      router admin API port (default 9090)
  --slack-port N      Slack HTTP receiver port (without SLACK_APP_TOKEN; default 3000)
  -h, --help          this text

Without --yes the demo prints the exact \`npx phoenix approve …\` command for each approval and
waits for it (run it in another terminal). With SLACK_BOT_TOKEN, SLACK_APP_TOKEN (Socket Mode,
no public URL needed) or SLACK_SIGNING_SECRET (HTTP receiver on --slack-port), and
PHOENIX_DEMO_SLACK_CHANNEL set, approval requests also go to that Slack channel, and a click by a
user listed in PHOENIX_DEMO_SLACK_APPROVERS (Slack ids or emails, comma-separated) approves. Exit code 0 when both stories end as expected.`;

const MIGRATED = 'users';
const REGRESSED = 'reports';
/** A family the stories leave on legacy: `--keep` suggests trying it by hand. */
const UNTOUCHED = 'orders';

const TRAFFIC: TrafficRoute[] = [
  { method: 'GET', path: '/api/users?page={page}', weight: 2 },
  { method: 'GET', path: '/api/users/{id}', weight: 6 },
  { method: 'GET', path: '/api/users/{id}/recommendations', weight: 2 },
  { method: 'GET', path: '/api/catalog/products?page={page}', weight: 2 },
  { method: 'GET', path: '/api/catalog/products/{id}', weight: 2 },
  { method: 'GET', path: '/api/orders/{id}', weight: 2 },
  { method: 'GET', path: '/api/reports/sales', weight: 4 },
  { method: 'GET', path: '/api/reports/top-products?limit=5', weight: 3 },
  { method: 'GET', path: '/api/reports/sales.csv', weight: 1 },
];

const pct = (x: number): string => `${Math.round(x * 100)}%`;
let coverage: { before: number; after: number } | undefined;

function say(line: string): void {
  process.stdout.write(`${line}\n`);
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      yes: { type: 'boolean', default: false },
      keep: { type: 'boolean', default: false },
      'approve-after': { type: 'string', default: '1500' },
      'temporal-port': { type: 'string', default: '7233' },
      'ui-port': { type: 'string', default: '8233' },
      'router-port': { type: 'string', default: '8080' },
      'admin-port': { type: 'string', default: '9090' },
      'slack-port': { type: 'string', default: '3000' },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
  });
  if (values.help) {
    say(HELP);
    return 0;
  }
  const num = (name: string, v: string): number => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < 0) throw new Error(`--${name} expects a whole number, got "${v}"`);
    return n;
  };
  const started = Date.now();
  say('Phoenix demo — bringing everything up');
  const stack = await startDemoStack({
    temporalPort: num('temporal-port', values['temporal-port']),
    uiPort: num('ui-port', values['ui-port']),
    routerPort: num('router-port', values['router-port']),
    adminPort: num('admin-port', values['admin-port']),
    slackPort: num('slack-port', values['slack-port']),
    say,
  });
  let stopping = false;
  const shutdown = async (): Promise<void> => {
    if (stopping) return;
    stopping = true;
    say('stopping everything the demo started …');
    await traffic.stop();
    await stack.stop();
  };
  process.once('SIGINT', () => void shutdown().then(() => process.exit(130)));
  process.once('SIGTERM', () => void shutdown().then(() => process.exit(143)));

  const traffic = startTraffic(stack.routerUrl, TRAFFIC);
  say(`\nTraffic flows through the router at ${stack.routerUrl}. Temporal UI: ${stack.uiUrl}\n`);
  let ok: boolean;
  try {
    ok = await stories(
      stack,
      { yes: values.yes, approveAfterMs: num('approve-after', values['approve-after']) },
      traffic.stats,
    );
    say(
      `\nTotal demo time ${((Date.now() - started) / 1000).toFixed(0)} s. Requests sent ${traffic.stats.sent}; GETs that failed for users: ${traffic.stats.failedGets}. Logs: ${stack.logDir}`,
    );
    if (values.keep) {
      await keep(stack);
      await new Promise(() => {});
    }
  } finally {
    await shutdown();
  }
  return ok ? 0 : 1;
}

/** `--keep`: the plan for the running stack, then every address and the commands that work on it. */
async function keep(stack: DemoStack): Promise<void> {
  const planFile = path.join(ROOT, '.phoenix', 'demo', 'plan.yaml');
  await writeRunningPlan(planFile, planForRunningStack(stack.planText, path.dirname(DEMO_PLAN), stack.stateFile));
  const k = keepInstructions(
    {
      routerUrl: stack.routerUrl,
      adminUrl: stack.adminUrl,
      legacyUrl: stack.legacyUrl,
      newUrl: stack.newServiceUrl,
      temporalAddress: stack.temporalAddress,
      uiUrl: stack.uiUrl,
      adminToken: stack.adminToken,
      tokenFromEnv: stack.tokenFromEnv,
    },
    planFile,
    process.cwd(),
    { shadow: UNTOUCHED, migrate: UNTOUCHED },
  );
  // On stdout for the user, never through a logger: the token is a secret.
  say('\n--keep: everything stays up until Ctrl-C.');
  for (const line of k.summary) say(`  ${line}`);
  say('\nIn another terminal, from this folder:');
  for (const line of [...k.env, ...k.commands]) say(`  ${line}`);
}

async function stories(
  stack: DemoStack,
  o: { yes: boolean; approveAfterMs: number },
  traffic: { failedGets: number },
): Promise<boolean> {
  const admin = createRouterAdminClient({ baseUrl: stack.adminUrl, token: stack.adminToken });
  const family = (name: string) => {
    const f = stack.plan.families.find((x) => x.name === name);
    if (!f) throw new Error(`examples/demo-plan.yaml has no family "${name}"`);
    return f;
  };
  const approver = stack.plan.approvers[0] ?? 'demo';

  say('Inventory of the legacy monolith (scripts/flask-url-map.py) and the migration order');
  const endpoints = (
    await readFlaskUrlMap({ app: path.join(ROOT, 'examples', 'legacy-flask', 'app.py'), python: stack.python })
  ).filter((e) => e.path !== '/healthz');
  const groups = groupIntoFamilies(endpoints);
  const openapi = await request(`${stack.newServiceUrl}/openapi.json`);
  const missing = missingInNew(endpoints, parseOpenApi(await openapi.body.json(), 'openapi.json'));
  say(
    `  ${endpoints.length} legacy endpoints in ${groups.length} families (${groups.map((g) => `${g.name} ${g.routes.length}`).join(', ')}); ${missing.length === 0 ? 'the new services have all of them' : `${missing.length} missing in the new services`}`,
  );
  say(
    `  migration order: ${migrationOrder(stack.plan.families)
      .map((f) => f.name)
      .join(' → ')}`,
  );

  say('Contract suites against the running apps (legacy vs new, directly)');
  const suites = [];
  for (const f of stack.plan.families) {
    const r = await runContractSuite({ family: f, mode: 'parity' });
    suites.push(r);
    say(
      `  ${f.name.padEnd(10)} ${r.passed}/${r.total} cases pass${r.cases.some((c) => c.adapted) ? " (some through the plan's adapters)" : ''}`,
    );
  }
  const before = computeCoverage(stack.plan.families, suites, { sources: ['hand'] });
  const after = computeCoverage(stack.plan.families, suites);
  coverage = { before: before.coverage, after: after.coverage };
  const matrixFile = path.join(stack.logDir, '..', 'reports', 'compatibility-matrix.html');
  await mkdir(path.dirname(matrixFile), { recursive: true });
  await writeFile(matrixFile, matrixHtml(after, `Compatibility matrix — ${stack.plan.name}`));
  const counts = after.rows.reduce<Record<string, number>>(
    (m, r) => ({ ...m, [r.status]: (m[r.status] ?? 0) + 1 }),
    {},
  );
  say(
    `  contract coverage: ${pct(before.coverage)} of ${before.endpoints} endpoints from hand-written cases → ${pct(after.coverage)} with the cases recorded from traffic`,
  );
  say(
    `  compatibility: ${Object.entries(counts)
      .map(([k, v]) => `${v} ${k}`)
      .join(', ')} — ${matrixFile}`,
  );

  say(`\nStory 1 — migrate "${MIGRATED}" end to end`);
  const one = await runStory({
    client: stack.client,
    plan: stack.plan,
    family: family(MIGRATED),
    autoApprove: o.yes,
    approveAfterMs: o.approveAfterMs,
    approver,
    say,
  });
  say(
    `  → ${outcomeOf(one.result)}${one.result.reason ? ` (${one.result.reason})` : ''}; report ${one.result.report?.html ?? one.result.report?.markdown ?? '—'}`,
  );

  say(`\nStory 2 — migrate "${REGRESSED}"; a regression is switched on in the new service at 25%`);
  let flippedAt: number | undefined;
  const flip = async (p: MigrationProgress): Promise<void> => {
    if (flippedAt !== undefined || p.stage !== 'ramp' || p.percent < 25) return;
    const res = await request(`${stack.newServiceUrl}/__admin/regression`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ mode: 'errors' }),
    });
    await res.body.dump();
    flippedAt = Date.now();
    say('  ⚡ regression on: the new reports service now answers 500');
  };
  let legacyAt: number | undefined;
  const watch = setInterval(() => {
    if (flippedAt === undefined || legacyAt !== undefined) return;
    admin.getRoute(REGRESSED).then(
      (r) => {
        if ((r as { effectiveMode?: string }).effectiveMode === 'legacy' || r.mode === 'legacy') legacyAt = Date.now();
      },
      () => {},
    );
  }, 20);
  const two = await runStory({
    client: stack.client,
    plan: stack.plan,
    family: family(REGRESSED),
    autoApprove: o.yes,
    approveAfterMs: o.approveAfterMs,
    approver,
    say,
    onProgress: flip,
  });
  clearInterval(watch);
  const guard = await admin.getGuard(REGRESSED);
  const toLegacy = flippedAt !== undefined && legacyAt !== undefined ? legacyAt - flippedAt : undefined;
  say(`  → ${outcomeOf(two.result)}: ${two.result.type ?? ''} ${two.result.reason ?? ''}`);
  say(`    report ${two.result.report?.html ?? two.result.report?.markdown ?? '—'}`);

  say('\nSummary');
  say(`  migrated      ${one.result.outcome === 'completed' ? MIGRATED : '—'}`);
  say(`  rolled back   ${two.result.outcome === 'rolled-back' ? REGRESSED : '—'}`);
  const p1 = one.result.progress.parity;
  if (p1)
    say(
      `  ${MIGRATED} parity   ${p1.samples} shadow samples, mismatch ${(p1.mismatchRate * 100).toFixed(2)}%, p95 new/legacy ×${p1.p95Ratio?.toFixed(2) ?? '—'}`,
    );
  if (coverage)
    say(`  coverage      ${pct(coverage.before)} (hand-written cases) → ${pct(coverage.after)} (with recorded cases)`);
  if (p1)
    say(
      `  ${MIGRATED} p95     legacy ${p1.legacyP95 ?? '—'} ms vs new ${p1.newP95 ?? '—'} ms over the same shadowed requests`,
    );
  say(
    `  regression → 100% legacy: ${toLegacy !== undefined ? `${toLegacy} ms` : 'not observed'}${guard.tripped || guard.trips > 0 ? ` (router guard tripped${guard.tripMs !== undefined ? ` ${guard.tripMs} ms after the first failure` : ''})` : " (the workflow's analysis caught it before the router guard had to trip)"}`,
  );
  say(`  workflow rollback: compensations done ${two.result.progress.rollback?.durationMs ?? '—'} ms after detection`);
  say(`  reports       ${one.result.report?.markdown ?? '—'}, ${two.result.report?.markdown ?? '—'}`);
  // The HTML reports hold the charts: the ramp against what new served, and the rollback.
  for (const r of [one.result, two.result])
    say(`  ${`${r.family} HTML`.padEnd(13)} ${r.report?.html ?? '— (no HTML report was written)'}`);
  void traffic;
  return one.result.outcome === 'completed' && two.result.outcome === 'rolled-back';
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`demo failed: ${(err as Error).stack ?? String(err)}\n`);
    process.exit(1);
  },
);
