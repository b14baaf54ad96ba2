/** Waiting that wakes for an abort, and continue-as-new at a safe point. Workflow code only. */
import { allHandlersFinished, condition, continueAsNew, log, workflowInfo } from '@temporalio/workflow';
import type { Migration } from './migration-state.js';

const DEFAULT_HISTORY_LIMIT = 1500;

/** Waits up to `ms`, waking early only to abort. */
export async function waitOrAbort(m: Migration, ms: number, summary: string): Promise<void> {
  await condition(() => m.abortRequested !== undefined, Math.max(ms, 1), { summary });
  m.throwIfAborted();
}

/** Continues as new at a safe point when history grows long, carrying all state. */
export async function maybeContinueAsNew(m: Migration): Promise<void> {
  const info = workflowInfo();
  if (m.decision !== undefined) return;
  if (!info.continueAsNewSuggested && info.historyLength < (m.input.historyLimit ?? DEFAULT_HISTORY_LIMIT)) return;
  await condition(allHandlersFinished);
  log.info('continuing as new', { family: m.family.name, historyLength: info.historyLength });
  await continueAsNew<(input: typeof m.input) => Promise<unknown>>({ ...m.input, carry: m.carry() });
}
