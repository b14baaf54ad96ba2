/**
 * Triage on the workflow's side: the decisions in force go to the router, and signatures seen
 * for the first time go to Slack for a decision. Workflow code only.
 */
import type { FamilyFigures } from '../activities/index.js';
import type { Migration } from './migration-state.js';
import { quietly } from './notices.js';
import { act } from './proxies.js';
import { members } from './fleet-members.js';

/** How pushing triage decisions treats the figures counted before them. */
export interface PushTriageOptions {
  /** Start the router's figures over, so counts made before the decision do not keep judging the gate. */
  resetWindow: boolean;
}

/**
 * Pushes the migration's triage decisions to the router when they changed (the whole set, so a
 * retry or replay leaves the same state).
 */
export async function pushTriage(m: Migration, o: PushTriageOptions): Promise<void> {
  const t = m.progress.triage;
  if (!m.triage || !t || !m.takeTriageChange()) return;
  await act('control', 'setTriage', `triage: ${t.decisions.length} decisions`, {
    ...members(m),
    family: m.family.name,
    decisions: t.decisions,
  });
  if (o.resetWindow)
    await act('control', 'resetFamilyStats', 'reset figures after triage', {
      ...members(m),
      family: m.family.name,
    });
}

/**
 * Posts signatures seen for the first time and not yet decided to the family's Slack channel,
 * with Accept / Block / Noise buttons. Best effort, like every Slack message.
 */
export async function announceTriage(m: Migration, f: FamilyFigures): Promise<void> {
  const t = m.progress.triage;
  if (!m.triage || !t || !m.family.slackChannel) return;
  const announced = m.announcedSignatures();
  const decided = new Set(t.decisions.map((d) => d.id));
  const fresh = (f.stats.parity.triage?.top ?? []).filter(
    (s) => s.decision === undefined && !decided.has(s.id) && !announced.includes(s.id),
  );
  if (fresh.length === 0) return;
  m.noteAnnounced(fresh.map((s) => s.id));
  await quietly(m, () =>
    act('notify', 'postTriageMessage', `Slack: ${fresh.length} signatures to triage`, {
      workflowId: m.progress.workflowId,
      family: m.family.name,
      channel: m.family.slackChannel,
      thread: m.thread,
      items: fresh.map((s) => ({ id: s.id, text: s.text, count: s.count, example: s.example })),
    }),
  );
}
