/**
 * Reading a family's records from every member of its data plane (`dataPlane.members`) for the
 * CLI: which members a command reads, and one admin call on each, with its own client.
 */
import { adminTimeoutOf, dataPlaneMembers, type Plan } from '../plan/index.js';
import { createRouterAdminClient, type RecordKind, type RecordOf, type RouterAdminClient } from '../router/client.js';
import { mergeNewestPages, mergePagesAfter, type FleetRecordPage, type FromMember } from '../router/merge-records.js';
import { everyMember, type FleetMember } from './fleet-route.js';
import { CliError, ExitCode } from './output.js';

/** The admin APIs a command reads, and the timeout of one call. */
export interface ReadTarget {
  urls: string[];
  /** @default the plan's `dataPlane.adminTimeout`, else 3000 (ms) */
  timeoutMs?: number;
}

/**
 * `--router-url` alone when given; else every member of the family's data plane in the plan
 * (a family the plan does not name: `router.adminUrl`, for the router to refuse); else `fallback`.
 */
export function readTarget(family: string, o: { routerUrl?: string; plan?: Plan }, fallback: string): ReadTarget {
  if (o.routerUrl) return { urls: [o.routerUrl], ...(o.plan ? { timeoutMs: adminTimeoutOf(o.plan, family) } : {}) };
  if (!o.plan) return { urls: [fallback] };
  if (!o.plan.families.some((f) => f.name === family)) return { urls: [o.plan.router.adminUrl] };
  return { urls: dataPlaneMembers(o.plan, family), timeoutMs: adminTimeoutOf(o.plan, family) };
}

/** Runs `body` with an admin client per member (with the target's timeout), closing them after. */
export async function withClients<T>(
  t: ReadTarget,
  token: string | undefined,
  body: (members: FleetMember[]) => Promise<T>,
): Promise<T> {
  const members = t.urls.map((url) => ({
    url,
    admin: createRouterAdminClient({
      baseUrl: url,
      token,
      ...(t.timeoutMs !== undefined ? { timeoutMs: t.timeoutMs } : {}),
    }),
  }));
  try {
    return await body(members);
  } finally {
    await Promise.all(members.map((m) => m.admin.close()));
  }
}

/**
 * `call` on every member. One router's error is thrown as it is; in a fleet, members that do not
 * answer make `PHX_ERR_FLEET_MEMBER_DOWN` (exit 3) naming each, and any other error names its member.
 * @param what what the failure means, for its message ("nothing was listed")
 */
export async function readEveryMember<T>(
  t: ReadTarget,
  token: string | undefined,
  call: (admin: RouterAdminClient, member: number) => Promise<T>,
  what: string,
): Promise<FromMember<T>[]> {
  return withClients(t, token, async (members) => {
    if (members.length === 1) return [{ adminUrl: members[0]!.url, value: await call(members[0]!.admin, 0) }];
    const values = await everyMember(members, (m) => call(m.admin, members.indexOf(m)), what);
    return values.map((value, i) => ({ adminUrl: members[i]!.url, value }));
  });
}

/**
 * Parses a cursor a fleet page printed (`--after`): one `seq` per member, in the plan's member
 * order, separated by ","; `0` alone starts every member from its oldest record.
 */
export function parseCursor(text: string, members: number): number[] {
  const parts = text.split(',').map((p) => p.trim());
  if (parts.some((p) => !/^\d+$/.test(p)))
    throw new CliError(
      'PHX_ERR_CLI_BAD_FLAG',
      `--after: expected the cursor a previous page printed (whole numbers separated by ","), or 0, got "${text}"`,
      ExitCode.Usage,
    );
  if (parts.length === 1 && parts[0] === '0') return Array.from({ length: members }, () => 0);
  if (parts.length !== members)
    throw new CliError(
      'PHX_ERR_CLI_BAD_FLAG',
      `--after: the cursor has ${parts.length} position${parts.length === 1 ? '' : 's'}, but the family's data plane has ${members} member${members === 1 ? '' : 's'}; start again with --after 0`,
      ExitCode.Usage,
    );
  return parts.map(Number);
}

/**
 * One page of a record list (`mismatches`, `informational`, `samples`) from every member, with a
 * cursor per member: without `after`, every member's newest, newest first; with `after` (a
 * cursor from {@link parseCursor}), the records after each member's part of it, oldest first. A
 * member that does not answer fails it (`PHX_ERR_FLEET_MEMBER_DOWN`, exit 3).
 * @param limit records in all @default every record each member gives (its `router.records`)
 */
export async function readRecordPage<K extends RecordKind>(
  t: ReadTarget,
  token: string | undefined,
  family: string,
  kind: K,
  o: { after?: number[]; limit?: number } = {},
): Promise<FleetRecordPage<RecordOf<K>>> {
  const { after, limit } = o;
  const pages = await readEveryMember(
    t,
    token,
    (admin, i) =>
      admin.pageRecords(family, kind, {
        ...(after ? { after: after[i]! } : {}),
        ...(limit !== undefined ? { limit } : {}),
      }),
    'nothing was listed; run it again once the member is back (the same --after), or read one member with --router-url',
  );
  return after ? mergePagesAfter(pages, after, limit ?? Infinity) : mergeNewestPages(pages, limit ?? Infinity);
}

/** `call` on every member; only the answers of those that gave one (for lookups that are a convenience). */
export async function readAnswering<T>(
  t: ReadTarget,
  token: string | undefined,
  call: (admin: RouterAdminClient) => Promise<T>,
): Promise<FromMember<T>[]> {
  return withClients(t, token, async (members) => {
    const settled = await Promise.allSettled(members.map((m) => call(m.admin)));
    return settled.flatMap((s, i) => (s.status === 'fulfilled' ? [{ adminUrl: members[i]!.url, value: s.value }] : []));
  });
}
