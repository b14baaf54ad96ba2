import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createRouterAdminClient, type MismatchRecord, type RouterAdminClient } from '../../src/router/client.js';
import { startRouter, type RunningRouter } from '../../src/router/server.js';
import { request } from 'undici';
import { normalizePath } from '../../src/parity/index.js';
import { loadPlan, type Plan } from '../../src/plan/index.js';
import { runContractSuite, type ContractSuiteResult } from '../../src/contracts/runner.js';
import {
  INTENDED_GET_FIELD_CHANGES,
  loadRewritePlan,
  login,
  reads,
  rewritePlanText,
  setRegression,
  startRewriteApps,
  type RewriteApps,
} from './fixture.js';

let apps: RewriteApps;
let dir: string;

before(async () => {
  apps = await startRewriteApps();
  dir = await mkdtemp(path.join(os.tmpdir(), 'phx-rewrite-router-'));
});
after(async () => {
  await apps?.stop();
  await rm(dir, { recursive: true, force: true });
});

async function shadowRouter(plan: Plan): Promise<{ r: RunningRouter; admin: RouterAdminClient }> {
  plan.router.shadowMaxBusy = 1;
  const r = await startRouter({ plan, port: 0, adminPort: 0, adminToken: 'test-token' });
  const admin = createRouterAdminClient({ baseUrl: r.adminUrl, token: 'test-token' });
  await admin.setRoute('library', { mode: 'shadow', percent: 0, version: 1, sampleRate: 1 });
  await admin.resetStats('library');
  return { r, admin };
}

/** `route path kind` of every difference the router recorded, paths normalised. */
/**
 * The answers' difference signatures. Latency is left out: a route the loaded test machine makes
 * slower is recorded too (kind `latency`), and is not what these tests judge.
 */
function signatures(records: readonly MismatchRecord[]): string[] {
  const out = new Set<string>();
  for (const m of records)
    for (const d of m.differences) if (d.kind !== 'latency') out.add(`${m.route} ${normalizePath(d.path)} ${d.kind}`);
  return [...out].sort();
}

/** The records of answers that differ (a comparison on a slow route is recorded with equal answers). */
function answerRecords(records: readonly MismatchRecord[]): MismatchRecord[] {
  return records.filter((m) => m.differences.some((d) => d.kind !== 'latency'));
}

describe('an independent rewrite in shadow mode', () => {
  test('without identity and the finer rules, every authenticated mirror is refused by new', async () => {
    const plan = await loadRewritePlan(apps, dir);
    const fam = plan.families[0]!;
    fam.identity = {};
    fam.adapters = [];
    fam.routeDiff = {};
    fam.diff = { ...fam.diff, format: [] };
    const { r, admin } = await shadowRouter(plan);
    try {
      const ana = await login(r.url, 'ana');
      await reads(ana);
      await admin.waitForComparisons('library');
      const s = (await admin.getStats('library')).stats.parity;
      const records = await admin.getMismatches('library', 100);
      assert.equal(s.samples, 10);
      assert.equal(s.mismatches, 10, 'all of them differ');
      assert.ok(records.every((m) => m.candidate.status === 401));
    } finally {
      await admin.close();
      await r.close();
    }
  });

  test('with the plan as written, only the intended changes remain, and they are listed', async () => {
    const plan = await loadRewritePlan(apps, dir);
    const { r, admin } = await shadowRouter(plan);
    try {
      const [ana, bo, cy] = await Promise.all(['ana', 'bo', 'cy'].map((u) => login(r.url, u)));
      for (const c of [ana!, bo!, cy!]) await reads(c);
      await admin.waitForComparisons('library');

      // Writes, in an order both sides must follow.
      assert.equal((await ana!.call('POST', '/api/loans', { isbn: '9780316769488' })).status, 200);
      assert.equal((await bo!.call('POST', '/api/loans', { isbn: 'no-such-book' })).status, 404);
      assert.equal((await bo!.call('POST', '/api/loans', { isbn: '9780553386790' })).status, 200);
      assert.equal((await ana!.call('POST', '/api/loans', { isbn: '9780553386790' })).status, 409);
      assert.equal((await ana!.call('DELETE', '/api/loans/L-0003')).status, 200);
      assert.equal((await bo!.call('DELETE', '/api/loans/L-0003')).status, 404);
      await admin.waitForComparisons('library');
      await reads(ana!);
      await admin.waitForComparisons('library');

      const stats = (await admin.getStats('library')).stats;
      assert.equal(stats.shadow.errors ?? 0, 0, 'every exchange and mirror succeeded');
      assert.equal(stats.parity.samples, 46);
      const records = answerRecords(await admin.getMismatches('library', 1000));
      assert.equal(records.length, stats.parity.mismatches);

      // No noise from identity: new accepted every exchanged token.
      assert.deepEqual(
        records.filter((m) => m.candidate.status === 401),
        [],
      );
      // No format false alarms: the same instants with "Z" are equal, not even informational.
      assert.deepEqual(await admin.getInformational('library', 1000), []);

      assert.deepEqual(signatures(records), [
        'DELETE /api/loans/:ref $ type',
        'DELETE /api/loans/:ref header:content-type header',
        ...INTENDED_GET_FIELD_CHANGES,
        'GET /api/reports/overdue $status status',
        'POST /api/loans $.id extra',
      ]);
      // The one status change left is the intended 401 → 403 for a member asking for a librarian's report.
      const statuses = records.flatMap((m) => m.differences.filter((d) => d.kind === 'status'));
      assert.ok(statuses.length >= 2);
      assert.ok(statuses.every((d) => d.legacy === 401 && d.candidate === 403));
      // The fixed legacy bug shows where loans were returned, and only there.
      const available = records
        .filter((m) => m.route === 'GET /api/books/:isbn' && m.differences.some((d) => d.path === '$.available'))
        .map((m) => m.path.slice('/api/books/'.length));
      assert.deepEqual([...new Set(available)].sort(), [
        '9780060935467',
        '9780141439518',
        '9780261103573',
        '9780451524935',
      ]);
      // Error shapes were mapped: a missing book, a refused loan or return compares equal.
      assert.deepEqual(
        records.filter((m) => m.legacy.status === 404 || m.legacy.status === 409).map((m) => `${m.method} ${m.path}`),
        [],
      );
    } finally {
      await admin.close();
      await r.close();
    }
  });

  test("loan stamps seconds apart compare equal under the plan's tolerance; a due date a day late is flagged on the write and on every read", async () => {
    const plan = await loadRewritePlan(apps, dir);
    const { r, admin } = await shadowRouter(plan);
    /** Signatures of the loan stamps only (`$.id extra` and the like are the first test's). */
    const stamps = async (): Promise<string[]> =>
      signatures(await admin.getMismatches('library', 1000)).filter((s) => / \$[^ ]*_at /.test(s));
    try {
      const ana = await login(r.url, 'ana');
      // New's clock 2 s ahead: every loan stamp it stores is 2–3 s later than legacy's.
      await setRegression(apps, 'clock-ahead');
      assert.equal((await ana.call('POST', '/api/loans', { isbn: '9780060935467' })).status, 200);
      await admin.waitForComparisons('library');
      await ana.call('GET', '/api/loans');
      await admin.waitForComparisons('library');
      assert.equal((await admin.getStats('library')).stats.parity.samples, 2);
      assert.deepEqual(await stamps(), []);
      // Nor informational: the plan's `format` rule covers "+00:00" against "Z" on these paths.
      assert.deepEqual(await admin.getInformational('library', 1000), []);

      // The same plan still sees a due date moved further than the tolerance.
      await setRegression(apps, 'late-due');
      assert.equal((await ana.call('POST', '/api/loans', { isbn: '9780060935467' })).status, 200);
      await admin.waitForComparisons('library');
      await ana.call('GET', '/api/loans');
      await admin.waitForComparisons('library');
      assert.deepEqual(await stamps(), ['GET /api/loans $.loans[*].due_at value', 'POST /api/loans $.due_at value']);
      const late = (await admin.getMismatches('library', 1000))
        .filter((m) => m.route === 'POST /api/loans')
        .flatMap((m) => m.differences.filter((d) => d.path === '$.due_at'));
      assert.equal(late.length, 1);
      const days = (Date.parse(String(late[0]!.candidate)) - Date.parse(String(late[0]!.legacy))) / 86_400_000;
      assert.ok(days > 0.99 && days < 1.01, `a day apart, got ${days} days`);
    } finally {
      await setRegression(apps, 'off');
      await admin.close();
      await r.close();
    }
  });
});

/** Bo's token from one side's own login (legacy answers `token`, new `access_token`). */
async function tokenOf(base: string, field: 'token' | 'access_token'): Promise<string> {
  const res = await request(`${base}/api/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username: 'bo', password: 'bo-pass' }),
  });
  const body = (await res.body.json()) as Record<string, unknown>;
  const token = body[field];
  if (res.statusCode !== 200 || typeof token !== 'string') throw new Error(`login on ${base}: ${res.statusCode}`);
  return token;
}

/** Per case, the loan-stamp differences it failed on. */
function stampFailures(r: ContractSuiteResult): Array<[string, string[]]> {
  return r.cases.map((c) => [
    c.name,
    [
      ...new Set(
        c.failures.flatMap((f) =>
          (f.differences ?? []).filter((d) => /_at$/.test(d.path)).map((d) => `${normalizePath(d.path)} ${d.kind}`),
        ),
      ),
    ].sort(),
  ]);
}

describe('the contract runner on the rewrite', () => {
  const TOKENS = ['PHX_TEST_LIBRARY_LEGACY_TOKEN', 'PHX_TEST_LIBRARY_NEW_TOKEN'] as const;

  test("a loan stored seconds apart passes under the plan's tolerance; a due date a day late fails on the write and on the read", async () => {
    const work = await mkdtemp(path.join(os.tmpdir(), 'phx-rewrite-contracts-'));
    try {
      // Bo, whose loans the router test above left alone (ana's has a late one). Each side gets its
      // own token for him, by reference: the cases never hold it.
      const [legacyToken, newToken] = await Promise.all([
        tokenOf(apps.legacy.url, 'token'),
        tokenOf(apps.fresh.url, 'access_token'),
      ]);
      process.env[TOKENS[0]] = legacyToken;
      process.env[TOKENS[1]] = newToken;
      await mkdir(path.join(work, 'cases'));
      await writeFile(
        path.join(work, 'cases', 'loans.yaml'),
        `auth:
  bo:
    legacy: { env: ${TOKENS[0]}, prefix: "Bearer " }
    new: { env: ${TOKENS[1]}, prefix: "Bearer " }
cases:
  - { name: borrow, auth: bo, request: { method: POST, path: /api/loans, body: { isbn: "9780261103573" } } }
  - { name: my loans, auth: bo, request: { path: /api/loans } }
`,
      );
      const planText = (await rewritePlanText(apps)).replace(/^( {4}new: .*)$/m, '$1\n    contracts: ["cases/*.yaml"]');
      await writeFile(path.join(work, 'plan.yaml'), planText);
      const family = (await loadPlan(path.join(work, 'plan.yaml'))).families[0]!;
      assert.equal(family.contractFiles.length, 1);
      const run = async (): Promise<Array<[string, string[]]>> =>
        stampFailures(await runContractSuite({ family, mode: 'parity', latencyRepetitions: 0 }));

      // New's clock 2 s ahead: the loan it stores is stamped 2–3 s after legacy's.
      await setRegression(apps, 'clock-ahead');
      assert.deepEqual(await run(), [
        ['borrow', []],
        ['my loans', []],
      ]);
      await setRegression(apps, 'late-due');
      assert.deepEqual(await run(), [
        ['borrow', ['$.due_at value']],
        ['my loans', ['$.loans[*].due_at value']],
      ]);
    } finally {
      await setRegression(apps, 'off');
      for (const k of TOKENS) delete process.env[k];
      await rm(work, { recursive: true, force: true });
    }
  });
});
