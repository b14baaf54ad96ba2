/**
 * Whether a fleet's members hold the same plan: each serves the digest of its copy's shared part
 * (`src/plan/shared-digest.ts`), and a step is refused while they differ, since the hosts would
 * then route, guard or compare the same traffic differently (see docs/fleets.md).
 */
import { ApplicationFailure } from '@temporalio/activity';
import { fleetCopies, type PlanDigest } from '../plan/shared-digest.js';
import type { RouterAdminClient } from '../router/client.js';
import { FailureType } from '../workflows/failures.js';
import { failIfAny, onEveryMember, warn } from './fleet.js';
import type { MemberAnswer } from './fleet-state.js';

/**
 * The failure for members whose copies differ, or undefined when every member that serves a
 * digest serves the same one (see {@link fleetCopies}).
 * @param what the change refused ("canary 25% of users"), for the message
 */
export function planMismatch(
  digests: readonly MemberAnswer<PlanDigest | undefined>[],
  what: string,
): ApplicationFailure | undefined {
  const copies = fleetCopies(digests, what);
  if (copies === undefined) return undefined;
  return ApplicationFailure.create({
    type: FailureType.FleetPlanMismatch,
    nonRetryable: true,
    message: `PHX_ERR_FLEET_PLAN_MISMATCH: ${copies.message}`,
    details: [{ code: 'PHX_ERR_FLEET_PLAN_MISMATCH', reference: copies.reference, differences: copies.differences }],
  });
}

/**
 * Reads every member's plan digest and throws when their copies differ (permanent,
 * `FleetPlanMismatch`). A member that does not answer fails the attempt as any fleet-wide call
 * does (retryable `PHX_ERR_FLEET_MEMBER_DOWN`).
 * @param what the change that waits on the check ("canary 25% of users")
 */
export async function checkPlansAgree(
  members: readonly string[],
  client: (url: string) => RouterAdminClient,
  what: string,
): Promise<void> {
  if (members.length < 2) return;
  const r = await onEveryMember(members, (url) => client(url).getPlanDigest());
  failIfAny(members, r, () => `${what} waits for every member's plan; no member was changed`);
  const unchecked = r.ok.filter((a) => a.value === undefined).map((a) => a.url);
  if (unchecked.length > 0)
    warn('fleet members serve no plan digest: their copies of the plan are not compared', { members: unchecked });
  const mismatch = planMismatch(r.ok, what);
  if (mismatch) throw mismatch;
}
