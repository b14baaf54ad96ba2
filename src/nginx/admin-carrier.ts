/**
 * The nginx provider behind the router's admin API: route, guard and figures read from nginx
 * (its control server and the agent's access-log figures, merged with the comparator's), route
 * changes and guard clears applied to nginx. Provider errors become admin errors that keep their
 * `PHX_ERR_*` code, so the admin client and the activities see the same codes as from a router.
 */
import { PhoenixError } from '../lib/errors.js';
import type { AdminCarrier } from '../router/admin.js';
import { AdminError } from '../router/admin-error.js';
import type { FamilyRuntime } from '../router/family.js';
import type { GuardState, RouteChange, RouteState } from '../router/types.js';
import { mergeFigures } from './merged-figures.js';
import type { NginxProvider } from './provider.js';

/** HTTP status per provider error code; any other `PHX_ERR_*` is a 503 (nginx did not do it, try again). */
const STATUS: Record<string, number> = {
  PHX_ERR_ADMIN_UNKNOWN_FAMILY: 404,
  PHX_ERR_ROUTE_STALE_VERSION: 409,
  PHX_ERR_NGINX_NO_COMPARATOR: 422,
  PHX_ERR_NGINX_PATTERN: 422,
  PHX_ERR_NGINX_UPSTREAM: 422,
  PHX_ERR_NGINX_STICKY: 422,
  PHX_ERR_NGINX_CONFIG_INVALID: 422,
};

/** Runs `fn`, turning a `PhoenixError` into an {@link AdminError} with the same code. */
export async function asAdmin<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof PhoenixError) throw new AdminError(STATUS[err.code] ?? 503, err.code, err.message);
    throw err;
  }
}

/**
 * Copies the agent's guard into the runtime's, so `/metrics` (`phoenix_guard_*`,
 * `phoenix_route_percent`) shows the trip nginx serves.
 */
export function showGuard(f: FamilyRuntime, g: GuardState): GuardState {
  if (g.tripped) f.guard.restore(g);
  else f.guard.clear();
  f.guard.state.trips = g.trips;
  return g;
}

/** What the admin handler needs from nginx, beside the comparator's runtimes. */
export interface NginxAdminSide {
  carrier: AdminCarrier;
  setRoute: (f: FamilyRuntime, change: RouteChange) => Promise<RouteState>;
  clearGuard: (f: FamilyRuntime) => Promise<GuardState>;
  /** Refuses a replay unless nginx serves the family in shadow or canary, as the router does. */
  checkReplay: (f: FamilyRuntime) => Promise<void>;
}

/** The nginx side of the admin API for `provider`. */
export function nginxAdminSide(provider: NginxProvider): NginxAdminSide {
  const figures = (f: FamilyRuntime) => asAdmin(() => provider.figures(f.name));
  // The comparator's runtime keeps what nginx serves too, for `/metrics`.
  const served = async (f: FamilyRuntime): Promise<RouteState> =>
    (f.route = await asAdmin(() => provider.getRoute(f.name)));
  return {
    carrier: {
      route: served,
      guard: async (f) => showGuard(f, (await figures(f)).guard),
      figures: async (f, now) => {
        const [x, route] = await Promise.all([figures(f), served(f)]);
        return { route, guard: showGuard(f, x.guard), stats: mergeFigures(x.stats, f.stats.snapshot(now)) };
      },
      resetStats: async (f) => void (await asAdmin(() => provider.resetFigures(f.name))),
    },
    setRoute: async (f, change) => {
      f.route = await asAdmin(() => provider.setRoute(f.name, change));
      return f.route;
    },
    clearGuard: async (f) => showGuard(f, await asAdmin(() => provider.clearTrip(f.name))),
    checkReplay: async (f) => {
      const [route, guard] = await Promise.all([
        asAdmin(() => provider.getRoute(f.name)),
        figures(f).then((x) => x.guard),
      ]);
      if ((route.mode === 'shadow' || route.mode === 'canary') && !guard.tripped) return;
      throw new AdminError(
        409,
        'PHX_ERR_REPLAY_NOT_SHADOW',
        `"${f.name}" is in ${guard.tripped ? 'legacy' : route.mode} mode on nginx${guard.tripped ? ' (guard tripped)' : ''}; requests are replayed in shadow or canary mode only`,
      );
    },
  };
}
