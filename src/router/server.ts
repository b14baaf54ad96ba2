/**
 * Starts the strangler router: the public proxy and the admin API on its own port, with flag
 * state restored from the state file. The router never needs Temporal to serve traffic.
 */
import http from 'node:http';
import path from 'node:path';
import { PhoenixError } from '../lib/errors.js';
import { createLogger, type Logger } from '../lib/logger.js';
import { familiesOn } from '../plan/data-plane-of.js';
import type { Plan } from '../plan/schema.js';
import { sharedPlanDigest } from '../plan/shared-digest.js';
import { createAdminHandler } from './admin.js';
import { resolveAdminToken } from './admin-token.js';
import { portOf } from './listen.js';
import { closePairOnce, listenPair, type ServerPairOptions } from './server-pair.js';
import { compileTrust } from './client-address.js';
import { AdminError } from './admin.js';
import { FamilyRuntime } from './family.js';
import { createMatcher } from '../plan/route-match.js';
import { renderMetrics } from './metrics.js';
import { upstreamPools } from './pools.js';
import { createHandler } from './proxy.js';
import { failureCounts } from './upstream-errors.js';
import { ShadowPipeline } from './shadow/pipeline.js';
import { checkReplay, Replayer } from './replay.js';
import { StateFile, type SavedFamily } from './store.js';
import { judgeRouteChange } from './route-change.js';
import type { RouteChange, RouteState } from './types.js';

export interface StartRouterOptions extends ServerPairOptions {
  plan: Plan;
  /** Public port; 0 picks a free one. @default the port of `plan.router.publicUrl` */
  port?: number;
  /** @default `plan.router.stateFile`, relative to the working directory */
  stateFile?: string;
  logger?: Logger;
}

export interface RunningRouter {
  /** Public base URL. */
  url: string;
  adminUrl: string;
  port: number;
  adminPort: number;
  /** The state file in use. */
  stateFile: string;
  /** Saves the state, stops accepting connections and closes the upstream pools. */
  close(): Promise<void>;
}

export async function startRouter(o: StartRouterOptions): Promise<RunningRouter> {
  // A family on nginx is the nginx data plane's: here its requests go to legacy, as unmatched ones do.
  const plan = { ...o.plan, families: familiesOn(o.plan, 'phoenix') };
  if (plan.families.length === 0)
    throw new PhoenixError(
      'PHX_ERR_ROUTER_NO_FAMILIES',
      'every family of the plan is on nginx (dataPlane); run the nginx data plane instead: `phoenix router --plan <file> --data-plane nginx` on the nginx host (see docs/nginx.md)',
    );
  const log = o.logger ?? createLogger('router');
  const host = o.host ?? '127.0.0.1';
  const adminHost = o.adminHost ?? '127.0.0.1';
  const token = resolveAdminToken({ adminToken: o.adminToken, insecureAdmin: o.insecureAdmin, adminHost });

  const pools = upstreamPools(256);
  const now = Date.now();
  const trust = compileTrust(plan.router.trustedProxies);
  const families = plan.families.map(
    (f) =>
      new FamilyRuntime(f, { legacy: pools.pool(f.legacy), candidate: pools.pool(f.new) }, now, {
        trust,
        records: plan.router.records,
      }),
  );
  const byName = new Map(families.map((f) => [f.name, f]));

  const store = new StateFile(o.stateFile ?? path.resolve(plan.router.stateFile), log);
  const loaded = await store.load();
  if (loaded.corrupt) {
    log.error(
      { file: store.file, setAside: loaded.setAside, problem: loaded.error },
      'the router state file is damaged; every family starts on legacy (the damaged file was kept aside)',
    );
  }
  for (const [name, saved] of loaded.families) {
    const f = byName.get(name);
    if (!f) {
      log.warn(
        { family: name, file: store.file },
        'the state file names a family this router does not carry (not in the plan, or on another data plane); ignored',
      );
      continue;
    }
    f.route = { ...saved.route, family: name };
    if (saved.guard) f.guard.restore(saved.guard);
  }
  const snapshot = (): Record<string, SavedFamily> =>
    Object.fromEntries(
      families.map((f) => [
        f.name,
        {
          route: f.route,
          ...(f.guard.state.tripped
            ? {
                guard: {
                  reason: f.guard.state.reason,
                  trippedAt: f.guard.state.trippedAt,
                  tripMs: f.guard.state.tripMs,
                },
              }
            : {}),
        },
      ]),
    );
  const save = (): void => store.save(snapshot);

  const shadow = new ShadowPipeline({
    families,
    queue: plan.router.mirrorQueue,
    concurrency: plan.router.mirrorConcurrency,
    maxCompareBytes: plan.router.maxCompareBytes,
    nice: plan.router.shadowNice,
    maxBusy: plan.router.shadowMaxBusy,
    busyWindowMs: plan.router.shadowBusyWindowMs,
    log,
  });
  shadow.warmUp();
  const counters = { refusedTargets: 0, upstreamFailures: failureCounts() };
  const matcher = createMatcher(plan.families);
  const replayer = new Replayer({ shadow, families, maxCompareBytes: plan.router.maxCompareBytes });
  const handler = createHandler({
    counters,
    matcher,
    families,
    defaultLegacy: pools.pool(plan.legacy),
    defaultLegacyOrigin: new URL(plan.legacy).origin,
    trust,
    shadow,
    maxCompareBytes: plan.router.maxCompareBytes,
    maxAdaptBytes: plan.router.maxAdaptBytes,
    legacyTimeout: plan.router.legacyTimeout,
    log,
    onTrip(f) {
      log.warn(
        { family: f.name, reason: f.guard.state.reason, tripMs: f.guard.state.tripMs },
        'guard tripped: family forced to legacy until cleared',
      );
      save();
    },
  });

  function setRoute(f: FamilyRuntime, change: RouteChange): RouteState {
    const judged = judgeRouteChange(f.route, change, f.plan.parity.sampleRate, Date.now());
    if (judged.kind === 'stale') throw new AdminError(409, 'PHX_ERR_ROUTE_STALE_VERSION', judged.message);
    if (judged.kind === 'repeat') return judged.state;
    f.route = judged.state;
    const { percent } = judged.state;
    log.info(
      { family: f.name, mode: change.mode, percent, version: change.version, by: change.updatedBy },
      'route changed',
    );
    save();
    return f.route;
  }

  const adminServer = http.createServer(
    createAdminHandler({
      families: byName,
      token,
      log,
      // The whole plan as given, not only this router's families: the fleet's copies must agree on all of it.
      planDigest: sharedPlanDigest(o.plan),
      setRoute,
      clearGuard(f) {
        if (!f.guard.state.tripped) return;
        f.guard.clear();
        log.info({ family: f.name }, 'guard cleared');
        save();
      },
      comparisons: (f) => shadow.comparisons(families.indexOf(f)),
      comparisonsIdle: (f) => shadow.idle(families.indexOf(f)),
      latencyChanged: (f) => shadow.latencyChanged(families.indexOf(f)),
      replay(f, body) {
        const index = families.indexOf(f);
        if (f.effectiveMode() !== 'shadow' && f.effectiveMode() !== 'canary')
          throw new AdminError(
            409,
            'PHX_ERR_REPLAY_NOT_SHADOW',
            `"${f.name}" is in ${f.effectiveMode()} mode${f.guard.state.tripped ? ' (guard tripped)' : ''}; requests are replayed in shadow or canary mode only`,
          );
        return replayer.replay(index, checkReplay(body, f, index, matcher), body.perSecond);
      },
      metrics: () => renderMetrics(families, { shadow, stateFileCorrupt: loaded.corrupt, counters }),
    }),
  );
  const server = http.createServer({ keepAliveTimeout: plan.router.clientKeepAlive, requestTimeout: 0 }, handler);
  server.on('clientError', (err, socket) => {
    if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nconnection: close\r\ncontent-length: 0\r\n\r\n');
    else socket.destroy(err);
  });

  // Nothing may keep the process alive after a failed start: the caller exits with the error.
  const bound = await listenPair({
    server,
    adminServer,
    which: 'public',
    port: o.port ?? portOf(plan.router.publicUrl),
    adminPort: o.adminPort ?? portOf(plan.router.adminUrl),
    host,
    adminHost,
    code: 'PHX_ERR_ROUTER_LISTEN',
    release: async () => {
      await shadow.close();
      await pools.close();
    },
  });
  // Persist the restored (or reset-to-legacy) state so the file on disk matches what is served.
  save();
  await store.flush();
  const { port, adminPort } = bound;
  log.info({ port, adminPort, families: families.length, stateFile: store.file }, 'router listening');

  return {
    ...bound,
    stateFile: store.file,
    close: closePairOnce([server, adminServer], async () => {
      await shadow.close();
      await store.flush();
      await pools.close();
    }),
  };
}
