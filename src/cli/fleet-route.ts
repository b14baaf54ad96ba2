/**
 * `phoenix route` on a fleet (`dataPlane.members`): read every member's route, and set one on
 * every member with one version, or on none when a member does not answer.
 */
import { PhoenixError, hasCode } from '../lib/errors.js';
import { fleetCopies } from '../plan/shared-digest.js';
import type { RouterAdminClient, RouteMode, RouteState } from '../router/client.js';
import type { GuardState } from '../router/types.js';
import { CliError, ExitCode } from './output.js';

/** One member of the fleet with its admin client. */
export interface FleetMember {
  url: string;
  admin: RouterAdminClient;
}

/** A member's route and guard, as it serves them now. */
export interface MemberRoute {
  adminUrl: string;
  route: RouteState;
  guard: GuardState;
}

/** Runs `call` on every member; fails naming each member that did not answer, before anything else happens. */
export async function everyMember<T>(
  members: readonly FleetMember[],
  call: (m: FleetMember) => Promise<T>,
  what: string,
): Promise<T[]> {
  const settled = await Promise.allSettled(members.map(call));
  const down = settled.flatMap((s, i) =>
    s.status === 'rejected' && hasCode(s.reason, 'PHX_ERR_ROUTER_UNREACHABLE') ? [members[i]!.url] : [],
  );
  if (down.length > 0)
    throw new CliError(
      'PHX_ERR_FLEET_MEMBER_DOWN',
      `fleet member${down.length === 1 ? '' : 's'} ${down.join(', ')} did not answer; ${what}`,
      ExitCode.Unavailable,
      { members: down },
    );
  return settled.map((s, i) => {
    if (s.status === 'fulfilled') return s.value;
    const err = s.reason as unknown;
    if (err instanceof PhoenixError)
      throw new PhoenixError(
        err.code,
        `fleet member ${members[i]!.url}: ${err.message}`,
        err.details ? { ...err.details } : undefined,
      );
    throw err;
  });
}

/** Every member's route and guard for `family`. */
export async function readFleetRoute(members: readonly FleetMember[], family: string): Promise<MemberRoute[]> {
  return everyMember(
    members,
    async (m) => {
      const [route, guard] = await Promise.all([m.admin.getRoute(family), m.admin.getGuard(family)]);
      return { adminUrl: m.url, route, guard };
    },
    'nothing was read; start it or leave it out of dataPlane.members',
  );
}

/**
 * Refuses a change when the members hold different copies of the plan (they would route, guard
 * or compare the family differently), as a migration's step is refused; members that serve no
 * digest are not compared.
 */
async function refuseDifferentPlans(members: readonly FleetMember[], what: string): Promise<void> {
  const digests = await everyMember(members, (m) => m.admin.getPlanDigest(), 'no member was changed');
  const copies = fleetCopies(
    digests.map((value, i) => ({ url: members[i]!.url, value })),
    what,
  );
  if (copies === undefined) return;
  throw new CliError('PHX_ERR_FLEET_PLAN_MISMATCH', copies.message, ExitCode.Conflict, {
    reference: copies.reference,
    differences: copies.differences,
  });
}

/**
 * Sets `family`'s route on every member, one version above the highest any member holds. A member
 * that does not answer when the routes are read stops it before any member is changed; one retry
 * covers a change that landed in between. Members holding different copies of the plan stop any
 * mode but `legacy`, which is never refused (as a migration's rollback is not).
 */
export async function setFleetRoute(
  members: readonly FleetMember[],
  family: string,
  mode: RouteMode,
  percent: number,
): Promise<MemberRoute[]> {
  if (mode !== 'legacy')
    await refuseDifferentPlans(members, `${mode === 'canary' ? `canary ${percent}%` : mode} of "${family}"`);
  for (let attempt = 0; ; attempt++) {
    const now = await everyMember(members, (m) => m.admin.getRoute(family), 'no member was changed');
    const version = Math.max(...now.map((r) => r.version)) + 1;
    try {
      const set = await everyMember(
        members,
        (m) => m.admin.setRoute(family, { mode, percent, version, updatedBy: 'phoenix route set' }),
        'the others have the new route: run the command again once it is back',
      );
      const guards = await everyMember(members, (m) => m.admin.getGuard(family), 'the route is set on every member');
      return set.map((route, i) => ({ adminUrl: members[i]!.url, route, guard: guards[i]! }));
    } catch (err) {
      if (attempt > 0 || !hasCode(err, 'PHX_ERR_ROUTE_STALE_VERSION')) throw err;
    }
  }
}

/** One line per member: `http://a:9090  canary 25% (version 7)`, with a tripped guard said. */
export function fleetRouteText(family: string, routes: readonly MemberRoute[]): string {
  const lines = routes.map(
    (r) =>
      `  ${r.adminUrl}  ${r.route.mode}${r.route.mode === 'canary' ? ` ${r.route.percent}%` : ''} (version ${r.route.version})${r.guard.tripped ? `, guard tripped: ${r.guard.reason ?? 'no reason'}` : ''}`,
  );
  const same = routes.every(
    (r) => r.route.mode === routes[0]!.route.mode && r.route.percent === routes[0]!.route.percent && !r.guard.tripped,
  );
  return [`${family} on ${routes.length} members${same ? '' : ' (they differ)'}:`, ...lines].join('\n');
}
