/**
 * The nginx traffic provider: keeps each family's route, renders and applies the include file on
 * every change, and reads back what nginx serves. Versions work as in the built-in router: the
 * same version with the same content changes nothing, an older one is refused. The applied
 * routes (and tripped guards) are kept in the include file itself, so a restarted control plane
 * carries on from them. Its agent (`agent.ts`) reads nginx's access log into figures and trips a
 * family's guard, which renders the family on legacy and reloads.
 */
import { readFile } from 'node:fs/promises';
import { PhoenixError } from '../lib/errors.js';
import type { FamilyPlan, NginxDataPlane } from '../plan/schema.js';
import { observedShareOnNew, type ProviderFigures, type TrafficProvider } from '../provider/traffic-provider.js';
import { judgeRouteChange } from '../router/route-change.js';
import type { GuardState, RouteChange, RouteState } from '../router/types.js';
import { NginxAgent, type ClientCounters, type SavedTrip } from './agent.js';
import { applyNginx, installNginx, readServedState } from './apply.js';
import { renderNginx, STATE_PREFIX, type AppliedState, type RenderFamily } from './render.js';

/** A family as the provider needs it: what is rendered, the default shadow sampling, and its guard. */
export interface NginxFamily extends RenderFamily {
  parity: { sampleRate: number };
  guard: FamilyPlan['guard'];
}

/** A guard trip once nginx serves the family from legacy. Epoch ms. */
export interface TripServed {
  family: string;
  guard: GuardState;
  /** The first failing answer of the run that tripped (nginx's log time). */
  firstFailureAt: number;
  /** When the reload that serves legacy was done. */
  servedAt: number;
}

export interface NginxProviderOptions {
  /** The plan's legacy upstream (requests matching no family). */
  legacy: string;
  families: readonly NginxFamily[];
  dataPlane: NginxDataPlane;
  /** How long legacy may take per read when a safe request falls back from new (ms): the plan's `router.legacyTimeout`. @default nginx's (60 s) */
  legacyTimeout?: number;
  /** Called once nginx serves a tripped family from legacy. */
  onTripServed?: (t: TripServed) => void;
  /** Called when rendering a trip failed (it is retried every second while the guard stays tripped). */
  onTripError?: (family: string, err: unknown) => void;
}

export interface NginxProvider extends TrafficProvider {
  /** Renders and applies the current routes (every family on legacy the first time). */
  apply(): Promise<void>;
  /** Renders, tests and writes the include file without reloading: before nginx's first start. */
  install(): Promise<void>;
  /**
   * The family's answers per backend and status class, and its fallbacks, counted from nginx's
   * log since this provider started following it (never reset; for `/metrics`). Synchronous:
   * what the agent has read so far, at most a poll (250 ms) behind nginx's buffered log.
   */
  clientCounters(name: string): ClientCounters;
}

/** What an include file Phoenix rendered before holds, if any. */
async function savedState(file: string): Promise<Pick<AppliedState, 'routes' | 'trips'>> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch {
    return { routes: [] };
  }
  const line = text.split('\n').find((l) => l.startsWith(STATE_PREFIX));
  if (line === undefined) return { routes: [] };
  try {
    return JSON.parse(line.slice(STATE_PREFIX.length)) as AppliedState;
  } catch {
    return { routes: [] };
  }
}

/** Creates the provider, picking up the routes and trips of the include file already in place. */
export async function createNginxProvider(o: NginxProviderOptions): Promise<NginxProvider> {
  const dp = o.dataPlane;
  const byName = new Map(o.families.map((f) => [f.name, f]));
  const saved = await savedState(dp.includeFile);
  const routes = new Map<string, RouteState>();
  for (const r of saved.routes) if (byName.has(r.family)) routes.set(r.family, r);
  for (const f of o.families) {
    if (!routes.has(f.name)) {
      routes.set(f.name, { family: f.name, mode: 'legacy', percent: 0, version: 0, sampleRate: f.parity.sampleRate });
    }
  }
  // One change at a time: each renders every family, so they must not interleave.
  let queue: Promise<unknown> = Promise.resolve();
  const serial = <T>(fn: () => Promise<T>): Promise<T> => {
    const next = queue.then(fn, fn);
    queue = next.catch(() => undefined);
    return next;
  };
  let closed = false;

  const agent = new NginxAgent(o.families, (name, guard) => void renderTrip(name, guard));
  for (const t of saved.trips ?? []) if (byName.has(t.family)) agent.restore(t);

  const render = () =>
    renderNginx({
      legacy: o.legacy,
      families: o.families,
      routes,
      trips: agent.trips(),
      legacyTimeout: o.legacyTimeout,
      dataPlane: dp,
    });
  async function applyRoutes(test = true): Promise<void> {
    const r = render();
    await applyNginx(dp, r.text, r.state.digest, { test });
  }

  /** Renders a tripped family on legacy, retrying while the guard stays tripped and nginx refuses. */
  async function renderTrip(name: string, guard: GuardState): Promise<void> {
    for (;;) {
      try {
        // Without nginx -t: the text differs from an accepted one only in the family's side.
        await serial(() => applyRoutes(false));
        const firstFailureAt = (guard.trippedAt ?? 0) - (guard.tripMs ?? 0);
        o.onTripServed?.({ family: name, guard, firstFailureAt, servedAt: Date.now() });
        return;
      } catch (err) {
        o.onTripError?.(name, err);
        await new Promise((r) => setTimeout(r, 1000).unref());
        if (closed || !agent.isTripped(name)) return;
      }
    }
  }

  // Follows the access log from the first applied change (nginx creates the file when it loads the include).
  let following: Promise<void> | undefined;
  const follow = (): Promise<void> => {
    following ??= agent.follow(dp.accessLog).catch((err: unknown) => {
      following = undefined;
      throw err;
    });
    return following;
  };

  const family = (name: string): NginxFamily => {
    const f = byName.get(name);
    if (f === undefined) {
      throw new PhoenixError('PHX_ERR_ADMIN_UNKNOWN_FAMILY', `no family "${name}" in the plan driving nginx`, {
        family: name,
      });
    }
    return f;
  };

  async function figures(name: string): Promise<ProviderFigures> {
    family(name);
    await follow();
    await agent.drain();
    const { guard, stats } = agent.figures(name);
    return { route: routes.get(name) as RouteState, guard, stats, observedShareOnNew: observedShareOnNew(stats) };
  }

  return {
    kind: 'nginx',
    apply: async () => {
      await serial(() => applyRoutes());
      await follow();
    },
    install: () => serial(() => installNginx(dp, render().text)),
    setRoute: async (name, change: RouteChange) => {
      const next = await serial(async () => {
        const f = family(name);
        const cur = routes.get(name) as RouteState;
        const judged = judgeRouteChange(cur, change, f.parity.sampleRate, Date.now());
        if (judged.kind === 'stale')
          throw new PhoenixError('PHX_ERR_ROUTE_STALE_VERSION', judged.message, { family: name, version: cur.version });
        if (judged.kind === 'repeat') return cur;
        routes.set(name, judged.state);
        try {
          await applyRoutes();
        } catch (err) {
          // nginx kept the old file, so the family keeps the old route.
          routes.set(name, cur);
          throw err;
        }
        return judged.state;
      });
      // The guard watches from the first change on; a log nginx does not write is an error here.
      await follow();
      return next;
    },
    getRoute: async (name) => {
      family(name);
      const served = await readServedState(dp.controlListen);
      const r = served?.routes.find((x) => x.family === name);
      if (served === undefined || r === undefined) {
        throw new PhoenixError(
          'PHX_ERR_NGINX_UNREACHABLE',
          `nginx's control server (dataPlane.controlListen ${dp.controlListen}) did not report "${name}"; is nginx running with Phoenix's include file?`,
          { family: name },
        );
      }
      const known = routes.get(name) as RouteState;
      const meta = known.version === r.version ? { updatedBy: known.updatedBy, updatedAt: known.updatedAt } : {};
      return { ...(r as Omit<RouteState, 'updatedBy' | 'updatedAt'>), ...meta };
    },
    figures,
    clientCounters: (name) => {
      family(name);
      return agent.counters(name);
    },
    resetFigures: async (name) => {
      await figures(name);
      agent.resetFigures(name);
      return figures(name);
    },
    clearTrip: (name) =>
      serial(async () => {
        family(name);
        if (!agent.isTripped(name)) return agent.figures(name).guard;
        const trip = agent.trips().find((t) => t.family === name) as SavedTrip;
        const cleared = agent.clear(name);
        try {
          await applyRoutes();
        } catch (err) {
          // nginx still serves the family from legacy: keep it tripped.
          agent.restore(trip);
          throw err;
        }
        return cleared;
      }),
    health: async () => (await readServedState(dp.controlListen)) !== undefined,
    close: async () => {
      closed = true;
      await queue;
      await agent.close();
    },
  };
}
