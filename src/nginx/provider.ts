/**
 * The nginx traffic provider: keeps each family's route, renders and applies the include file on
 * every change, and reads back what nginx serves. Versions work as in the built-in router: the
 * same version with the same content changes nothing, an older one is refused. The applied
 * routes are kept in the include file itself, so a restarted control plane carries on from them.
 */
import { readFile } from 'node:fs/promises';
import { PhoenixError } from '../lib/errors.js';
import type { NginxDataPlane } from '../plan/schema.js';
import type { TrafficProvider } from '../provider/traffic-provider.js';
import { judgeRouteChange } from '../router/route-change.js';
import type { RouteChange, RouteState } from '../router/types.js';
import { applyNginx, installNginx, readServedState } from './apply.js';
import { renderNginx, STATE_PREFIX, type AppliedState, type RenderFamily } from './render.js';

/** A family as the provider needs it: what is rendered, and the default shadow sampling. */
export interface NginxFamily extends RenderFamily {
  parity: { sampleRate: number };
}

export interface NginxProviderOptions {
  /** The plan's legacy upstream (requests matching no family). */
  legacy: string;
  families: readonly NginxFamily[];
  dataPlane: NginxDataPlane;
}

export interface NginxProvider extends TrafficProvider {
  /** Renders and applies the current routes (every family on legacy the first time). */
  apply(): Promise<void>;
  /** Renders, tests and writes the include file without reloading: before nginx's first start. */
  install(): Promise<void>;
}

/** The routes saved in an include file Phoenix rendered before, if any. */
async function savedRoutes(file: string): Promise<RouteState[]> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch {
    return [];
  }
  const line = text.split('\n').find((l) => l.startsWith(STATE_PREFIX));
  if (line === undefined) return [];
  try {
    return (JSON.parse(line.slice(STATE_PREFIX.length)) as AppliedState).routes;
  } catch {
    return [];
  }
}

/** Creates the provider, picking up the routes of the include file already in place. */
export async function createNginxProvider(o: NginxProviderOptions): Promise<NginxProvider> {
  const byName = new Map(o.families.map((f) => [f.name, f]));
  const routes = new Map<string, RouteState>();
  for (const r of await savedRoutes(o.dataPlane.includeFile)) if (byName.has(r.family)) routes.set(r.family, r);
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

  const family = (name: string): NginxFamily => {
    const f = byName.get(name);
    if (f === undefined) {
      throw new PhoenixError('PHX_ERR_ADMIN_UNKNOWN_FAMILY', `no family "${name}" in the plan driving nginx`, {
        family: name,
      });
    }
    return f;
  };

  const render = () => renderNginx({ legacy: o.legacy, families: o.families, routes, dataPlane: o.dataPlane });
  async function applyRoutes(): Promise<void> {
    const r = render();
    await applyNginx(o.dataPlane, r.text, r.state.digest);
  }

  return {
    kind: 'nginx',
    apply: () => serial(applyRoutes),
    install: () => serial(() => installNginx(o.dataPlane, render().text)),
    setRoute: (name, change: RouteChange) =>
      serial(async () => {
        const f = family(name);
        const cur = routes.get(name) as RouteState;
        const judged = judgeRouteChange(cur, change, f.parity.sampleRate, Date.now());
        if (judged.kind === 'stale')
          throw new PhoenixError('PHX_ERR_ROUTE_STALE_VERSION', judged.message, { family: name, version: cur.version });
        if (judged.kind === 'repeat') return cur;
        const next = judged.state;
        routes.set(name, next);
        try {
          await applyRoutes();
        } catch (err) {
          // nginx kept the old file, so the family keeps the old route.
          routes.set(name, cur);
          throw err;
        }
        return next;
      }),
    getRoute: async (name) => {
      family(name);
      const served = await readServedState(o.dataPlane.controlListen);
      const r = served?.routes.find((x) => x.family === name);
      if (served === undefined || r === undefined) {
        throw new PhoenixError(
          'PHX_ERR_NGINX_UNREACHABLE',
          `nginx's control server (dataPlane.controlListen ${o.dataPlane.controlListen}) did not report "${name}"; is nginx running with Phoenix's include file?`,
          { family: name },
        );
      }
      const known = routes.get(name) as RouteState;
      const meta = known.version === r.version ? { updatedBy: known.updatedBy, updatedAt: known.updatedAt } : {};
      return { ...(r as Omit<RouteState, 'updatedBy' | 'updatedAt'>), ...meta };
    },
    health: async () => (await readServedState(o.dataPlane.controlListen)) !== undefined,
    close: async () => {
      await queue;
    },
  };
}
