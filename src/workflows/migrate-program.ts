/**
 * `migrateProgram`: a plan's families as child migrations, each started only once every family
 * it depends on has completed; a family that rolls back stops its dependents.
 */
import {
  ParentClosePolicy,
  condition,
  defineQuery,
  executeChild,
  log,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import type { FamilyPlan } from '../plan/schema.js';
import { migrateFamily } from './migrate-family.js';
import type { MigrateFamilyInput, MigrationResult } from './migration-state.js';
import { migrationWorkflowId, Stage, type MigrationProgress } from './messages.js';

export interface MigrateProgramInput {
  plan: string;
  routerAdminUrl: string;
  temporalUiUrl: string;
  /** Families in the plan's order; dependencies are honoured whatever the order. */
  families: FamilyPlan[];
  historyLimit?: number;
}

export type FamilyOutcome = 'pending' | 'running' | 'completed' | 'rolled-back' | 'skipped';

export interface ProgramProgress {
  plan: string;
  families: { family: string; outcome: FamilyOutcome; reason?: string }[];
}

export const programProgressQuery = defineQuery<ProgramProgress>('programProgress');

export async function migrateProgram(input: MigrateProgramInput): Promise<ProgramProgress> {
  const outcome = new Map<string, { outcome: FamilyOutcome; reason?: string }>(
    input.families.map((f) => [f.name, { outcome: 'pending' }]),
  );
  const snapshot = (): ProgramProgress => ({
    plan: input.plan,
    families: input.families.map((f) => ({ family: f.name, ...outcome.get(f.name)! })),
  });
  setHandler(programProgressQuery, snapshot);

  const running = new Set<Promise<void>>();
  const settled = (name: string): boolean =>
    ['completed', 'rolled-back', 'skipped'].includes(outcome.get(name)!.outcome);
  for (;;) {
    for (const f of input.families) {
      if (outcome.get(f.name)!.outcome !== 'pending') continue;
      const failedDep = f.dependsOn.find((d) => ['rolled-back', 'skipped'].includes(outcome.get(d)?.outcome ?? ''));
      if (failedDep) {
        outcome.set(f.name, { outcome: 'skipped', reason: `dependency ${failedDep} did not complete` });
        continue;
      }
      if (!f.dependsOn.every((d) => outcome.get(d)?.outcome === 'completed')) continue;
      outcome.set(f.name, { outcome: 'running' });
      const p = runFamily(input, f).then((r) => {
        outcome.set(f.name, { outcome: r.outcome, reason: r.reason });
        running.delete(p);
      });
      running.add(p);
    }
    if (input.families.every((f) => settled(f.name))) break;
    const before = running.size;
    await condition(() => running.size < before);
  }
  log.info('program finished', { plan: input.plan, workflowId: workflowInfo().workflowId });
  return snapshot();
}

async function runFamily(input: MigrateProgramInput, family: FamilyPlan): Promise<MigrationResult> {
  const childInput: MigrateFamilyInput = {
    plan: input.plan,
    routerAdminUrl: input.routerAdminUrl,
    temporalUiUrl: input.temporalUiUrl,
    family,
    historyLimit: input.historyLimit,
  };
  try {
    return await executeChild(migrateFamily, {
      workflowId: migrationWorkflowId(family.name),
      args: [childInput],
      parentClosePolicy: ParentClosePolicy.REQUEST_CANCEL,
      staticSummary: `Migrate ${family.name}: legacy → ${family.new}`,
    });
  } catch (err) {
    return {
      family: family.name,
      outcome: 'rolled-back',
      reason: (err as Error).message,
      progress: emptyProgress(input),
    };
  }
}

function emptyProgress(input: MigrateProgramInput): MigrationProgress {
  return {
    workflowId: workflowInfo().workflowId,
    family: '',
    plan: input.plan,
    stage: Stage.Preflight,
    percent: 0,
    paused: false,
    startedAt: '',
    stageStartedAt: '',
    decisions: [],
    checklist: [],
    stageTimings: [],
    attempt: 1,
  };
}
