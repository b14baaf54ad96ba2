/**
 * A migration's progress as terminal text: stage, percent with a bar, parity and SLO figures,
 * what it waits for and the exact command to approve, decisions, and the rollback reason.
 */
import { outcomeText, parityText, replayText, samplesText, splitText, stepText } from '../parity/verdict-text.js';
import type { MigrationProgress } from '../workflows/messages.js';

const BAR = 30;

export function bar(percent: number): string {
  const n = Math.round((Math.max(0, Math.min(100, percent)) / 100) * BAR);
  return `[${'█'.repeat(n)}${'·'.repeat(BAR - n)}] ${String(Math.round(percent)).padStart(3)}%`;
}

const pct = (x: number | undefined | null): string =>
  x === undefined || x === null ? '—' : `${(x * 100).toFixed(2)}%`;
const ms = (x: number | undefined | null): string => (x === undefined || x === null ? '—' : `${Math.round(x)} ms`);

/** One line, for live views and lists. */
export function progressLine(p: MigrationProgress): string {
  // In the parity stage the stage name already says what the figures are.
  const parity = p.parity
    ? `${p.stage === 'parity' ? '' : ' parity'} ${p.parity.outcome ? outcomeText(p.parity.outcome) : p.parity.status} (${samplesText(p.parity)}, mismatch ${pct(p.parity.mismatchRate)})`
    : '';
  const analysis = p.analysis
    ? ` | ${p.analysis.outcome ? `${outcomeText(p.analysis.outcome)}, split ${splitText(p.analysis)}, ` : ''}new errors ${pct(p.analysis.errorRate)}, p95 ${ms(p.analysis.legacyP95)} → ${ms(p.analysis.newP95)}`
    : '';
  return `${bar(p.percent)} ${p.stage}${p.paused ? ' (paused)' : ''}${parity}${analysis}`;
}

/** The full view of one migration. */
export function renderProgress(p: MigrationProgress, uiUrl?: string): string {
  const lines = [
    `${p.family} — ${p.stage}${p.paused ? ' (paused)' : ''}  (plan ${p.plan}, attempt ${p.attempt})`,
    `  ${bar(p.percent)} on the new service`,
  ];
  if (p.waitingFor) lines.push(`  waiting for: ${p.waitingFor}`);
  if (p.parity) {
    lines.push(
      p.parity.outcome
        ? `  parity: ${parityText(p.parity)}`
        : `  parity: ${p.parity.status} — ${p.parity.samples} samples, mismatch ${pct(p.parity.mismatchRate)}, p95 legacy ${ms(p.parity.legacyP95)} vs new ${ms(p.parity.newP95)}`,
    );
    for (const r of p.parity.reasons) lines.push(`    · ${r}`);
  }
  if (p.replay) lines.push(`  parity replay: ${replayText(p.replay)}`);
  if (p.triage && (p.triage.waiting > 0 || p.triage.decisions.length > 0))
    lines.push(
      `  triage: ${p.triage.waiting} signature${p.triage.waiting === 1 ? '' : 's'} waiting, ${p.triage.decisions.length} decided — npx phoenix parity diffs ${p.family}`,
    );
  if (p.analysis) {
    lines.push(
      p.analysis.outcome
        ? `  last analysis (${p.analysis.at}): ${stepText(p.analysis)}`
        : `  last analysis (${p.analysis.at}): ${p.analysis.newRequests} new requests, errors ${pct(p.analysis.errorRate)}, p95 ${ms(p.analysis.legacyP95)} → ${ms(p.analysis.newP95)}, mismatch ${pct(p.analysis.mismatchRate)}${p.analysis.breached ? ' — BREACH' : ''}`,
    );
    if (p.analysis.outcome) for (const r of p.analysis.reasons) lines.push(`    · ${r}`);
  }
  if (p.pending) {
    const who = p.pending.approvers[0] ?? '<you>';
    lines.push(`  approval needed: ${p.pending.step} — ${p.pending.description}`);
    lines.push(`    who may decide: ${p.pending.approvers.join(', ') || '—'}; deadline ${p.pending.deadline}`);
    lines.push(`    npx phoenix approve ${p.family} --step ${p.pending.step} --as ${who}`);
    lines.push(`    npx phoenix reject ${p.family} --step ${p.pending.step} --as ${who} --reason "…"`);
  }
  if (p.checklist.length > 0) {
    lines.push('  decommission checklist:');
    for (const c of p.checklist)
      lines.push(
        `    [${c.status === 'passed' || c.status === 'signed-off' ? 'x' : c.status === 'failed' ? '!' : ' '}] ${c.id}${c.detail ? ` — ${c.detail}` : ''}${c.by ? ` (${c.by})` : ''}`,
      );
    if (p.legacyRemovableFrom) lines.push(`  legacy handlers may be removed from ${p.legacyRemovableFrom}`);
    else if (p.stage === 'decommission')
      lines.push(`    until it completes: npx phoenix rollback ${p.family} --as <approver> sends it back to legacy`);
  }
  if (p.rollback) {
    lines.push(
      `  rolled back: ${p.rollback.type} — ${p.rollback.reason}${p.rollback.durationMs !== undefined ? ` (compensations took ${p.rollback.durationMs} ms)` : ''}`,
    );
  }
  const decisions = p.decisions.filter((d) => d.kind !== 'stage');
  if (decisions.length > 0) {
    lines.push('  decisions:');
    for (const d of decisions.slice(-8))
      lines.push(
        `    ${d.at} ${d.kind}${d.step ? ` ${d.step}` : ''}${d.by ? ` by ${d.by}` : ''}${d.detail ? ` — ${d.detail}` : ''}`,
      );
  }
  if (uiUrl) lines.push(`  Temporal UI: ${uiUrl}`);
  return lines.join('\n');
}
