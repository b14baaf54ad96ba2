/**
 * Activities that drive the family's data plane through the router's admin API: one router, or
 * every member of a fleet (`dataPlane.members`, see docs/fleets.md). Each one sets or reads
 * absolute state, so a retry or a replay is harmless.
 */
import { ApplicationFailure, Context } from '@temporalio/activity';
import type { FamilyPlan } from '../plan/schema.js';
import { createRouterAdminClient, type RouterAdminClient, type RouteState, type GuardState } from '../router/client.js';
import type { FamilyStatsSnapshot } from '../parity/snapshot.js';
import { mergeSnapshots } from '../parity/merge-snapshots.js';
import type { TriageEntry } from '../parity/signature.js';
import { hasCode } from '../lib/errors.js';
import { FailureType } from '../workflows/failures.js';
import { awaitEveryMember, failIfAny, onEveryMember } from './fleet.js';
import { checkPlansAgree } from './fleet-plan.js';
import { firstAnswering, fleetSamples } from './fleet-replay.js';
import { fleetGuard, fleetRoute, membersOf, type FleetTarget } from './fleet-state.js';
import { checkPreflight, type PreflightReport } from './preflight.js';
import { replayRound, type ReplayRoundInput, type ReplayRoundResult } from './replay.js';

export type { PreflightReport } from './preflight.js';
export type { FleetTarget } from './fleet-state.js';

/** Router modes, as the workflow sets them. */
export type RouteMode = RouteState['mode'];

export interface RouterActivityDeps {
  /** Admin token for the router (from `PHOENIX_ADMIN_TOKEN`); never passed through workflow history. */
  adminToken?: string;
  /**
   * Per-request timeout for the admin API when the input names none (runs started before
   * `dataPlane.adminTimeout`; inputs carry it as `adminTimeoutMs`). @default 3000 (ms)
   */
  adminTimeoutMs?: number;
  /**
   * How long one attempt of a fleet-wide change (route, figures reset, triage decisions) waits for
   * a member that is down before it fails
   * with `PHX_ERR_FLEET_MEMBER_DOWN`; the workflow retries it (see docs/fleets.md). @default 3000 (ms)
   */
  fleetWaitMs?: number;
}

export interface SetRouteInput extends FleetTarget {
  family: string;
  mode: RouteMode;
  percent: number;
  version: number;
  sampleRate?: number;
  updatedBy: string;
}

/** A family's figures as the workflow analyses them. */
export interface FamilyFigures {
  route: RouteState;
  guard: GuardState;
  stats: FamilyStatsSnapshot;
}

/** The answer with the highest version: what the workflow's next version must exceed. */
function newest(states: readonly { value: RouteState }[]): RouteState {
  return states.reduce((a, b) => (b.value.version > a.value.version ? b : a)).value;
}

/**
 * Sends the family to legacy on one member whatever its version, then clears a guard trip; a
 * member already on legacy keeps its version.
 */
async function legacyOn(c: RouterAdminClient, family: string, minVersion: number, reason: string): Promise<RouteState> {
  const current = await c.getRoute(family);
  let state = current;
  if (current.mode !== 'legacy') {
    state = await c.setRoute(family, {
      mode: 'legacy',
      percent: 0,
      version: Math.max(current.version + 1, minVersion),
      updatedBy: `rollback: ${reason}`.slice(0, 200),
    });
  }
  await c.clearGuard(family);
  return state;
}

export function createRouterActivities(deps: RouterActivityDeps) {
  const defaultTimeoutMs = deps.adminTimeoutMs ?? 3000;
  const clients = new Map<string, RouterAdminClient>();
  /** The admin client of one member, with the input's timeout (one client per URL and timeout). */
  const clientFor =
    (t: FleetTarget) =>
    (baseUrl: string): RouterAdminClient => {
      const timeoutMs = t.adminTimeoutMs ?? defaultTimeoutMs;
      const key = `${timeoutMs} ${baseUrl}`;
      let c = clients.get(key);
      if (!c) {
        c = createRouterAdminClient({ baseUrl, token: deps.adminToken, timeoutMs });
        clients.set(key, c);
      }
      return c;
    };

  const waitMs = deps.fleetWaitMs ?? 3000;

  return {
    /** Checks both upstreams and, on every member, the family's route and guard. */
    async checkPreflight(input: FleetTarget & { family: FamilyPlan }): Promise<PreflightReport> {
      return checkPreflight(input, clientFor(input), defaultTimeoutMs);
    },

    /**
     * Sets a family's route on every member, with one version. Idempotent by version; a stale
     * version is a permanent failure. In a fleet, every member must answer its health check
     * first (waiting up to `fleetWaitMs`), so no member moves while another is down; a member
     * lost midway fails the attempt, and the retry sets the same version again.
     */
    async setRoute(input: SetRouteInput): Promise<RouteState> {
      const members = membersOf(input);
      const client = clientFor(input);
      const what = `route ${input.mode}${input.mode === 'canary' ? ` ${input.percent}%` : ''} of "${input.family}"`;
      if (members.length > 1) {
        await awaitEveryMember(members, client, waitMs, what);
        // Members holding different plans would split this step's traffic differently.
        await checkPlansAgree(members, client, what);
      }
      const change = {
        mode: input.mode,
        percent: input.percent,
        version: input.version,
        sampleRate: input.sampleRate,
        updatedBy: input.updatedBy,
      };
      const r = await onEveryMember(members, (url) => client(url).setRoute(input.family, change));
      const stale = r.failed.find((f) => hasCode(f.error, 'PHX_ERR_ROUTE_STALE_VERSION'));
      if (stale) {
        throw ApplicationFailure.create({
          type: FailureType.StaleRouteVersion,
          nonRetryable: true,
          message: `${(stale.error as Error).message}${members.length > 1 ? ` on fleet member ${stale.url}` : ''}; someone else changed the route of "${input.family}" — check \`phoenix status\` and the router`,
        });
      }
      failIfAny(members, r, (ok) => `${what} is set on ${ok}; the step retries until every member has it`);
      return newest(r.ok);
    },

    /**
     * Sends the family to legacy on every member whatever its version, then clears guard trips.
     * The most urgent undo: it wins over any concurrent change by writing a newer version. Every
     * member that answers is set at once; while any does not, the activity fails (retryably) and
     * the rollback tries again until it answers.
     */
    async routeToLegacy(
      input: FleetTarget & { family: string; minVersion: number; reason: string },
    ): Promise<RouteState> {
      const members = membersOf(input);
      const client = clientFor(input);
      const r = await onEveryMember(members, (url) =>
        legacyOn(client(url), input.family, input.minVersion, input.reason),
      );
      failIfAny(members, r, (ok) => `"${input.family}" is on legacy on ${ok}; the rollback keeps trying the rest`);
      return newest(r.ok);
    },

    /** The family's figures, summed across the members (see `mergeSnapshots`). */
    async readFamilyFigures(input: FleetTarget & { family: string }): Promise<FamilyFigures> {
      const members = membersOf(input);
      const client = clientFor(input);
      const r = await onEveryMember(members, (url) => client(url).getStats(input.family));
      failIfAny(members, r, () => `the figures of "${input.family}" need every member`);
      const of = <T>(pick: (s: (typeof r.ok)[number]['value']) => T) =>
        r.ok.map((a) => ({ url: a.url, value: pick(a.value) }));
      return {
        route: fleetRoute(of((s) => s.route)),
        guard: fleetGuard(of((s) => s.guard)),
        stats: mergeSnapshots(r.ok.map((a) => a.value.stats)),
      };
    },

    /** Starts the family's figures again on every member (in a fleet, once every member answers). */
    async resetFamilyStats(input: FleetTarget & { family: string }): Promise<void> {
      const members = membersOf(input);
      const client = clientFor(input);
      if (members.length > 1)
        await awaitEveryMember(members, client, waitMs, `the reset of "${input.family}"'s figures`);
      const r = await onEveryMember(members, (url) => client(url).resetStats(input.family));
      failIfAny(members, r, (ok) => `the figures of "${input.family}" were reset on ${ok}; the reset retries`);
    },

    /**
     * A replay round of the parity gate (`parity.replay`): one member replays `count` recorded
     * safe requests of the family through its shadow comparison, counted apart from live ones (in
     * the fleet's figures, which sum every member). In a fleet, that member is the first in the
     * plan's order that answers, and the pool holds every answering member's samples.
     */
    async replayForParity(input: ReplayRoundInput): Promise<ReplayRoundResult> {
      const members = membersOf(input);
      const client = clientFor(input);
      let ctx: Context | undefined;
      try {
        ctx = Context.current();
      } catch {
        // Called outside an activity (a test driving it directly): no one to tell, nothing to cancel it.
      }
      const heartbeat = (p: { done: number; of: number }): void => ctx?.heartbeat(p);
      const signal = ctx?.cancellationSignal;
      if (members.length === 1) return replayRound(input, client(members[0]!), heartbeat, undefined, signal);
      const via = await firstAnswering(members, client);
      return replayRound(input, client(via), heartbeat, () => fleetSamples(members, client, input.family.name), signal);
    },

    /**
     * Replaces the family's triage decisions on every member, so their counts honour them. The
     * whole set is sent each time: a retry or a repeat leaves the same state.
     * @returns how many decisions the members now hold
     */
    async setTriage(input: FleetTarget & { family: string; decisions: TriageEntry[] }): Promise<number> {
      const members = membersOf(input);
      const client = clientFor(input);
      if (members.length > 1) await awaitEveryMember(members, client, waitMs, `triage decisions for "${input.family}"`);
      const r = await onEveryMember(members, (url) => client(url).setTriage(input.family, input.decisions));
      failIfAny(members, r, (ok) => `triage decisions for "${input.family}" are set on ${ok}; the change retries`);
      return r.ok[0]!.value.decisions.length;
    },
  };
}
