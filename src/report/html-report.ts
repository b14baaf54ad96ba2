/**
 * The final report of a migration as one HTML page with charts: the timeline, the ramp against
 * what new really served, latency per step, the mismatch rate with its band, the differing paths
 * and the rollback, then the verdicts and decisions as tables. Static: SVG rendered at report
 * time, inline CSS, no scripts, nothing fetched when opened.
 */
import { parityText, replayText, stepText } from '../parity/verdict-text.js';
import { percent as pct, ratio } from '../lib/format.js';
import { latencyChart, pathsChart } from './distribution-charts.js';
import { mismatchChart, rampChart, timeFrame, timelineChart } from './charts.js';
import type { ReportInput } from './markdown-report.js';
import { esc, page } from './page.js';
import { figure } from './plot.js';

function took(start: string, end?: string): string {
  if (!end) return '—';
  const d = Date.parse(end) - Date.parse(start);
  return d < 1000 ? `${d} ms` : `${(d / 1000).toFixed(1)} s`;
}

function table(head: readonly string[], rows: readonly (readonly string[])[]): string {
  return `<table><thead><tr>${head.map((h) => `<th>${esc(h)}</th>`).join('')}</tr></thead><tbody>${rows
    .map((r) => `<tr>${r.map((c) => `<td>${esc(c)}</td>`).join('')}</tr>`)
    .join('')}</tbody></table>`;
}

function reasons(list: readonly string[]): string {
  return list.length === 0 ? '' : `<ul class="phx-reasons">${list.map((r) => `<li>${esc(r)}</li>`).join('')}</ul>`;
}

function facts(input: ReportInput): string {
  const p = input.progress;
  const rows: [string, string][] = [
    ['Plan', p.plan],
    ['Workflow', `${input.workflowId} (run ${input.runId})`],
    ['Started', p.startedAt],
    ['Final traffic on new', `${p.percent}%`],
    ['Attempts', String(p.attempt)],
  ];
  if (p.rollback) {
    rows.push(['Rolled back', `${p.rollback.at} — ${p.rollback.type}: ${p.rollback.reason}`]);
    if (p.rollback.durationMs !== undefined)
      rows.push(['Rollback took', `${p.rollback.durationMs} ms from detection to compensations complete`]);
  }
  if (p.legacyRemovableFrom)
    rows.push([
      'Legacy handlers',
      `may be removed from ${p.legacyRemovableFrom} (the decommission checklist completed)`,
    ]);
  else if (p.checklist.length > 0 && input.outcome === 'rolled-back')
    rows.push(['Legacy handlers', 'stay: rolled back before the decommission checklist completed']);
  return `<dl class="phx-facts">${rows.map(([k, v]) => `<dt>${esc(k)}</dt><dd>${esc(v)}</dd>`).join('')}</dl>`;
}

function verdicts(input: ReportInput): string {
  const p = input.progress;
  const out: string[] = [];
  if (p.parity) {
    const text = p.parity.outcome
      ? parityText(p.parity)
      : `${p.parity.status} (${p.parity.samples} samples, mismatch rate ${pct(p.parity.mismatchRate)}, p95 ratio ${ratio(p.parity.p95Ratio)})`;
    out.push(`<h2>Parity gate</h2><p>${esc(text)}</p>${reasons(p.parity.reasons)}`);
    if (p.replay) out.push(`<p>Replay: ${esc(replayText(p.replay))}</p>`);
  }
  if (p.analysis) {
    const a = p.analysis;
    const text = a.outcome
      ? stepText(a)
      : `${a.newRequests} requests on new, error rate ${pct(a.errorRate)}, p95 ratio ${ratio(a.p95Ratio)}, mismatch rate ${pct(a.mismatchRate)}${a.breached ? ' — breached' : ''}`;
    out.push(`<h2>Last analysis</h2><p>At ${esc(a.at)}: ${esc(text)}</p>${reasons(a.reasons)}`);
  }
  return out.join('\n');
}

/** Renders the report page. Every string from the plan, the run or people is escaped. */
export function renderReportHtml(input: ReportInput): string {
  const p = input.progress;
  const frame = timeFrame(p);
  const charts = [
    ['Timeline', timelineChart(p, frame)],
    ['Ramp: target against traffic on new', rampChart(p, frame)],
    ['Latency per step', latencyChart(p)],
    ['Mismatch rate', mismatchChart(p, frame)],
    ['Top difference paths', pathsChart(p)],
  ] as const;
  const dropped = p.history ? p.history.dropped.steps + p.history.dropped.parity : 0;
  const body = [
    `<h1>Migration report: ${esc(p.family)} <span class="phx-badge ${esc(input.outcome)}">${esc(input.outcome)}</span></h1>`,
    `<p class="phx-sub">${esc(p.rollback ? `${p.rollback.type}: ${p.rollback.reason}` : `reached ${p.percent}% on the new service`)}</p>`,
    facts(input),
    ...charts.map(([title, c]) => `<h2>${esc(title)}</h2>\n${figure(c)}`),
    dropped > 0
      ? `<p class="phx-sub">${dropped} of the oldest analyses were dropped to keep the run's state small.</p>`
      : '',
    verdicts(input),
    '<h2>Stages</h2>',
    table(
      ['stage', 'started', 'took'],
      p.stageTimings.map((s) => [s.stage, s.startedAt, took(s.startedAt, s.endedAt)]),
    ),
    ...(p.checklist.length > 0
      ? [
          '<h2>Decommission checklist</h2>',
          table(
            ['item', 'kind', 'status', 'detail'],
            p.checklist.map((c) => [c.id, c.kind, c.status, `${c.detail ?? ''}${c.by ? ` (by ${c.by})` : ''}`]),
          ),
        ]
      : []),
    '<h2>Decisions</h2>',
    table(
      ['at', 'what', 'step', 'by', 'detail'],
      p.decisions.map((d) => [d.at, d.kind, d.step ?? '', d.by ?? '', d.detail ?? '']),
    ),
  ];
  return page(`Migration report: ${p.family}`, body.filter(Boolean).join('\n'));
}
