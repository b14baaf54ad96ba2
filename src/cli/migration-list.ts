/**
 * The list `phoenix status` shows without a family: every family's migration run with its run
 * id, start time and outcome, newest first, the latest run per family unless all are asked for.
 */
import type { Client, WorkflowExecutionInfo } from '@temporalio/client';
import { migrationResult, outcomeOf as endingOf } from '../lib/migration-outcome.js';
import { PhoenixFamily, PhoenixPercent, PhoenixStage } from '../workflows/search-attributes.js';

/** One migration run. */
export interface MigrationRow {
  family: string;
  workflowId: string;
  runId: string;
  /** ISO 8601. */
  startedAt: string;
  /** ISO 8601; null while running. */
  closedAt: string | null;
  /**
   * `running`, `completed`, `rolled-back` or `aborted` (read from the run's result, which a
   * rolled-back run carries in its failure), else Temporal's status for a run that ended otherwise:
   * `failed`, `terminated`, `canceled`, `timed_out`.
   */
  outcome: string;
  /** Temporal's status of the run, lower case. */
  status: string;
  stage: string;
  percent: number;
}

/** Most rows read from Temporal's visibility store. */
const MAX_ROWS = 500;

async function outcomeOf(client: Client, w: WorkflowExecutionInfo, stage: string | undefined): Promise<string> {
  const status = w.status.name.toLowerCase();
  if (status === 'running') return 'running';
  if (status === 'completed' && stage === 'completed') return 'completed';
  // A rolled-back run fails (older ones completed); its result, in the failure's details, says
  // whether it was rolled back or aborted.
  if (status !== 'completed' && status !== 'failed') return status;
  try {
    return endingOf(await migrationResult(client.workflow.getHandle(w.workflowId, w.runId)));
  } catch {
    return status;
  }
}

/** Phoenix's family migrations, newest first; with `allRuns` every run, else each family's latest. */
export async function listMigrations(client: Client, options: { allRuns?: boolean } = {}): Promise<MigrationRow[]> {
  const infos: WorkflowExecutionInfo[] = [];
  for await (const w of client.workflow.list({ query: `WorkflowType = 'migrateFamily'` })) {
    infos.push(w);
    if (infos.length >= MAX_ROWS) break;
  }
  infos.sort((a, b) => b.startTime.getTime() - a.startTime.getTime());
  const seen = new Set<string>();
  const rows: MigrationRow[] = [];
  for (const w of infos) {
    const family = w.typedSearchAttributes.get(PhoenixFamily) ?? w.workflowId.replace(/^phoenix-/, '');
    if (!options.allRuns && seen.has(family)) continue;
    seen.add(family);
    const stage = w.typedSearchAttributes.get(PhoenixStage);
    rows.push({
      family,
      workflowId: w.workflowId,
      runId: w.runId,
      startedAt: w.startTime.toISOString(),
      closedAt: w.closeTime?.toISOString() ?? null,
      outcome: await outcomeOf(client, w, stage),
      status: w.status.name.toLowerCase(),
      stage: stage ?? '—',
      percent: w.typedSearchAttributes.get(PhoenixPercent) ?? 0,
    });
  }
  return rows;
}

/** The list as text, one run a line. */
export function renderMigrationList(rows: readonly MigrationRow[]): string {
  if (rows.length === 0) return 'no migrations yet (start one with `phoenix start <family> --plan <plan>`)';
  const header = `${'FAMILY'.padEnd(20)} ${'OUTCOME'.padEnd(12)} ${'STAGE'.padEnd(18)} ${'NEW'.padStart(4)}  ${'STARTED (UTC)'.padEnd(19)}  RUN ID`;
  return [
    header,
    ...rows.map(
      (r) =>
        `${r.family.padEnd(20)} ${r.outcome.padEnd(12)} ${r.stage.padEnd(18)} ${`${r.percent}%`.padStart(4)}  ${r.startedAt.slice(0, 19).replace('T', ' ')}  ${r.runId}`,
    ),
  ].join('\n');
}
