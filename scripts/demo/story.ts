/**
 * One migration as the demo tells it: start the workflow, show its progress live, approve when
 * asked (automatically with --yes), and report how it ended.
 */
import type { Client, WorkflowHandle } from '@temporalio/client';
import type { FamilyPlan, Plan } from '../../src/plan/index.js';
import { startMigration } from '../../src/cli/start-migration.js';
import { progressLine } from '../../src/report/render-progress.js';
import type { migrateFamily } from '../../src/workflows/migrate-family.js';
import {
  approveUpdate,
  migrationWorkflowId,
  progressQuery,
  type MigrationProgress,
} from '../../src/workflows/messages.js';
import type { MigrationResult } from '../../src/workflows/migration-state.js';
import { migrationResult } from '../../src/lib/migration-outcome.js';

export interface StoryOptions {
  client: Client;
  plan: Plan;
  family: FamilyPlan;
  /** Approve automatically after `approveAfterMs`. */
  autoApprove: boolean;
  approveAfterMs: number;
  /** Who approves in the demo; must be in the plan's approvers. */
  approver: string;
  say: (line: string) => void;
  /** Called on every progress poll (the regression story flips the switch from here). */
  onProgress?: (p: MigrationProgress) => Promise<void> | void;
}

/** Starts the family's migration and follows it to the end. */
export async function runStory(
  o: StoryOptions,
): Promise<{ result: MigrationResult; handle: WorkflowHandle<typeof migrateFamily> }> {
  const workflowId = migrationWorkflowId(o.family.name);
  // A migration left running by an interrupted earlier demo would block this one.
  await o.client.workflow
    .getHandle(workflowId)
    .terminate('superseded by a new demo run')
    .catch(() => undefined);
  const { handle, uiUrl } = await startMigration({ client: o.client, plan: o.plan, family: o.family.name });
  o.say(`  workflow ${workflowId}: ${uiUrl}`);
  // A rolled-back run ends as a failed workflow carrying its result.
  const resultPromise = migrationResult(handle);
  let done = false;
  void resultPromise.then(
    () => (done = true),
    () => (done = true),
  );
  let last = '';
  const announced = new Set<string>();
  while (!done) {
    let p: MigrationProgress | undefined;
    try {
      p = await handle.query(progressQuery);
    } catch {
      p = undefined;
    }
    if (p) {
      const l = progressLine(p) + (p.waitingFor ? ` — waiting for ${p.waitingFor}` : '');
      if (l !== last) o.say(`  ${l}`);
      last = l;
      await o.onProgress?.(p);
      const pending = p.pending;
      if (pending && !announced.has(pending.step)) {
        announced.add(pending.step);
        o.say(`  ⏸  approval needed: ${pending.description}`);
        o.say(`     npx phoenix approve ${o.family.name} --step ${pending.step} --as ${o.approver}`);
        if (o.autoApprove) {
          setTimeout(() => {
            handle
              .executeUpdate(approveUpdate, {
                args: [{ step: pending.step, approver: o.approver, comment: 'demo --yes', via: 'cli' }],
              })
              .then(() => o.say(`  ✔ approved ${pending.step} as ${o.approver} (--yes)`))
              .catch((err: unknown) =>
                o.say(`  (auto-approval of ${pending.step} not applied: ${(err as Error).message})`),
              );
          }, o.approveAfterMs);
        }
      }
    }
    await Promise.race([resultPromise.catch(() => undefined), new Promise((r) => setTimeout(r, 500))]);
  }
  return { result: await resultPromise, handle };
}
