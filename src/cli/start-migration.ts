/**
 * Starting migrations from code: one family (`migrateFamily`, id `phoenix-<family>`) or a whole
 * plan in dependency order (`migrateProgram`). Used by `phoenix start`, the demo and
 * `scripts/start-migration.ts`.
 */
import { WorkflowExecutionAlreadyStartedError, type Client, type WorkflowHandle } from '@temporalio/client';
import { dataPlaneMembers } from '../plan/data-plane-members.js';
import type { Plan } from '../plan/schema.js';
import { adminTimeoutOf, adminUrlOf } from '../plan/data-plane-of.js';
import { renderPlanDetails } from '../workflows/details.js';
import { migrationWorkflowId, programWorkflowId, TASK_QUEUE } from '../workflows/messages.js';
import { migrateFamily } from '../workflows/migrate-family.js';
import { migrateProgram } from '../workflows/migrate-program.js';
import { PhoenixFamily, PhoenixPercent, PhoenixPlan, PhoenixStage } from '../workflows/search-attributes.js';
import { searchAttributeStates } from '../lib/search-attributes-setup.js';
import { CliError, ExitCode } from './output.js';

export interface StartOptions {
  client: Client;
  plan: Plan;
  /** @default "phoenix" */
  taskQueue?: string;
  /** @default the Client's namespace */
  namespace?: string;
}

export interface Started<T> {
  handle: WorkflowHandle<T extends 'family' ? typeof migrateFamily : typeof migrateProgram>;
  workflowId: string;
  runId: string;
  /** The workflow in the Temporal Web UI. */
  uiUrl: string;
}

function uiUrl(plan: Plan, namespace: string, workflowId: string): string {
  return `${plan.temporalUiUrl.replace(/\/+$/, '')}/namespaces/${encodeURIComponent(namespace)}/workflows/${encodeURIComponent(workflowId)}`;
}

function alreadyRunning(what: string, workflowId: string, family?: string): CliError {
  return new CliError(
    'PHX_ERR_MIGRATION_ALREADY_RUNNING',
    `a migration of ${what} is already running (workflow ${workflowId}); see it with \`phoenix status${family ? ` ${family}` : ''}\` or stop it with \`phoenix abort ${family ?? '<family>'} --reason …\``,
    ExitCode.Conflict,
  );
}

/**
 * When a start failed because the namespace lacks Phoenix's search attributes (or has one with
 * another type), the error that says so and what to run; otherwise undefined.
 */
async function notSetUp(client: Client, namespace: string): Promise<CliError | undefined> {
  let states;
  try {
    states = await searchAttributeStates(client.connection, namespace);
  } catch {
    return undefined;
  }
  const missing = states.filter((s) => s.state === 'missing').map((s) => s.name);
  const conflicting = states.filter((s) => s.state === 'conflict').map((s) => `${s.name} (${s.actual}, not ${s.type})`);
  if (missing.length === 0 && conflicting.length === 0) return undefined;
  const what = [
    missing.length ? `lacks Phoenix's search attribute${missing.length > 1 ? 's' : ''} ${missing.join(', ')}` : '',
    conflicting.length ? `has ${conflicting.join(', ')} with another type` : '',
  ]
    .filter(Boolean)
    .join(' and ');
  return new CliError(
    'PHX_ERR_SEARCH_ATTRIBUTES_MISSING',
    `namespace ${namespace} ${what}; run \`phoenix setup\` once with the same TEMPORAL_* settings, then start again`,
    ExitCode.Failed,
    { missing, conflicting },
  );
}

/** What a successful start returns. */
function started<T>(
  o: StartOptions,
  handle: Started<T>['handle'] & { readonly firstExecutionRunId: string },
  workflowId: string,
): Started<T> {
  return {
    handle,
    workflowId,
    runId: handle.firstExecutionRunId,
    uiUrl: uiUrl(o.plan, o.namespace ?? o.client.options.namespace, workflowId),
  };
}

/** What a failed start throws: `alreadyRunning()`, the missing setup, or the error itself. */
async function startError(o: StartOptions, err: unknown, alreadyRunning: () => CliError): Promise<unknown> {
  if (err instanceof WorkflowExecutionAlreadyStartedError) return alreadyRunning();
  return (await notSetUp(o.client, o.namespace ?? o.client.options.namespace)) ?? err;
}

/** Starts the migration of one family. A running one for the family is refused. */
export async function startMigration(o: StartOptions & { family: string }): Promise<Started<'family'>> {
  const family = o.plan.families.find((f) => f.name === o.family);
  if (!family) {
    throw new CliError(
      'PHX_ERR_UNKNOWN_FAMILY',
      `the plan has no family "${o.family}" (families: ${o.plan.families.map((f) => f.name).join(', ')})`,
      ExitCode.NotFound,
    );
  }
  const workflowId = migrationWorkflowId(family.name);
  try {
    const handle = await o.client.workflow.start(migrateFamily, {
      taskQueue: o.taskQueue ?? TASK_QUEUE,
      workflowId,
      args: [
        {
          plan: o.plan.name,
          routerAdminUrl: adminUrlOf(o.plan, family.name),
          routerAdminUrls: dataPlaneMembers(o.plan, family.name),
          adminTimeoutMs: adminTimeoutOf(o.plan, family.name),
          temporalUiUrl: o.plan.temporalUiUrl,
          family,
        },
      ],
      staticSummary: `Migrate ${family.name}: legacy → ${new URL(family.new).host}`,
      staticDetails: renderPlanDetails(family),
      typedSearchAttributes: [
        { key: PhoenixFamily, value: family.name },
        { key: PhoenixPlan, value: o.plan.name },
        { key: PhoenixStage, value: 'preflight' },
        { key: PhoenixPercent, value: 0 },
      ],
    });
    return started(o, handle, workflowId);
  } catch (err) {
    throw await startError(o, err, () => alreadyRunning(`"${family.name}"`, workflowId, family.name));
  }
}

/** Starts the whole plan: families run in dependency order as child migrations. */
export async function startProgram(o: StartOptions): Promise<Started<'program'>> {
  const workflowId = programWorkflowId(o.plan.name);
  try {
    const handle = await o.client.workflow.start(migrateProgram, {
      taskQueue: o.taskQueue ?? TASK_QUEUE,
      workflowId,
      args: [
        {
          plan: o.plan.name,
          routerAdminUrl: o.plan.router.adminUrl,
          routerAdminUrls: Object.fromEntries(o.plan.families.map((f) => [f.name, dataPlaneMembers(o.plan, f.name)])),
          adminTimeoutsMs: Object.fromEntries(o.plan.families.map((f) => [f.name, adminTimeoutOf(o.plan, f.name)])),
          temporalUiUrl: o.plan.temporalUiUrl,
          families: o.plan.families,
        },
      ],
      staticSummary: `Migrate plan ${o.plan.name}: ${o.plan.families.map((f) => f.name).join(', ')}`,
      typedSearchAttributes: [{ key: PhoenixPlan, value: o.plan.name }],
    });
    return started(o, handle, workflowId);
  } catch (err) {
    throw await startError(o, err, () => alreadyRunning(`plan "${o.plan.name}"`, workflowId));
  }
}
