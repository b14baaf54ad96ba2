/**
 * Decommission: pin the route to new, then work through the checklist (the no-legacy-traffic
 * window, automated checks, manual sign-offs). Workflow code only.
 */
import { ApplicationFailure } from '@temporalio/workflow';
import { stepText } from '../parity/verdict-text.js';
import { formatDuration } from '../plan/duration.js';
import { hold } from './bake.js';
import { FailureType } from './failures.js';
import { Stage } from './messages.js';
import type { ChecklistCheck } from '../activities/index.js';
import type { Migration } from './migration-state.js';
import { act } from './proxies.js';
import { members } from './fleet-members.js';
import { closeApproval } from './approval-messages.js';
import { awaitApproval } from './approvals.js';
import { notice } from './notices.js';

/** The step name the Slack Rollback message is tracked under (as the button's value says). */
const ROLLBACK_STEP = 'rollback';

/** Pins the route to new and runs the decommission checklist; a failed check throws. */
export async function decommission(m: Migration): Promise<void> {
  m.setStage(Stage.Decommission, 'the decommission checklist');
  const d = m.family.decommission;
  if (m.progress.checklist.length === 0) {
    const state = await act('control', 'setRoute', 'pin route to new', {
      ...members(m),
      family: m.family.name,
      mode: 'new',
      percent: 100,
      version: m.nextVersion(),
      updatedBy: m.progress.workflowId,
    });
    m.sawVersion(state.version);
    m.setPercent(100);
    m.startChecklist([
      ...d.checks.map((id) => ({ id, kind: 'automated' as const, description: id, status: 'pending' as const })),
      ...d.manual.map((x) => ({
        id: x.id,
        kind: 'manual' as const,
        description: x.description,
        owner: x.owner,
        status: 'pending' as const,
      })),
    ]);
    const ref = !m.holdOnBreach
      ? undefined
      : await notice(
          m,
          'decommission',
          `*${m.family.name}*: 100% of traffic on the new service; the decommission checklist runs. Until it completes, \`phoenix rollback ${m.family.name}\` or the button below sends the family back to legacy.`,
        );
    if (ref)
      m.pushUndo({
        kind: 'close-approval',
        ref,
        step: ROLLBACK_STEP,
        label: 'roll back to legacy until the decommission checklist completes',
      });
  }
  for (const item of m.progress.checklist) {
    if (item.status !== 'pending') continue;
    if (item.kind === 'manual') {
      const decision = await awaitApproval(m, `decommission:${item.id}`, item.description, {
        analyseWhileWaiting: true,
      });
      m.signOff(item, decision.by);
      continue;
    }
    const check = item.id;
    // The checklist was built from the plan's checks; anything else is a carried state this code cannot run.
    if (!isPlannedCheck(m, check))
      throw ApplicationFailure.nonRetryable(
        `decommission check ${check} is not one of the plan's checks (${d.checks.join(', ')})`,
        FailureType.ChecklistFailed,
      );
    if (check === 'no-legacy-traffic') {
      const resuming = m.position.stage === Stage.Decommission && m.position.bakedMs > 0;
      if (!resuming) {
        await act('control', 'resetFamilyStats', 'reset figures for the no-legacy window', {
          ...members(m),
          family: m.family.name,
        });
        if (m.evidence) m.clearAnalysis();
      }
      // No traffic at all is not evidence that legacy is unused: the window needs requests on new.
      await hold(
        m,
        d.noLegacyTrafficFor,
        `no legacy traffic for ${formatDuration(d.noLegacyTrafficFor)}`,
        (baked) => m.resumeAt(Stage.Decommission, { heldMs: baked }),
        m.evidence
          ? {
              extendMs: d.evidenceTimeout ?? d.noLegacyTrafficFor,
              enough: (a) => (a?.newRequests ?? 0) > 0,
              what: 'the no-legacy-traffic window',
            }
          : undefined,
      );
      const a = m.progress.analysis;
      if (m.evidence && a) m.record({ kind: 'stage', step: 'no-legacy-traffic', detail: stepText(a) });
    }
    const r = await act('suites', 'runChecklistCheck', `check: ${item.id}`, {
      ...members(m),
      family: m.family,
      check,
    });
    m.recordCheck(item, r);
    if (r.status === 'failed')
      throw ApplicationFailure.nonRetryable(
        `decommission check ${item.id} failed: ${r.detail}`,
        FailureType.ChecklistFailed,
      );
    if (m.holdOnBreach) m.throwIfAborted();
  }
  if (m.holdOnBreach) {
    // A rollback that arrived during the last check still wins; after this line it is refused.
    m.throwIfAborted();
    m.markLegacyRemovable();
    // The Rollback button goes; a rollback before this point marks the message superseded instead.
    await closeApproval(m, ROLLBACK_STEP, { outcome: 'closed' });
    m.record({ kind: 'stage', step: 'decommission', detail: 'checklist complete; legacy handlers may be removed' });
  }
}

/** An automated item of this family's checklist: one of the checks its plan lists. */
function isPlannedCheck(m: Migration, id: string): id is ChecklistCheck {
  return (m.family.decommission.checks as readonly string[]).includes(id);
}
