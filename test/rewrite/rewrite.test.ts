import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createRouterAdminClient, type MismatchRecord, type RouterAdminClient } from '../../src/router/client.js';
import { startRouter, type RunningRouter } from '../../src/router/server.js';
import { normalizePath } from '../../src/parity/index.js';
import type { Plan } from '../../src/plan/index.js';
import { loadRewritePlan, login, reads, startRewriteApps, type RewriteApps } from './fixture.js';

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
        'GET /api/books $.books[*].available value',
        'GET /api/books $.books[*].id extra',
        'GET /api/books/:isbn $.available value',
        'GET /api/books/:isbn $.id extra',
        'GET /api/loans $.loans[*].id extra',
        'GET /api/reports/overdue $.loans[*].id extra',
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
});
