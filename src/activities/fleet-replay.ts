/**
 * A replay round of the parity gate on a fleet: it goes through one member, the first in the
 * plan's order that answers, with a pool of every answering member's captured samples. Replaying
 * changes no route, so a member that is down does not hold it (see docs/fleets.md, "Replay rounds").
 */
import type { RouterAdminClient, SampleRecord } from '../router/client.js';
import { mergeSamples } from '../router/merge-records.js';
import { errorText, onEveryMember, warn } from './fleet.js';
import { memberDown } from './fleet-state.js';

/**
 * The first member, in the plan's order, whose health check answers; members are asked at once.
 * None answering is a retryable `PHX_ERR_FLEET_MEMBER_DOWN` naming them all.
 */
export async function firstAnswering(
  members: readonly string[],
  client: (url: string) => RouterAdminClient,
): Promise<string> {
  const up = await Promise.all(members.map((url) => client(url).health()));
  const i = up.indexOf(true);
  if (i < 0)
    throw memberDown(
      members.map((url) => ({ url, error: 'no answer on /healthz' })),
      'a replay round needs one member that answers',
    );
  if (i > 0)
    warn('fleet member down: the replay round goes through the next member', {
      down: members.slice(0, i),
      via: members[i],
    });
  return members[i]!;
}

/**
 * Every answering member's captured samples of the family, newest first. Each member keeps the
 * samples of the requests it served; a member that does not answer only leaves its own out.
 */
export async function fleetSamples(
  members: readonly string[],
  client: (url: string) => RouterAdminClient,
  family: string,
): Promise<SampleRecord[]> {
  const r = await onEveryMember(members, (url) => client(url).getSamples(family));
  if (r.failed.length > 0)
    warn('fleet members left out of the replay pool', {
      members: r.failed.map((f) => ({ url: f.url, error: errorText(f.error) })),
    });
  return mergeSamples(
    r.ok.map((a) => a.value),
    Infinity,
  );
}
