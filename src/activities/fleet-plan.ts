/**
 * Whether a fleet's members hold the same plan: each serves the digest of its copy's shared part
 * (`src/plan/shared-digest.ts`), and a step is refused while they differ, since the hosts would
 * then route, guard or compare the same traffic differently (see docs/fleets.md).
 */
import { ApplicationFailure } from '@temporalio/activity';
import { planDifferences, sectionsOf, type PlanDigest } from '../plan/shared-digest.js';
import type { RouterAdminClient } from '../router/client.js';
import { FailureType } from '../workflows/failures.js';
import { failIfAny, onEveryMember, warn } from './fleet.js';
import type { MemberAnswer } from './fleet-state.js';

/** One copy of the plan and the members that hold it, in the plan's member order. */
interface Copy {
  digest: PlanDigest;
  members: string[];
}

/** How one copy differs from the first member's. */
export interface CopyDifference {
  /** The members holding this copy. */
  members: string[];
  /** Its parts that differ from the first copy's, most specific first (`families[users].guard`). */
  differs: string[];
  /** Their top-level sections (`families`, `router`). */
  sections: string[];
}

/**
 * The failure for members whose copies differ, or undefined when every member that serves a
 * digest serves the same one. Members that serve none (a Phoenix from before the digest) are
 * not compared. The first copy is the first member's, in the plan's order.
 * @param what the change refused ("canary 25% of users"), for the message
 */
export function planMismatch(
  digests: readonly MemberAnswer<PlanDigest | undefined>[],
  what: string,
): ApplicationFailure | undefined {
  const copies: Copy[] = [];
  for (const { url, value } of digests) {
    if (!value) continue;
    const same = copies.find((c) => c.digest.digest === value.digest);
    if (same) same.members.push(url);
    else copies.push({ digest: value, members: [url] });
  }
  if (copies.length < 2) return undefined;
  const [first, ...others] = copies as [Copy, ...Copy[]];
  const differences: CopyDifference[] = others.map((c) => {
    const differs = planDifferences(first.digest, c.digest);
    return { members: c.members, differs, sections: sectionsOf(differs) };
  });
  const against = first.members.join(' and ');
  const text = differences
    .map(
      (d) =>
        `${d.members.join(' and ')} ${d.members.length === 1 ? 'differs' : 'differ'} from ${against} in ${d.differs.join(', ')}`,
    )
    .join('; ');
  return ApplicationFailure.create({
    type: FailureType.FleetPlanMismatch,
    nonRetryable: true,
    message:
      `PHX_ERR_FLEET_PLAN_MISMATCH: the fleet's members hold ${copies.length} different copies of the plan: ` +
      `${text} (sections: ${sectionsOf(differences.flatMap((d) => d.sections)).join(', ')}); ` +
      `${what} was refused before any member moved. A host's copy may differ only in its own files and addresses ` +
      '(docs/fleets.md); give every member the same plan and restart it',
    details: [
      {
        code: 'PHX_ERR_FLEET_PLAN_MISMATCH',
        reference: { members: first.members, digest: first.digest.digest },
        differences: differences.map((d, i) => ({ ...d, digest: others[i]!.digest.digest })),
      },
    ],
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
