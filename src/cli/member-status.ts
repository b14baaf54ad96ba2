/**
 * `phoenix status <family>`'s data plane part: each member of the family's data plane with the
 * route and guard it serves now. The members are read from the migration's own input, so they
 * are the ones its workflow drives (the plan may have changed since). A member that does not
 * answer is shown as down, never an error of the command.
 */
import type { Client, WorkflowHandle } from '@temporalio/client';
import { PhoenixError } from '../lib/errors.js';
import type { GuardState, RouteState } from '../router/types.js';
import type { MigrateFamilyInput } from '../workflows/carried-state.js';

/** One member as `phoenix status` shows it. */
export interface MemberStatus {
  adminUrl: string;
  /** Its admin API answered (even with an error such as a refused token). */
  reachable: boolean;
  /** The family's route on it, when it gave one. */
  route?: RouteState;
  /** The family's guard on it, when it gave one. */
  guard?: GuardState;
  /** Why no route is shown: the `PHX_ERR_*` code and message. */
  error?: { code: string; message: string };
}

/** The family's data plane as the migration drives it. */
export interface DataPlaneStatus {
  members: MemberStatus[];
}

/** The data plane part of a run's input: where its activities go, and the admin timeout. */
export type RunTarget = Pick<MigrateFamilyInput, 'routerAdminUrl' | 'routerAdminUrls' | 'adminTimeoutMs'>;

/**
 * The input the latest run of the migration started with (its first history event, one event
 * read): after continue-as-new, the current run's, which carries the same members.
 */
export async function runTarget(
  client: Client,
  handle: Pick<WorkflowHandle, 'workflowId'>,
): Promise<RunTarget | undefined> {
  const res = await client.workflowService.getWorkflowExecutionHistory({
    namespace: client.options.namespace,
    execution: { workflowId: handle.workflowId },
    maximumPageSize: 1,
  });
  const payload = res.history?.events?.[0]?.workflowExecutionStartedEventAttributes?.input?.payloads?.[0];
  if (!payload) return undefined;
  const converter = client.options.loadedDataConverter;
  let decoded = [payload];
  for (const codec of [...converter.payloadCodecs].reverse()) decoded = await codec.decode(decoded);
  return converter.payloadConverter.fromPayload<RunTarget>(decoded[0]!);
}

/** The members a run drives: `routerAdminUrls`, or the one router of runs started before fleets. */
export function runMembers(t: RunTarget): string[] {
  return t.routerAdminUrls && t.routerAdminUrls.length > 0 ? t.routerAdminUrls : [t.routerAdminUrl];
}

/** Each member's route and guard for `family`, read at once; a failing member is shown with its error. */
export async function readMemberStatus(
  urls: readonly string[],
  family: string,
  o: { token?: string; timeoutMs?: number },
): Promise<DataPlaneStatus> {
  // undici only when there are members to read: not for a family without a migration, nor a list.
  const { createRouterAdminClient } = await import('../router/client.js');
  const members = await Promise.all(
    urls.map(async (adminUrl): Promise<MemberStatus> => {
      const admin = createRouterAdminClient({
        baseUrl: adminUrl,
        token: o.token,
        ...(o.timeoutMs !== undefined ? { timeoutMs: o.timeoutMs } : {}),
      });
      try {
        const [route, guard] = await Promise.all([admin.getRoute(family), admin.getGuard(family)]);
        return { adminUrl, reachable: true, route, guard };
      } catch (err) {
        const code = err instanceof PhoenixError ? err.code : 'PHX_ERR_ROUTER_ADMIN';
        const message = err instanceof Error ? err.message : String(err);
        return { adminUrl, reachable: code !== 'PHX_ERR_ROUTER_UNREACHABLE', error: { code, message } };
      } finally {
        await admin.close();
      }
    }),
  );
  return { members };
}

/** One line per member, with a first line saying when members differ or some are down. */
export function memberStatusText(s: DataPlaneStatus): string {
  const served = s.members.filter((m) => m.route !== undefined);
  const first = served[0]?.route;
  const same = served.every(
    (m) => m.route!.mode === first?.mode && m.route!.percent === first.percent && !m.guard?.tripped,
  );
  const down = s.members.filter((m) => !m.reachable).length;
  const notes = [...(down > 0 ? [`${down} down`] : []), ...(served.length > 1 && !same ? ['they differ'] : [])];
  const head = `data plane: ${s.members.length} member${s.members.length === 1 ? '' : 's'}${notes.length > 0 ? ` (${notes.join(', ')})` : ''}`;
  return [head, ...s.members.map(memberLine)].join('\n');
}

function memberLine(m: MemberStatus): string {
  if (m.route) {
    const r = m.route;
    const mode = `${r.mode}${r.mode === 'canary' ? ` ${r.percent}%` : ''}`;
    const guard = m.guard?.tripped ? `, guard tripped: ${m.guard.reason ?? 'no reason'}` : '';
    return `  ${m.adminUrl}  ${mode} (version ${r.version})${guard}`;
  }
  return `  ${m.adminUrl}  ${m.reachable ? 'error' : 'down'}: ${m.error?.code ?? 'PHX_ERR_ROUTER_ADMIN'} ${m.error?.message ?? ''}`.trimEnd();
}
