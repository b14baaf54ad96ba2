/**
 * The Markdown shown as the workflow's current details in the Temporal UI: where the migration
 * is, its figures, and what it waits for. Pure.
 */
import type { FamilyPlan } from '../plan/schema.js';
import { formatDuration } from '../plan/duration.js';
import { parityText, replayText, stepText } from '../parity/verdict-text.js';
import type { MigrationProgress } from './messages.js';

function rate(x: number | undefined): string {
  return x === undefined ? '—' : `${(x * 100).toFixed(2)}%`;
}

export function renderDetails(p: MigrationProgress, family: FamilyPlan): string {
  const lines = [
    `**${p.family}**: ${p.stage}${p.paused ? ' (paused)' : ''} — ${p.percent}% on new`,
    '',
    `- legacy \`${family.legacy}\` → new \`${family.new}\``,
  ];
  if (p.waitingFor) lines.push(`- waiting for: ${p.waitingFor}`);
  if (p.pending)
    lines.push(
      `- approval **${p.pending.step}** by ${p.pending.approvers.join(', ') || 'any approver'} before ${p.pending.deadline}`,
    );
  if (p.parity) {
    lines.push(`- parity: ${parityText(p.parity)}`);
    for (const r of p.parity.reasons.slice(0, 5)) lines.push(`  - ${r}`);
  }
  if (p.replay) lines.push(`- parity replay: ${replayText(p.replay)}`);
  if (p.triage)
    lines.push(
      `- triage: ${p.triage.waiting} signature${p.triage.waiting === 1 ? '' : 's'} wait${p.triage.waiting === 1 ? 's' : ''} for a decision, ${p.triage.decisions.length} decided (\`phoenix parity diffs ${p.family}\`)`,
    );
  if (p.analysis) {
    lines.push(`- last analysis at ${p.percent}%: ${stepText(p.analysis)}`);
    for (const r of p.analysis.reasons.slice(0, 5)) lines.push(`  - ${r}`);
  }
  if (p.rollback) lines.push(`- rolled back: ${p.rollback.type} — ${p.rollback.reason}`);
  return lines.join('\n');
}

/** One line per plan element, shown as the workflow's static details. */
export function renderPlanDetails(family: FamilyPlan): string {
  const steps = family.ramp.steps.map((s) => `${s.percent}%${s.approval ? ' (approval)' : ''}`).join(' → ');
  return [
    `### ${family.name}`,
    family.description ?? '',
    `- routes: ${family.routes.map((r) => `\`${r}\``).join(', ')}`,
    `- legacy: \`${family.legacy}\`, new: \`${family.new}\``,
    `- parity gate: ≥ ${family.parity.minSamples} samples, mismatch ≤ ${rate(family.parity.maxMismatchRate)} at ${rate(family.parity.confidence)} confidence, p95 ≤ ${family.parity.maxP95Ratio}× legacy, latency shift ≤ ${family.parity.latency?.maxShiftMs ?? 25} ms`,
    family.parity.replay
      ? `- parity replay: after ${formatDuration(family.parity.replay.after)} without enough evidence, safe requests from ${family.parity.replay.from.join(' and ')}, ≤ ${family.parity.replay.maxPerSecond}/s, ≤ ${rate(family.parity.replay.maxShare)} of samples`
      : '',
    `- ramp: ${steps}`,
    `- SLO: errors ≤ ${rate(family.slo.maxErrorRate)}, p95 ≤ ${family.slo.maxP95Ratio}× legacy; each step needs ≥ ${family.slo.minRequests} requests on new and ≥ ${family.slo.minUsers ?? 20} users`,
    `- approvers: ${family.approval.approvers.join(', ') || 'anyone'}`,
  ]
    .filter((l) => l !== '')
    .join('\n');
}
