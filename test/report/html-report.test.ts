import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FamilyStats } from '../../src/parity/stats.js';
import { compareJson, compileRules } from '../../src/parity/diff.js';
import type { EvidenceSlo } from '../../src/parity/gates.js';
import { evaluateParityEvidence } from '../../src/parity/parity-evidence.js';
import { evaluateStep } from '../../src/parity/step-evidence.js';
import { emptyHistory, recordParity, recordStep } from '../../src/workflows/evidence-history.js';
import type { MigrationProgress } from '../../src/workflows/messages.js';
import { renderReportHtml } from '../../src/report/html-report.js';

const plain = compileRules({});
const slo: EvidenceSlo = {
  maxErrorRate: 0.01,
  maxP95Ratio: 1.5,
  maxMismatchRate: 0.05,
  minRequests: 10,
  minUsers: 1,
  confidence: 0.95,
  latency: { maxShiftMs: 25, minSamples: 5 },
};
const T0 = Date.parse('2026-12-01T10:00:00.000Z');
const iso = (s: number): string => new Date(T0 + s * 1000).toISOString();

/** A router window: client requests per backend and `compared` comparisons of which `differing` differ. */
function window(legacy: number, fresh: number, compared: number, differing: number): FamilyStats {
  const s = new FamilyStats(T0);
  for (let i = 1; i <= legacy; i++) s.recordRequest('legacy', 10 + (i % 20), false, T0);
  for (let i = 1; i <= fresh; i++) s.recordRequest('new', 14 + (i % 30), false, T0);
  for (let i = 0; i < compared; i++) {
    const a = { id: i, total: 10, items: [1] };
    const b = i < differing ? { id: i, total: '10', items: [] } : a;
    const { differences } = compareJson(a, b, plain);
    s.recordComparison('GET /api/reports/:id', { equal: differences.length === 0, differences, noisy: false }, 8, 9);
  }
  return s;
}

/**
 * The demo's rolled-back story: parity passes, 25% runs three analyses of which the last two see
 * no request on new (the canary sent nothing there), then a breach rolls the family back.
 */
function rolledBack(family: string): MigrationProgress {
  const h = emptyHistory();
  for (const [s, n] of [
    [10, 20],
    [12, 80],
  ] as const) {
    const snap = window(0, 0, n, 0).snapshot(T0 + s * 1000);
    recordParity(
      h,
      snap,
      evaluateParityEvidence(snap, { ...slo, minSamples: 50, confidence: 0.95, latency: slo.latency }),
      T0 + s * 1000,
    );
  }
  const steps: [number, number, number, number, number][] = [
    // second, legacy requests, new requests, comparisons, differing
    [20, 60, 20, 30, 1],
    [22, 140, 0, 60, 40],
    [24, 210, 0, 90, 70],
  ];
  for (const [s, legacy, fresh, compared, differing] of steps) {
    const snap = window(legacy, fresh, compared, differing).snapshot(T0 + s * 1000);
    recordStep(h, snap, evaluateStep(snap, slo, 25), 25, T0 + s * 1000);
  }
  return {
    workflowId: `phoenix-${family}`,
    family,
    plan: 'demo',
    stage: 'rolled-back',
    percent: 0,
    paused: false,
    startedAt: iso(0),
    stageStartedAt: iso(26),
    decisions: [
      { at: iso(14), kind: 'stage', step: 'parity', detail: 'pass' },
      { at: iso(16), kind: 'approved', step: 'ramp-start', by: 'alice', detail: 'cli' },
      { at: iso(25), kind: 'rollback', detail: 'SloBreached: mismatch rate 77%' },
    ],
    checklist: [],
    stageTimings: [
      { stage: 'preflight', startedAt: iso(0), endedAt: iso(1) },
      { stage: 'contract-gate', startedAt: iso(1), endedAt: iso(5) },
      { stage: 'parity', startedAt: iso(5), endedAt: iso(14) },
      { stage: 'awaiting-approval', startedAt: iso(14), endedAt: iso(16) },
      { stage: 'ramp', startedAt: iso(16), endedAt: iso(25) },
      { stage: 'rolling-back', startedAt: iso(25), endedAt: iso(26) },
      { stage: 'rolled-back', startedAt: iso(26) },
    ],
    attempt: 1,
    rollback: {
      reason: 'SLO breached at 25%: mismatch rate 77%',
      type: 'SloBreached',
      at: iso(25),
      completedAt: iso(25.05),
      durationMs: 50,
    },
    history: h,
  };
}

function chart(html: string, name: string): string {
  const m = html.match(new RegExp(`<figure class="phx-chart" data-chart="${name}">([\\s\\S]*?)</figure>`));
  assert.ok(m, `a ${name} figure`);
  return m[1]!;
}

const count = (s: string, what: string): number => s.split(what).length - 1;

test('the ramp chart plots every analysis, and shows new at 0% while the target is 25%', () => {
  const html = renderReportHtml({
    workflowId: 'phoenix-reports',
    runId: 'r1',
    outcome: 'rolled-back',
    progress: rolledBack('reports'),
  });
  const ramp = chart(html, 'ramp');
  assert.equal(count(ramp, '<svg'), 1);
  assert.equal(count(ramp, '<circle'), 3, 'one dot per analysis');
  const cy = [...ramp.matchAll(/<circle[^>]*cy="([\d.]+)"/g)].map((m) => Number(m[1]));
  // 25% observed first, then 0% twice: the later dots sit lower (larger cy), on the 0 line.
  assert.ok(cy[1]! > cy[0]! && cy[1] === cy[2], `dots at ${cy.join(', ')}`);
  assert.match(ramp, /class="phx-target"[^>]*>\s*<path/);
  assert.match(ramp, /<figcaption>[^<]*25% → 0\.00% \(0 of 210\)/);
});

test('the time charts mark the rollback with a rule and its label', () => {
  const html = renderReportHtml({
    workflowId: 'phoenix-reports',
    runId: 'r1',
    outcome: 'rolled-back',
    progress: rolledBack('reports'),
  });
  for (const name of ['timeline', 'ramp', 'mismatch']) {
    const c = chart(html, name);
    assert.match(c, /<g[^>]*class="phx-rollback"[^>]*><line /, `${name}: the rollback rule`);
    assert.match(c, /class="phx-rollback-label"[^>]*><text[^>]*>rollback — SloBreached<\/text>/, `${name}: its label`);
  }
  for (const name of ['latency', 'paths']) assert.doesNotMatch(chart(html, name), /phx-rollback/);
});

test('latency, mismatch, timeline and paths charts carry one mark per data point', () => {
  const p = rolledBack('reports');
  const html = renderReportHtml({ workflowId: 'phoenix-reports', runId: 'r1', outcome: 'rolled-back', progress: p });
  const latency = chart(html, 'latency');
  // The 25% window's last analysis with traffic: legacy's p50, p90, p95 and p99; new served nothing.
  assert.equal(count(latency, '<circle'), 4);
  assert.match(latency, /25% 210 legacy \/ 0 new requests/);
  const both = structuredClone(p);
  both.history!.steps = both.history!.steps.slice(0, 1);
  const first = chart(
    renderReportHtml({ workflowId: 'phoenix-reports', runId: 'r1', outcome: 'rolled-back', progress: both }),
    'latency',
  );
  assert.equal(count(first, '<circle'), 8, 'legacy and new, four quantiles each');
  assert.match(first, /<title>25% new p99: [\d.]+ ms over 20 requests<\/title>/);
  const mismatch = chart(html, 'mismatch');
  assert.equal(count(mismatch, '<circle'), 2 + 3, 'two parity evaluations and three step analyses');
  assert.match(mismatch, /class="phx-band"[^>]*>(<path [^>]*>){2}/, 'a band per series');
  const timeline = chart(html, 'timeline');
  assert.equal(count(timeline, '<rect'), p.stageTimings.length);
  assert.equal(count(timeline, '<circle'), p.decisions.length);
  const paths = chart(html, 'paths');
  assert.equal(count(paths, '<rect'), p.history!.topPaths.length);
  assert.ok(p.history!.topPaths.length >= 2);
  assert.match(paths, /type \$\.total — GET \/api\/reports\/:id/);
});

test('strings from the plan and people are escaped, and the page loads nothing', () => {
  const hostile = '<script>alert("x")</script>&';
  const p = rolledBack(hostile);
  p.decisions.push({ at: iso(15), kind: 'paused', by: '<img src=x onerror=alert(1)>', detail: '"quoted" <b>' });
  p.rollback!.reason = '</figure><script>bad()</script>';
  const html = renderReportHtml({ workflowId: hostile, runId: 'r1', outcome: 'rolled-back', progress: p });
  assert.doesNotMatch(html, /<script|<img|<\/figure><script/i);
  assert.match(html, /Migration report: &lt;script&gt;alert\(&quot;x&quot;\)&lt;\/script&gt;&amp;/);
  assert.match(html, /&lt;img src=x onerror=alert\(1\)&gt;/);
  assert.doesNotMatch(html, /<[^>]+\b(src|href)=|url\(|@import/i, 'no element loads anything');
  assert.match(html, /Content-Security-Policy" content="default-src 'none'/);
  assert.equal(count(html, '<figure class="phx-chart"'), 5);
});

test('a chart without data says why instead of drawing an empty SVG', () => {
  const p = rolledBack('users');
  p.history = emptyHistory();
  const html = renderReportHtml({ workflowId: 'phoenix-users', runId: 'r2', outcome: 'rolled-back', progress: p });
  for (const [name, why] of [
    ['ramp', 'No ramp step ran'],
    ['latency', 'No ramp step measured client latency'],
    ['mismatch', 'No comparison was made'],
    ['paths', 'No differences were recorded'],
  ] as const) {
    const c = chart(html, name);
    assert.doesNotMatch(c, /<svg/, name);
    assert.match(c, new RegExp(`<p class="phx-empty">${why}`), name);
  }
  assert.match(chart(html, 'timeline'), /<svg/);
  delete p.history;
  const old = renderReportHtml({ workflowId: 'phoenix-users', runId: 'r3', outcome: 'completed', progress: p });
  assert.match(chart(old, 'ramp'), /<p class="phx-empty">No ramp data: this run started before/);
});
