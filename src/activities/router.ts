/**
 * Activities that drive the router through its admin API. Each one sets or reads absolute state,
 * so a retry or a replay is harmless.
 */
import { ApplicationFailure, Context } from '@temporalio/activity';
import { request } from 'undici';
import type { FamilyPlan } from '../plan/schema.js';
import { createRouterAdminClient, type RouterAdminClient, type RouteState, type GuardState } from '../router/client.js';
import type { FamilyStatsSnapshot } from '../parity/snapshot.js';
import type { TriageEntry } from '../parity/signature.js';
import { hasCode } from '../lib/errors.js';
import { FailureType } from '../workflows/failures.js';
import { replayRound, type ReplayRoundInput, type ReplayRoundResult } from './replay.js';

/** Router modes, as the workflow sets them. */
export type RouteMode = RouteState['mode'];

export interface RouterActivityDeps {
  /** Admin token for the router (from `PHOENIX_ADMIN_TOKEN`); never passed through workflow history. */
  adminToken?: string;
  /** Per-request timeout for the admin API. @default 3000 (ms) */
  adminTimeoutMs?: number;
}

/** What preflight found. */
export interface PreflightReport {
  router: { ok: boolean; error?: string };
  legacy: { ok: boolean; error?: string };
  new: { ok: boolean; error?: string };
  route?: RouteState;
  guard?: GuardState;
}

export interface SetRouteInput {
  adminUrl: string;
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

export function createRouterActivities(deps: RouterActivityDeps) {
  const timeoutMs = deps.adminTimeoutMs ?? 3000;
  const clients = new Map<string, RouterAdminClient>();
  const client = (baseUrl: string): RouterAdminClient => {
    let c = clients.get(baseUrl);
    if (!c) {
      c = createRouterAdminClient({ baseUrl, token: deps.adminToken, timeoutMs });
      clients.set(baseUrl, c);
    }
    return c;
  };

  return {
    /** Checks the router, both upstreams and the family's current route. */
    async checkPreflight(input: { adminUrl: string; family: FamilyPlan }): Promise<PreflightReport> {
      const [legacy, candidate] = await Promise.all([
        reachable(input.family.legacy, timeoutMs),
        reachable(input.family.new, timeoutMs),
      ]);
      try {
        const c = client(input.adminUrl);
        const [route, guard] = await Promise.all([c.getRoute(input.family.name), c.getGuard(input.family.name)]);
        return { router: { ok: true }, legacy, new: candidate, route, guard };
      } catch (err) {
        if (hasCode(err, 'PHX_ERR_ADMIN_UNKNOWN_FAMILY')) {
          throw ApplicationFailure.create({
            type: FailureType.PreflightFailed,
            nonRetryable: true,
            message: `the router does not know family "${input.family.name}"; restart the router with the same plan`,
          });
        }
        if (hasCode(err, 'PHX_ERR_ROUTER_UNAUTHORIZED')) {
          throw ApplicationFailure.create({
            type: FailureType.PreflightFailed,
            nonRetryable: true,
            message: "the router refused the admin token; set PHOENIX_ADMIN_TOKEN for the worker to the router's token",
          });
        }
        return { router: { ok: false, error: (err as Error).message }, legacy, new: candidate };
      }
    },

    /** Sets a family's route. Idempotent by version; a stale version is a permanent failure. */
    async setRoute(input: SetRouteInput): Promise<RouteState> {
      try {
        return await client(input.adminUrl).setRoute(input.family, {
          mode: input.mode,
          percent: input.percent,
          version: input.version,
          sampleRate: input.sampleRate,
          updatedBy: input.updatedBy,
        });
      } catch (err) {
        if (hasCode(err, 'PHX_ERR_ROUTE_STALE_VERSION')) {
          throw ApplicationFailure.create({
            type: FailureType.StaleRouteVersion,
            nonRetryable: true,
            message: `${(err as Error).message}; someone else changed the route of "${input.family}" — check \`phoenix status\` and the router`,
          });
        }
        throw err;
      }
    },

    /**
     * Sends the family to legacy whatever its version, then clears a guard trip. The most urgent
     * undo: it wins over any concurrent change by writing a newer version.
     */
    async routeToLegacy(input: {
      adminUrl: string;
      family: string;
      minVersion: number;
      reason: string;
    }): Promise<RouteState> {
      const c = client(input.adminUrl);
      const current = await c.getRoute(input.family);
      let state = current;
      if (current.mode !== 'legacy') {
        state = await c.setRoute(input.family, {
          mode: 'legacy',
          percent: 0,
          version: Math.max(current.version + 1, input.minVersion),
          updatedBy: `rollback: ${input.reason}`.slice(0, 200),
        });
      }
      await c.clearGuard(input.family);
      return state;
    },

    async readFamilyFigures(input: { adminUrl: string; family: string }): Promise<FamilyFigures> {
      const s = await client(input.adminUrl).getStats(input.family);
      return { route: s.route, guard: s.guard, stats: s.stats };
    },

    async resetFamilyStats(input: { adminUrl: string; family: string }): Promise<void> {
      await client(input.adminUrl).resetStats(input.family);
    },

    /**
     * A replay round of the parity gate (`parity.replay`): the router replays `count` recorded
     * safe requests of the family through its shadow comparison, counted apart from live ones.
     */
    async replayForParity(input: ReplayRoundInput): Promise<ReplayRoundResult> {
      return replayRound(input, client(input.adminUrl), (p) => Context.current().heartbeat(p));
    },

    /**
     * Replaces the family's triage decisions on the router, so its counts honour them. The whole
     * set is sent each time: a retry or a repeat leaves the same state.
     * @returns how many decisions the router now holds
     */
    async setTriage(input: { adminUrl: string; family: string; decisions: TriageEntry[] }): Promise<number> {
      return (await client(input.adminUrl).setTriage(input.family, input.decisions)).decisions.length;
    },
  };
}
