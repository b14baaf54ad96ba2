/**
 * The Temporal Web UI's own HTTP API (`/api/v1/…`, what the UI's pages fetch), read the way the
 * UI reads it: list rows, a run's memo and the event that closed it. Used by the browser check
 * and by the tests that assert what the UI shows of a migration.
 */
import { request } from 'undici';

/** A workflow run as the UI's list shows it. */
export interface UiRun {
  workflowId: string;
  runId: string;
  type: string;
  /** `COMPLETED`, `FAILED`, `RUNNING`, … (the API's enum without its prefix). */
  status: string;
  startTime: string;
  /** The memo's fields, JSON payloads decoded; others left out. */
  memo: Record<string, unknown>;
}

/** How a closed run ended, from its close event. */
export interface UiClose {
  status: string;
  /** The failure of a failed run: its message and, for an ApplicationFailure, its type. */
  failure?: { message: string; type?: string };
}

interface Payload {
  metadata?: Record<string, string>;
  data?: string;
}
interface ExecutionJson {
  execution: { workflowId: string; runId: string };
  type: { name: string };
  status: string;
  startTime: string;
  memo?: { fields?: Record<string, Payload> };
}
interface EventJson {
  eventType: string;
  workflowExecutionFailedEventAttributes?: {
    failure?: { message?: string; applicationFailureInfo?: { type?: string } };
  };
}

const b64 = (s: string | undefined): string => Buffer.from(s ?? '', 'base64').toString('utf8');

function decodeMemo(fields: Record<string, Payload> | undefined): Record<string, unknown> {
  const memo: Record<string, unknown> = {};
  for (const [k, p] of Object.entries(fields ?? {}))
    if (b64(p.metadata?.encoding) === 'json/plain') memo[k] = JSON.parse(b64(p.data));
  return memo;
}

async function getJson<T>(url: string): Promise<T> {
  const res = await request(url, { headers: { accept: 'application/json' } });
  const text = await res.body.text();
  if (res.statusCode !== 200) throw new Error(`GET ${url} answered ${res.statusCode}: ${text.slice(0, 300)}`);
  return JSON.parse(text) as T;
}

/** The runs the UI's list shows for a list-filter `query`, newest first. */
export async function listRuns(uiUrl: string, query: string, namespace = 'default'): Promise<UiRun[]> {
  const url = `${uiUrl}/api/v1/namespaces/${encodeURIComponent(namespace)}/workflows?query=${encodeURIComponent(query)}`;
  const body = await getJson<{ executions?: ExecutionJson[] }>(url);
  return (body.executions ?? [])
    .map((e) => ({
      workflowId: e.execution.workflowId,
      runId: e.execution.runId,
      type: e.type.name,
      status: e.status.replace(/^WORKFLOW_EXECUTION_STATUS_/, ''),
      startTime: e.startTime,
      memo: decodeMemo(e.memo?.fields),
    }))
    .sort((a, b) => Date.parse(b.startTime) - Date.parse(a.startTime));
}

/** The newest run of `workflowId`, or undefined when the UI lists none. */
export async function latestRun(uiUrl: string, workflowId: string, namespace = 'default'): Promise<UiRun | undefined> {
  return (await listRuns(uiUrl, `WorkflowId = '${workflowId.replace(/'/g, "\\'")}'`, namespace))[0];
}

/** How the run ended, from the close event the run's page shows. */
export async function closeOf(
  uiUrl: string,
  run: Pick<UiRun, 'workflowId' | 'runId'>,
  namespace = 'default',
): Promise<UiClose> {
  const url =
    `${uiUrl}/api/v1/namespaces/${encodeURIComponent(namespace)}/workflows/${encodeURIComponent(run.workflowId)}/history` +
    `?execution.runId=${encodeURIComponent(run.runId)}&historyEventFilterType=HISTORY_EVENT_FILTER_TYPE_CLOSE_EVENT`;
  const body = await getJson<{ history?: { events?: EventJson[] } }>(url);
  const event = body.history?.events?.at(-1);
  if (!event)
    throw new Error(`the UI shows no close event for ${run.workflowId} (run ${run.runId}); is it still running?`);
  const status = event.eventType.replace(/^EVENT_TYPE_WORKFLOW_EXECUTION_/, '');
  const failure = event.workflowExecutionFailedEventAttributes?.failure;
  return failure
    ? { status, failure: { message: failure.message ?? '', type: failure.applicationFailureInfo?.type } }
    : { status };
}

/**
 * Resolves once the UI's API answers a list request; the UI server starts before its connection
 * to the Temporal frontend is up, and answers 503 until then.
 * @param timeoutMs @default 30000
 */
export async function uiReady(uiUrl: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      await listRuns(uiUrl, `WorkflowId = 'phoenix-ui-ready'`);
      return;
    } catch (err) {
      if (Date.now() > deadline)
        throw new Error(`the Temporal UI's API did not answer within ${timeoutMs} ms: ${(err as Error).message}`, {
          cause: err,
        });
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }
}
