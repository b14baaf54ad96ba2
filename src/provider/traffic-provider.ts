/**
 * What the control plane needs from whatever carries a family's traffic: set a route (idempotent
 * and versioned), read it back, read the family's figures, clear a guard trip, and check health.
 * The built-in router is the default provider (see {@link routerTrafficProvider}); the operator's
 * nginx is the second (`src/nginx/provider.ts`).
 */
import type { FamilyStatsSnapshot } from '../parity/snapshot.js';
import type { RouterAdminClient } from '../router/client.js';
import type { GuardState, RouteChange, RouteState } from '../router/types.js';

export type { GuardState, RouteChange, RouteMode, RouteState } from '../router/types.js';

/**
 * A family's figures, in the shapes of the built-in router's admin API (`GET
 * /v1/families/:family/stats`): its route, its guard (tripped, with the reason) and its
 * statistics since the last reset, plus the share of its requests that new answered.
 */
export interface ProviderFigures {
  route: RouteState;
  guard: GuardState;
  /** Requests, failures and latency percentiles per backend, fallbacks, shadow and parity figures. */
  stats: FamilyStatsSnapshot;
  /** new's requests ÷ all of the family's requests in the window, 0–1; null before any request. */
  observedShareOnNew: number | null;
}

/** A data plane the activities can drive. */
export interface TrafficProvider {
  /** `phoenix` for the built-in router, `nginx` for the nginx provider. */
  readonly kind: 'phoenix' | 'nginx';
  /**
   * Sets a family's route and resolves once the data plane serves it. The same version with the
   * same content changes nothing; an older version fails with `PHX_ERR_ROUTE_STALE_VERSION`.
   * While the family's guard is tripped, the route is kept but the family stays on legacy.
   */
  setRoute(family: string, change: RouteChange): Promise<RouteState>;
  /** The family's route as the data plane serves it now. */
  getRoute(family: string): Promise<RouteState>;
  /** The family's figures since the last reset. */
  figures(family: string): Promise<ProviderFigures>;
  /** Starts the family's statistics window again; resolves with the emptied figures. */
  resetFigures(family: string): Promise<ProviderFigures>;
  /**
   * Re-arms a tripped guard: the family is served by its route again. Resolves once the data
   * plane serves that; a family that was not tripped is left as it is.
   */
  clearTrip(family: string): Promise<GuardState>;
  /** True when the data plane answers. */
  health(): Promise<boolean>;
  close(): Promise<void>;
}

/** new's share of the requests in `stats`' window; null when there were none. */
export function observedShareOnNew(stats: FamilyStatsSnapshot): number | null {
  const n = stats.backends.new.requests;
  const total = n + stats.backends.legacy.requests;
  return total === 0 ? null : n / total;
}

/** The built-in router as a traffic provider, through its admin API client. */
export function routerTrafficProvider(client: RouterAdminClient): TrafficProvider {
  const figures = (r: { route: RouteState; guard: GuardState; stats: FamilyStatsSnapshot }): ProviderFigures => ({
    route: r.route,
    guard: r.guard,
    stats: r.stats,
    observedShareOnNew: observedShareOnNew(r.stats),
  });
  return {
    kind: 'phoenix',
    setRoute: (family, change) => client.setRoute(family, change),
    getRoute: (family) => client.getRoute(family),
    figures: async (family) => figures(await client.getStats(family)),
    resetFigures: async (family) => figures(await client.resetStats(family)),
    clearTrip: (family) => client.clearGuard(family),
    health: () => client.health(),
    close: () => client.close(),
  };
}
