/**
 * Reading a family's records from every member of its data plane (`dataPlane.members`) for the
 * CLI: which members a command reads, and one admin call on each, with its own client.
 */
import { adminTimeoutOf, dataPlaneMembers, type Plan } from '../plan/index.js';
import { createRouterAdminClient, type RouterAdminClient } from '../router/client.js';
import type { FromMember } from '../router/merge-records.js';
import { everyMember, type FleetMember } from './fleet-route.js';

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
  call: (admin: RouterAdminClient) => Promise<T>,
  what: string,
): Promise<FromMember<T>[]> {
  return withClients(t, token, async (members) => {
    if (members.length === 1) return [{ adminUrl: members[0]!.url, value: await call(members[0]!.admin) }];
    const values = await everyMember(members, (m) => call(m.admin), what);
    return values.map((value, i) => ({ adminUrl: members[i]!.url, value }));
  });
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
