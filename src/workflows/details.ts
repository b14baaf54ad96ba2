/**
 * The Markdown shown as the workflow's current details in the Temporal UI: where the migration
 * is, its figures, and what it waits for. Pure.
 */
import type { FamilyPlan } from '../plan/schema.js';
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
  if (p.parity)
    lines.push(
      `- parity: ${p.parity.status}, ${p.parity.samples} samples, mismatch ${rate(p.parity.mismatchRate)}, p95 ratio ${p.parity.p95Ratio?.toFixed(2) ?? '—'}`,
    );
  if (p.analysis) {
    lines.push(
      `- last analysis: ${p.analysis.newRequests} new requests, errors ${rate(p.analysis.errorRate)}, p95 ratio ${p.analysis.p95Ratio?.toFixed(2) ?? '—'}${p.analysis.breached ? ' — BREACH' : ''}`,
    );
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
    `- parity gate: ≥ ${family.parity.minSamples} samples, mismatch ≤ ${rate(family.parity.maxMismatchRate)}, p95 ≤ ${family.parity.maxP95Ratio}× legacy`,
    `- ramp: ${steps}`,
    `- SLO: errors ≤ ${rate(family.slo.maxErrorRate)}, p95 ≤ ${family.slo.maxP95Ratio}× legacy`,
    `- approvers: ${family.approval.approvers.join(', ') || 'anyone'}`,
  ]
    .filter((l) => l !== '')
    .join('\n');
}
