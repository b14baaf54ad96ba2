/**
 * A fleet's route and guard as one: what the workflow reads when every member of the data plane
 * answered. Pure.
 */
import { ApplicationFailure } from '@temporalio/activity';
import type { GuardState, RouteState } from '../router/types.js';
import { FailureType } from '../workflows/failures.js';

/** Where an activity finds the family's data plane. */
export interface FleetTarget {
  /** The admin API URL of every member (`dataPlane.members`). */
  adminUrls?: string[];
  /** The one router of runs started before fleets; used when `adminUrls` is absent. */
  adminUrl?: string;
  /**
   * Timeout of one admin API call (`dataPlane.adminTimeout`, ms). Absent from runs started
   * before it: the worker's `adminTimeoutMs`. @default 3000 (ms)
   */
  adminTimeoutMs?: number;
}

/** One member's answer, named by its admin URL. */
export interface MemberAnswer<T> {
  url: string;
  value: T;
}

/**
 * The members an activity drives: `adminUrls`, or the one `adminUrl` of runs started before
 * fleets (their histories carry only that).
 */
export function membersOf(t: FleetTarget): string[] {
  if (t.adminUrls && t.adminUrls.length > 0) return t.adminUrls;
  if (t.adminUrl) return [t.adminUrl];
  throw ApplicationFailure.create({
    type: FailureType.InvalidInput,
    nonRetryable: true,
    message: 'the activity names no data plane: neither adminUrls nor adminUrl is set',
  });
}

/**
 * The route every member has acknowledged: the one with the lowest version (the first such
 * member). A step counts only once every member serves it, so a member that lags speaks for the
 * fleet.
 */
export function fleetRoute(routes: readonly MemberAnswer<RouteState>[]): RouteState {
  let low = routes[0]!;
  for (const r of routes) if (r.value.version < low.value.version) low = r;
  return low.value;
}

/**
 * The route preflight reports: a member not on legacy (the family is not where a migration
 * starts), else the fleet's route; with the highest version any member holds, so the workflow's
 * next version is above every member's.
 */
export function preflightRoute(routes: readonly MemberAnswer<RouteState>[]): RouteState {
  const off = routes.find((r) => r.value.mode !== 'legacy');
  const version = Math.max(...routes.map((r) => r.value.version));
  return { ...(off?.value ?? fleetRoute(routes)), version };
}

/**
 * The fleet's guard: tripped when any member's guard is, with each tripped member named in the
 * reason (a trip anywhere rolls the family back everywhere). `trips` adds up.
 */
export function fleetGuard(guards: readonly MemberAnswer<GuardState>[]): GuardState {
  if (guards.length === 1) return guards[0]!.value;
  const tripped = guards
    .filter((g) => g.value.tripped)
    .sort((a, b) => (a.value.trippedAt ?? 0) - (b.value.trippedAt ?? 0));
  const trips = guards.reduce((n, g) => n + g.value.trips, 0);
  const first = tripped[0]?.value;
  if (!first) return { family: guards[0]!.value.family, tripped: false, trips };
  return {
    family: first.family,
    tripped: true,
    reason: tripped.map((g) => `member ${g.url}: ${g.value.reason ?? 'tripped'}`).join('; '),
    ...(first.trippedAt !== undefined ? { trippedAt: first.trippedAt } : {}),
    ...(first.tripMs !== undefined ? { tripMs: first.tripMs } : {}),
    trips,
  };
}

/** The failure of a step that cannot reach every member: retryable, naming each member that did not answer. */
export function memberDown(down: readonly { url: string; error: string }[], what: string): ApplicationFailure {
  const names = down.map((d) => `${d.url} (${d.error})`).join(', ');
  return ApplicationFailure.create({
    type: FailureType.FleetMemberDown,
    nonRetryable: false,
    message: `PHX_ERR_FLEET_MEMBER_DOWN: fleet member${down.length === 1 ? '' : 's'} ${names} did not answer; ${what}`,
    details: [{ code: 'PHX_ERR_FLEET_MEMBER_DOWN', members: down.map((d) => d.url) }],
  });
}
