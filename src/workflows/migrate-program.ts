/**
 * `migrateProgram`: a plan's families as child migrations, each started only once every family
 * it depends on has completed; a family that rolls back stops its dependents. When a family did
 * not complete, the program ends as a failed workflow (`ProgramFailed`) naming the child, with
 * its progress in the details (runs recorded before `rolled-back-fails` complete instead).
 */
import {
  ApplicationFailure,
  ChildWorkflowFailure,
  ParentClosePolicy,
  condition,
  defineQuery,
  executeChild,
  log,
  patched,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import type { FamilyPlan } from '../plan/schema.js';
import { migrateFamily } from './migrate-family.js';
import type { MigrateFamilyInput, MigrationResult } from './migration-state.js';
import { migrationWorkflowId } from './messages.js';
import { FailureType } from './failures.js';

export interface MigrateProgramInput {
  plan: string;
  routerAdminUrl: string;
  /**
   * Each family's data plane members by family name (see `MigrateFamilyInput.routerAdminUrls`).
   * Absent from programs started before fleets. @default every family on [routerAdminUrl]
   */
  routerAdminUrls?: Record<string, string[]>;
  /** Each family's admin API timeout by family name (see `MigrateFamilyInput.adminTimeoutMs`). */
  adminTimeoutsMs?: Record<string, number>;
  temporalUiUrl: string;
  /** Families in the plan's order; dependencies are honoured whatever the order. */
  families: FamilyPlan[];
  historyLimit?: number;
}

export type FamilyOutcome = 'pending' | 'running' | 'completed' | 'rolled-back' | 'aborted' | 'skipped';

export interface ProgramProgress {
  plan: string;
  /** `failureType`: the type the child failed with (`MigrationRolledBack`, `MigrationAborted`, …). */
  families: { family: string; outcome: FamilyOutcome; reason?: string; workflowId?: string; failureType?: string }[];
}

export const programProgressQuery = defineQuery<ProgramProgress>('programProgress');
const NOT_COMPLETED: readonly FamilyOutcome[] = ['rolled-back', 'aborted', 'skipped'];

export async function migrateProgram(input: MigrateProgramInput): Promise<ProgramProgress> {
  const fails = patched('rolled-back-fails');
  type State = Omit<ProgramProgress['families'][number], 'family'>;
  const outcome = new Map<string, State>(input.families.map((f) => [f.name, { outcome: 'pending' }]));
  const snapshot = (): ProgramProgress => ({
    plan: input.plan,
    families: input.families.map((f) => ({ family: f.name, ...outcome.get(f.name)! })),
  });
  setHandler(programProgressQuery, snapshot, {
    description: "Each family's outcome so far: pending, running, completed, rolled-back, aborted or skipped.",
  });

  const running = new Set<Promise<void>>();
  const settled = (name: string): boolean => ['completed', ...NOT_COMPLETED].includes(outcome.get(name)!.outcome);
  for (;;) {
    for (const f of input.families) {
      if (outcome.get(f.name)!.outcome !== 'pending') continue;
      const failedDep = f.dependsOn.find((d) => NOT_COMPLETED.includes(outcome.get(d)?.outcome ?? 'pending'));
      if (failedDep) {
        const dep = outcome.get(failedDep)!;
        outcome.set(f.name, {
          outcome: 'skipped',
          reason: `dependency ${failedDep} did not complete (${dep.outcome}${dep.workflowId ? ` in ${dep.workflowId}` : ''})`,
        });
        continue;
      }
      if (!f.dependsOn.every((d) => outcome.get(d)?.outcome === 'completed')) continue;
      outcome.set(f.name, { outcome: 'running' });
      const p = runFamily(input, f).then((r) => {
        outcome.set(f.name, r);
        running.delete(p);
      });
      running.add(p);
    }
    if (input.families.every((f) => settled(f.name))) break;
    const before = running.size;
    await condition(() => running.size < before);
  }
  log.info('program finished', { plan: input.plan, workflowId: workflowInfo().workflowId });
  const result = snapshot();
  const failed = result.families.filter((f) => f.outcome === 'rolled-back' || f.outcome === 'aborted');
  if (fails && failed.length > 0) {
    const skipped = result.families.filter((f) => f.outcome === 'skipped').map((f) => f.family);
    throw ApplicationFailure.create({
      type: FailureType.ProgramFailed,
      message: [
        ...failed.map((f) => `${f.family} ${f.outcome} (${f.workflowId ?? '?'}): ${f.reason ?? ''}`),
        ...(skipped.length > 0 ? [`not started: ${skipped.join(', ')}`] : []),
      ].join('; '),
      nonRetryable: true,
      details: [result],
    });
  }
  return result;
}

async function runFamily(
  input: MigrateProgramInput,
  family: FamilyPlan,
): Promise<Omit<ProgramProgress['families'][number], 'family'>> {
  const childInput: MigrateFamilyInput = {
    plan: input.plan,
    routerAdminUrl: input.routerAdminUrls?.[family.name]?.[0] ?? input.routerAdminUrl,
    ...(input.routerAdminUrls?.[family.name] ? { routerAdminUrls: input.routerAdminUrls[family.name] } : {}),
    ...(input.adminTimeoutsMs?.[family.name] !== undefined
      ? { adminTimeoutMs: input.adminTimeoutsMs[family.name] }
      : {}),
    temporalUiUrl: input.temporalUiUrl,
    family,
    historyLimit: input.historyLimit,
  };
  const workflowId = migrationWorkflowId(family.name);
  try {
    const r: MigrationResult = await executeChild(migrateFamily, {
      workflowId,
      args: [childInput],
      parentClosePolicy: ParentClosePolicy.REQUEST_CANCEL,
      staticSummary: `Migrate ${family.name}: legacy → ${family.new}`,
    });
    return { outcome: r.outcome, reason: r.reason, workflowId, ...(r.type ? { failureType: r.type } : {}) };
  } catch (err) {
    // The child's own failure (`MigrationRolledBack`, `MigrationAborted`) says what happened to it.
    const cause = err instanceof ChildWorkflowFailure ? err.cause : err;
    const type = cause instanceof ApplicationFailure ? cause.type : undefined;
    return {
      outcome: type === FailureType.MigrationAborted ? 'aborted' : 'rolled-back',
      reason: cause instanceof Error ? cause.message : String(cause),
      workflowId,
      failureType: type ?? (cause instanceof Error ? cause.name : 'UnknownFailure'),
    };
  }
}
