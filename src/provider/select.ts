/**
 * Picks the traffic provider a plan asks for: the built-in router through its admin client, or
 * the operator's nginx (see docs/nginx.md) for the families on nginx.
 */
import { nginxDataPlaneOf, familiesOn } from '../plan/data-plane-of.js';
import { createNginxProvider } from '../nginx/provider.js';
import type { Plan } from '../plan/schema.js';
import type { RouterAdminClient } from '../router/client.js';
import { routerTrafficProvider, type TrafficProvider } from './traffic-provider.js';

/**
 * The plan's `dataPlane` as a provider; `router` is used only for `kind: phoenix`. For a plan on
 * nginx, the nginx provider carries the families on nginx (a family may keep `{kind: phoenix}`).
 */
export async function trafficProviderFor(
  plan: Pick<Plan, 'legacy' | 'families' | 'dataPlane' | 'router'>,
  router: () => RouterAdminClient,
): Promise<TrafficProvider> {
  const dp = plan.dataPlane.kind === 'nginx' ? nginxDataPlaneOf(plan) : undefined;
  if (dp === undefined) return routerTrafficProvider(router());
  return createNginxProvider({
    legacy: plan.legacy,
    families: familiesOn(plan, 'nginx'),
    dataPlane: dp,
    legacyTimeout: plan.router.legacyTimeout,
  });
}
