/**
 * The final report of a migration in Markdown: what it did, its verdicts and its decisions.
 */
import { pText } from '../parity/gates.js';
import { parityText, replayText, stepText } from '../parity/verdict-text.js';
import type { MigrationProgress } from '../workflows/messages.js';
import { percent as pct, ratio } from '../lib/format.js';

/** What a report is written from: the run and its progress at the end. */
export interface ReportInput {
  workflowId: string;
  runId: string;
  outcome: 'completed' | 'rolled-back';
  progress: MigrationProgress;
}

function ms(start: string, end?: string): string {
  if (!end) return '—';
  const d = Date.parse(end) - Date.parse(start);
  return d < 1000 ? `${d} ms` : `${(d / 1000).toFixed(1)} s`;
}

/** Renders the Markdown report. */
export function renderReportMarkdown(input: ReportInput): string {
  const p = input.progress;
  const lines = [
    `# Migration report: ${p.family}`,
    '',
    `- Plan: ${p.plan}`,
    `- Workflow: ${input.workflowId} (run ${input.runId})`,
    `- Outcome: **${input.outcome}**${p.rollback ? ` — ${p.rollback.type}: ${p.rollback.reason}` : ''}`,
    `- Started: ${p.startedAt}; final traffic on new: ${p.percent}%; attempts: ${p.attempt}`,
  ];
  if (p.legacyRemovableFrom)
    lines.push(`- Legacy handlers may be removed from ${p.legacyRemovableFrom} (the decommission checklist completed)`);
  else if (p.checklist.length > 0 && input.outcome === 'rolled-back')
    lines.push('- Legacy handlers stay: the family was rolled back before its decommission checklist completed');
  if (p.rollback?.durationMs !== undefined)
    lines.push(`- Rollback took ${p.rollback.durationMs} ms from detection to compensations complete`);
  lines.push('', '## Stages', '', '| stage | started | took |', '|---|---|---|');
  for (const s of p.stageTimings) lines.push(`| ${s.stage} | ${s.startedAt} | ${ms(s.startedAt, s.endedAt)} |`);
  if (p.parity) {
    lines.push(
      '',
      '## Parity',
      '',
      p.parity.outcome
        ? `- Verdict: ${parityText(p.parity)}`
        : `- Verdict: ${p.parity.status} (${p.parity.samples} samples, mismatch rate ${pct(p.parity.mismatchRate)}, p95 ratio ${ratio(p.parity.p95Ratio)})`,
    );
    for (const r of p.parity.reasons) lines.push(`  - ${r}`);
    if (p.replay) lines.push(`- Replay: ${replayText(p.replay)}`);
    if (p.parity.slowRoutes?.length) {
      lines.push('', '| slower route | samples | legacy p50 | new p50 | shift | p |', '|---|---|---|---|---|---|');
      for (const r of p.parity.slowRoutes)
        lines.push(
          `| ${r.route} | ${r.samples} | ${r.legacyP50 ?? '—'} ms | ${r.newP50 ?? '—'} ms | ${r.shiftMs ?? '—'} ms | ${pText(r.pValue)} |`,
        );
    }
  }
  if (p.analysis) {
    lines.push(
      '',
      '## Last analysis',
      '',
      p.analysis.outcome
        ? `- At ${p.analysis.at}: ${stepText(p.analysis)}`
        : `- At ${p.analysis.at}: ${p.analysis.newRequests} requests on new, error rate ${pct(p.analysis.errorRate)}, p95 ratio ${ratio(p.analysis.p95Ratio)}, mismatch rate ${pct(p.analysis.mismatchRate)}${p.analysis.breached ? ' — **breached**' : ''}`,
    );
    for (const r of p.analysis.reasons) lines.push(`  - ${r}`);
  }
  if (p.checklist.length > 0) {
    lines.push('', '## Decommission checklist', '', '| item | kind | status | detail |', '|---|---|---|---|');
    for (const c of p.checklist)
      lines.push(
        `| ${c.id} | ${c.kind} | ${c.status} | ${(c.detail ?? '').replace(/\|/g, '\\|')}${c.by ? ` (by ${c.by})` : ''} |`,
      );
  }
  lines.push('', '## Decisions', '', '| at | what | step | by | detail |', '|---|---|---|---|---|');
  for (const d of p.decisions)
    lines.push(`| ${d.at} | ${d.kind} | ${d.step ?? ''} | ${d.by ?? ''} | ${(d.detail ?? '').replace(/\|/g, '\\|')} |`);
  return `${lines.join('\n')}\n`;
}
