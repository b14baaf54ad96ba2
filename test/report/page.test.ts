import { test } from 'node:test';
import assert from 'node:assert/strict';
import { matrixHtml, type CoverageReport } from '../../src/contracts/coverage.js';
import { renderReportHtml } from '../../src/report/html-report.js';
import { emptyHistory } from '../../src/workflows/evidence-history.js';

const styleOf = (html: string): string => html.match(/<style>[\s\S]*?<\/style>/)![0];

test('the compatibility matrix and the migration report share one page shell and stylesheet', () => {
  const report: CoverageReport = {
    families: [{ family: 'a<b>', endpoints: 2, covered: 1, coverage: 0.5 }],
    endpoints: 2,
    covered: 1,
    coverage: 0.5,
    rows: [
      { family: 'a<b>', pattern: 'GET /x/<id>', status: 'unchanged', cases: 2, passing: 2 },
      { family: 'a<b>', pattern: 'POST /x', status: 'failing', cases: 1, passing: 0 },
    ],
  };
  const matrix = matrixHtml(report, 'Compatibility matrix — "demo"');
  const page = renderReportHtml({
    workflowId: 'phoenix-users',
    runId: 'r',
    outcome: 'completed',
    progress: {
      workflowId: 'phoenix-users',
      family: 'users',
      plan: 'demo',
      stage: 'completed',
      percent: 100,
      paused: false,
      startedAt: '2026-12-01T10:00:00.000Z',
      stageStartedAt: '2026-12-01T10:00:05.000Z',
      decisions: [],
      checklist: [],
      stageTimings: [
        { stage: 'preflight', startedAt: '2026-12-01T10:00:00.000Z', endedAt: '2026-12-01T10:00:05.000Z' },
      ],
      attempt: 1,
      history: emptyHistory(),
    },
  });
  assert.equal(styleOf(matrix), styleOf(page));
  for (const html of [matrix, page]) {
    assert.match(html, /^<!doctype html>/);
    assert.match(html, /Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'/);
    assert.doesNotMatch(html, /<script/);
  }
  assert.match(matrix, /<title>Compatibility matrix — &quot;demo&quot;<\/title>/);
  assert.match(
    matrix,
    /<td>a&lt;b&gt;<\/td><td><code>GET \/x\/&lt;id&gt;<\/code><\/td><td><span class="phx-badge unchanged">unchanged/,
  );
  assert.match(matrix, /<span class="phx-badge failing">failing<\/span><\/td><td class="num">0\/1<\/td>/);
  assert.match(matrix, /<span style="width:50\.0%"><\/span>/);
});
