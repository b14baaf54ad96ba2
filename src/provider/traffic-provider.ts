/**
 * What the control plane needs from whatever carries a family's traffic: set a route (idempotent
 * and versioned), read it back, and check health. The built-in router is the default provider
 * (see {@link routerTrafficProvider}); the operator's nginx is the second (`src/nginx/provider.ts`).
 */
import type { RouterAdminClient } from '../router/client.js';
import type { RouteChange, RouteState } from '../router/types.js';

export type { RouteChange, RouteMode, RouteState } from '../router/types.js';

/** A data plane the activities can drive. */
export interface TrafficProvider {
  /** `phoenix` for the built-in router, `nginx` for the nginx provider. */
  readonly kind: 'phoenix' | 'nginx';
  /**
   * Sets a family's route and resolves once the data plane serves it. The same version with the
   * same content changes nothing; an older version fails with `PHX_ERR_ROUTE_STALE_VERSION`.
   */
  setRoute(family: string, change: RouteChange): Promise<RouteState>;
  /** The family's route as the data plane serves it now. */
  getRoute(family: string): Promise<RouteState>;
  /** True when the data plane answers. */
  health(): Promise<boolean>;
  close(): Promise<void>;
}

/** The built-in router as a traffic provider, through its admin API client. */
export function routerTrafficProvider(client: RouterAdminClient): TrafficProvider {
  return {
    kind: 'phoenix',
    setRoute: (family, change) => client.setRoute(family, change),
    getRoute: (family) => client.getRoute(family),
    health: () => client.health(),
    close: () => client.close(),
  };
}
