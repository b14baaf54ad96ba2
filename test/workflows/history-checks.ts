/** Checks on a finished migration's history: what the Temporal UI shows of it. */
import assert from 'node:assert/strict';
import { closeOf, latestRun, type UiRun } from '../../scripts/browser/ui-api.js';
import { waitFor } from '../helpers/wait.js';
import type { MigrationHandle } from './harness.js';

interface Definition {
  name: string;
  description?: string;
}
interface WorkflowMetadata {
  definition: { queryDefinitions: Definition[]; signalDefinitions: Definition[]; updateDefinitions: Definition[] };
}

/** Phoenix's messages of a family migration; the UI lists them with their descriptions. */
export const MIGRATION_MESSAGES = {
  queries: ['progress'],
  signals: ['abort', 'pause', 'resume', 'retry'],
  updates: ['approve', 'reject', 'rollback', 'triage'],
};

/**
 * The run's queries, signals and updates as the SDK reports them to the UI (the built-in
 * `__temporal_workflow_metadata` query); asserts each of Phoenix's own carries a description.
 */
export async function assertDescribedMessages(handle: MigrationHandle): Promise<void> {
  const meta = (await handle.query<WorkflowMetadata>('__temporal_workflow_metadata')).definition;
  const own = (defs: Definition[]): Definition[] => defs.filter((d) => !d.name.startsWith('__'));
  const names = (defs: Definition[]): string[] =>
    own(defs)
      .map((d) => d.name)
      .sort();
  assert.deepEqual(names(meta.queryDefinitions), MIGRATION_MESSAGES.queries);
  assert.deepEqual(names(meta.signalDefinitions), MIGRATION_MESSAGES.signals);
  assert.deepEqual(names(meta.updateDefinitions), MIGRATION_MESSAGES.updates);
  for (const d of [...meta.queryDefinitions, ...meta.signalDefinitions, ...meta.updateDefinitions]) {
    if (d.name.startsWith('__')) continue;
    assert.ok((d.description ?? '').length > 20, `"${d.name}" has a description: ${JSON.stringify(d)}`);
  }
}

/**
 * The search-attribute upserts of the history, each as comparable text, in order; asserts no
 * upsert repeats the one before it.
 */
export async function assertNoRepeatedUpserts(handle: MigrationHandle): Promise<string[]> {
  const history = await handle.fetchHistory();
  const upserts: string[] = [];
  for (const e of history.events ?? []) {
    const fields = e.upsertWorkflowSearchAttributesEventAttributes?.searchAttributes?.indexedFields;
    if (!fields) continue;
    const text = Object.keys(fields)
      .sort()
      .map((k) => `${k}=${Buffer.from(fields[k]!.data ?? new Uint8Array()).toString('utf8')}`)
      .join(' ');
    upserts.push(text);
  }
  assert.ok(upserts.length > 0, 'the run upserted its search attributes');
  for (let i = 1; i < upserts.length; i++)
    assert.notEqual(upserts[i], upserts[i - 1], `upserts ${i - 1} and ${i} are identical: ${upserts[i]}`);
  return upserts;
}

/**
 * What the Temporal Web UI shows of a finished run, read through the UI server's own HTTP API
 * (the calls its pages make): the list row's status and memo, and a failed run's failure as its
 * page shows it. Waits for the list, which follows the run's close with a little lag.
 */
export async function assertUiShows(
  uiUrl: string,
  handle: MigrationHandle,
  expected: { status: 'COMPLETED' | 'FAILED'; memo: unknown; failure?: { type: string; message: string } },
): Promise<UiRun> {
  const { runId } = await handle.describe();
  const row = await waitFor(
    `the UI to list ${handle.workflowId} as ${expected.status}`,
    async () => {
      const r = await latestRun(uiUrl, handle.workflowId);
      return r?.runId === runId && r.status !== 'RUNNING' ? r : undefined;
    },
    { timeoutMs: 15_000, intervalMs: 200 },
  );
  assert.equal(row.status, expected.status, `the UI's list shows ${handle.workflowId} as ${row.status}`);
  assert.equal(row.type, 'migrateFamily');
  assert.deepEqual(row.memo, expected.memo, "the UI's Memo");
  const close = await closeOf(uiUrl, row);
  assert.equal(close.status, expected.status);
  assert.deepEqual(close.failure, expected.failure, "the failure the run's page shows");
  return row;
}
