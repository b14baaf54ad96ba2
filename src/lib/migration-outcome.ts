/**
 * Reading how a migration ended. A rolled-back or aborted migration ends as a failed workflow
 * (`MigrationRolledBack`, `MigrationAborted`) whose first detail is its `MigrationResult`; runs
 * from before that change completed with the result. Callers get the result either way.
 */
import { WorkflowFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { FailureType } from '../workflows/failures.js';
import type { MigrationResult } from '../workflows/migration-state.js';
import type { ProgramProgress } from '../workflows/migrate-program.js';

/** How a family's migration ended, as `phoenix status` and the demo tell it. */
export type MigrationOutcome = 'completed' | 'rolled-back' | 'aborted';

const ENDINGS: readonly string[] = [FailureType.MigrationRolledBack, FailureType.MigrationAborted];

/** The `MigrationResult` a failed migration carries, or undefined when `err` is another failure. */
export function rolledBackResult(err: unknown): MigrationResult | undefined {
  const cause = err instanceof WorkflowFailedError ? err.cause : err;
  if (!(cause instanceof ApplicationFailure) || !ENDINGS.includes(cause.type ?? '')) return undefined;
  const result = cause.details?.[0] as MigrationResult | undefined;
  // An abort during the wait for retry ends a run rolled back for another reason: the abort is how it ended.
  if (result && cause.type === FailureType.MigrationAborted && result.reason !== cause.message)
    return { ...result, type: FailureType.Aborted, reason: cause.message };
  return result;
}

/** The program's progress a failed program carries (`ProgramFailed`), or undefined. */
export function failedProgram(err: unknown): ProgramProgress | undefined {
  const cause = err instanceof WorkflowFailedError ? err.cause : err;
  if (!(cause instanceof ApplicationFailure) || cause.type !== FailureType.ProgramFailed) return undefined;
  return cause.details?.[0] as ProgramProgress | undefined;
}

/** The result of a finished migration, whether it completed or rolled back; other failures throw. */
export async function migrationResult(handle: { result(): Promise<unknown> }): Promise<MigrationResult> {
  try {
    return (await handle.result()) as MigrationResult;
  } catch (err) {
    const r = rolledBackResult(err);
    if (r) return r;
    throw err;
  }
}

/** The program's final progress, whether every family completed or not; other failures throw. */
export async function programResult(handle: { result(): Promise<unknown> }): Promise<ProgramProgress> {
  try {
    return (await handle.result()) as ProgramProgress;
  } catch (err) {
    const r = failedProgram(err);
    if (r) return r;
    throw err;
  }
}

/** Completed, rolled back or aborted: an abort is told by its rollback's type (`Aborted`). */
export function outcomeOf(result: Pick<MigrationResult, 'outcome' | 'type'>): MigrationOutcome {
  if (result.outcome === 'completed') return 'completed';
  return result.type === FailureType.Aborted ? 'aborted' : 'rolled-back';
}
