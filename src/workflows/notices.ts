/**
 * The migration's side messages: Slack notices in its thread and the final report. Best effort:
 * a failure is logged and the migration goes on. Workflow code only.
 */
import { log, workflowInfo } from '@temporalio/workflow';
import type { ReportPaths } from '../activities/report.js';
import type { SlackMessageRef } from '../activities/slack.js';
import type { Migration } from './migration-state.js';
import { act } from './proxies.js';

/** Runs a side activity; its failure is logged and never fails the migration. */
export async function quietly<T>(m: Migration, fn: () => Promise<T>): Promise<T | undefined> {
  try {
    return await fn();
  } catch (err) {
    log.warn('side activity failed; the migration goes on', { family: m.family.name, error: (err as Error).message });
    return undefined;
  }
}

/** Posts a Slack notice in the migration's thread (the first one starts it). Never fails the migration. */
export async function notice(
  m: Migration,
  kind: 'started' | 'stage' | 'rollback' | 'reminder' | 'completed' | 'decommission',
  text: string,
): Promise<SlackMessageRef | undefined> {
  if (!m.family.slackChannel) return undefined;
  const ref: SlackMessageRef | null | undefined = await quietly(m, () =>
    act('notify', 'postMigrationNotice', `Slack: ${kind}`, {
      workflowId: m.progress.workflowId,
      family: m.family.name,
      channel: m.family.slackChannel,
      thread: m.thread,
      kind,
      text,
      alsoToChannel: kind === 'rollback' || kind === 'decommission',
      ...(kind === 'decommission' ? { rollbackButton: true } : {}),
    }),
  );
  if (kind === 'started' && ref) m.startThread(ref);
  return ref ?? undefined;
}

/** Writes the final report; a failure to write it is logged, never fatal. */
export async function writeReport(
  m: Migration,
  outcome: 'completed' | 'rolled-back',
): Promise<ReportPaths | undefined> {
  return quietly(m, () =>
    act('notify', 'writeReport', 'write the report', {
      workflowId: m.progress.workflowId,
      runId: workflowInfo().runId,
      outcome,
      progress: m.progress,
    }),
  );
}
