/**
 * Preflight: the upstreams answer, and every member of the family's data plane knows the family,
 * accepts the admin token and has it on legacy with its guard armed; in a fleet, every member
 * holds the same plan (see `fleet-plan.ts`).
 */
import { ApplicationFailure } from '@temporalio/activity';
import { request } from 'undici';
import { hasCode } from '../lib/errors.js';
import type { FamilyPlan } from '../plan/schema.js';
import type { RouterAdminClient } from '../router/client.js';
import type { GuardState, RouteState } from '../router/types.js';
import { FailureType } from '../workflows/failures.js';
import { errorText, onEveryMember } from './fleet.js';
import { planMismatch } from './fleet-plan.js';
import { fleetGuard, membersOf, preflightRoute, type FleetTarget } from './fleet-state.js';

/** What preflight found. */
export interface PreflightReport {
  /** Every member answered; else `member` names the first that did not. */
  router: { ok: boolean; error?: string; member?: string };
  legacy: { ok: boolean; error?: string };
  new: { ok: boolean; error?: string };
  /** A member's route that is not legacy, else the fleet's; its version is the highest any member holds. */
  route?: RouteState;
  /** Tripped when any member's guard is, naming the member. */
  guard?: GuardState;
}

async function reachable(url: string, timeoutMs: number): Promise<{ ok: boolean; error?: string }> {
  try {
    const res = await request(url, { method: 'GET', headersTimeout: timeoutMs, bodyTimeout: timeoutMs });
    await res.body.dump();
    // Any HTTP answer proves the service is up; a 404 on "/" is normal for an API.
    return { ok: true };
  } catch (err) {
    return { ok: false, error: `${(err as { code?: string }).code ?? ''} ${(err as Error).message}`.trim() };
  }
}

/** A member that answered but refuses the family or the token: no retry helps. */
function refusal(err: unknown, family: string, url: string, fleet: boolean): ApplicationFailure | undefined {
  const where = fleet ? `fleet member ${url}` : 'the router';
  if (hasCode(err, 'PHX_ERR_ADMIN_UNKNOWN_FAMILY'))
    return ApplicationFailure.create({
      type: FailureType.PreflightFailed,
      nonRetryable: true,
      message: `${where} does not know family "${family}"; restart ${fleet ? 'it' : 'the router'} with the same plan`,
    });
  if (hasCode(err, 'PHX_ERR_ROUTER_UNAUTHORIZED'))
    return ApplicationFailure.create({
      type: FailureType.PreflightFailed,
      nonRetryable: true,
      message: `${where} refused the admin token; set PHOENIX_ADMIN_TOKEN for the worker to the router's token`,
    });
  return undefined;
}

/** Checks both upstreams and, on every member, the family's route and guard. */
export async function checkPreflight(
  input: FleetTarget & { family: FamilyPlan },
  client: (url: string) => RouterAdminClient,
  timeoutMs: number,
): Promise<PreflightReport> {
  const members = membersOf(input);
  const fleet = members.length > 1;
  const name = input.family.name;
  const [legacy, candidate, answers] = await Promise.all([
    reachable(input.family.legacy, timeoutMs),
    reachable(input.family.new, timeoutMs),
    onEveryMember(members, async (url) => {
      const c = client(url);
      const [route, guard, plan] = await Promise.all([
        c.getRoute(name),
        c.getGuard(name),
        fleet ? c.getPlanDigest() : undefined,
      ]);
      return { route, guard, plan };
    }),
  ]);
  for (const f of answers.failed) {
    const refused = refusal(f.error, name, f.url, fleet);
    if (refused) throw refused;
  }
  const down = answers.failed[0];
  if (down)
    return {
      router: { ok: false, error: errorText(down.error), member: down.url },
      legacy,
      new: candidate,
    };
  const mismatch = planMismatch(
    answers.ok.map((a) => ({ url: a.url, value: a.value.plan })),
    `the migration of "${name}"`,
  );
  if (mismatch) throw mismatch;
  return {
    router: { ok: true },
    legacy,
    new: candidate,
    route: preflightRoute(answers.ok.map((a) => ({ url: a.url, value: a.value.route }))),
    guard: fleetGuard(answers.ok.map((a) => ({ url: a.url, value: a.value.guard }))),
  };
}
