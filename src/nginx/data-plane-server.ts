/**
 * The nginx data plane process (`phoenix router --plan` when the plan's families are on nginx):
 * one long-lived process on the nginx host that holds the nginx provider (the include file, and
 * the agent that tails the access log and holds the guard), compares what nginx mirrors (the
 * comparator's parts, in process), and serves the router's own admin API on the data plane's
 * admin URL. So the worker, the workflows and the CLI drive nginx exactly as they drive the
 * built-in router: by admin URL, with the same endpoints, bodies and error codes.
 */
import http from 'node:http';
import { createComparatorCore, createMirrorServer } from '../comparator/core.js';
import { PhoenixError } from '../lib/errors.js';
import { createLogger, type Logger } from '../lib/logger.js';
import { familiesOn, nginxDataPlaneOf } from '../plan/data-plane-of.js';
import type { NginxDataPlane, Plan } from '../plan/schema.js';
import { sharedPlanDigest } from '../plan/shared-digest.js';
import { createAdminHandler } from '../router/admin.js';
import { resolveAdminToken } from '../router/admin-token.js';
import { closeServers, hostForUrl, listen, portOf } from '../router/listen.js';
import { nginxAdminSide, showGuard } from './admin-carrier.js';
import { pcreJitOn, readServedState } from './apply.js';
import { showClientCounters } from './merged-figures.js';
import { createNginxProvider, type NginxProvider, type TripServed } from './provider.js';

export interface StartNginxDataPlaneOptions {
  plan: Plan;
  /** Admin API port; 0 picks a free one. @default the port of `dataPlane.adminUrl`, else of `router.adminUrl` */
  adminPort?: number;
  /** @default "127.0.0.1" */
  adminHost?: string;
  /** Admin bearer token. @default process.env.PHOENIX_ADMIN_TOKEN */
  adminToken?: string;
  /** Run the admin API without a token; allowed on a loopback admin host only. @default false */
  insecureAdmin?: boolean;
  /** Where nginx's mirrors are taken; 0 picks a free one. @default the port of `dataPlane.comparatorUrl` */
  mirrorPort?: number;
  /** @default the host of `dataPlane.comparatorUrl` */
  mirrorHost?: string;
  /** Compare unsafe requests of families with `parity.mirrorUnsafe` (they reach legacy a second time). @default false */
  allowUnsafe?: boolean;
  logger?: Logger;
  /** Called once nginx serves a tripped family from legacy. */
  onTripServed?: (t: TripServed) => void;
}

export interface RunningNginxDataPlane {
  adminUrl: string;
  adminPort: number;
  /** Where nginx's mirrors are compared; undefined without `dataPlane.comparatorUrl`. */
  mirrorUrl: string | undefined;
  /** Whether nginx answered at start (the include was applied) or not yet (only installed). */
  nginxRunning: boolean;
  provider: NginxProvider;
  close(): Promise<void>;
}

/** The host and port the mirror server takes, from the options or `comparatorUrl`. */
function mirrorAddress(o: StartNginxDataPlaneOptions, dp: NginxDataPlane): { host: string; port: number } | undefined {
  if (dp.comparatorUrl === undefined) return undefined;
  const host = o.mirrorHost ?? new URL(dp.comparatorUrl).hostname.replace(/^\[|\]$/g, '');
  return { host, port: o.mirrorPort ?? portOf(dp.comparatorUrl) };
}

function listenError(err: unknown, which: 'admin' | 'mirror', at: string, port: number): PhoenixError {
  const code = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
  const why =
    which === 'mirror' && code === 'EADDRNOTAVAIL'
      ? "dataPlane.comparatorUrl's host is not an address of this host: this process compares nginx's mirrors itself, so comparatorUrl must point at it (run it on the nginx host, or pass --mirror-host)"
      : code === 'EADDRINUSE'
        ? `another process holds it${which === 'mirror' ? " (a separate `phoenix comparator --serve`? this process takes nginx's mirrors itself: stop that one)" : ''}; stop it, or choose another port with --${which}-port`
        : `choose another with --${which}-port`;
  return new PhoenixError(
    'PHX_ERR_NGINX_DP_LISTEN',
    `cannot listen on the ${which} port ${at} (${code}); ${why}`,
    { port, which },
    { cause: err },
  );
}

/**
 * Starts the nginx data plane: installs Phoenix's include file (and reloads nginx when it runs),
 * takes nginx's mirrors, serves the admin API.
 * @throws `PHX_ERR_NGINX_NO_FAMILIES` when no family of the plan is on nginx,
 *   `PHX_ERR_NGINX_DP_LISTEN`, and the provider's errors (`PHX_ERR_NGINX_MISSING`, …)
 */
export async function startNginxDataPlane(o: StartNginxDataPlaneOptions): Promise<RunningNginxDataPlane> {
  const plan = o.plan;
  const log = o.logger ?? createLogger('nginx');
  const dp = nginxDataPlaneOf(plan);
  if (dp === undefined)
    throw new PhoenixError(
      'PHX_ERR_NGINX_NO_FAMILIES',
      "no family of the plan is on nginx (dataPlane.kind, or a family's own dataPlane): run the built-in router instead (`phoenix router --plan` without --data-plane nginx)",
    );
  const families = familiesOn(plan, 'nginx');
  const adminHost = o.adminHost ?? '127.0.0.1';
  const token = resolveAdminToken({ adminToken: o.adminToken, insecureAdmin: o.insecureAdmin, adminHost });
  const wantedAdmin = o.adminPort ?? portOf(dp.adminUrl ?? plan.router.adminUrl);

  const provider = await createNginxProvider({
    legacy: plan.legacy,
    families,
    dataPlane: dp,
    legacyTimeout: plan.router.legacyTimeout,
    onTripServed: (t) => {
      log.warn(
        { family: t.family, reason: t.guard.reason, ms: t.servedAt - t.firstFailureAt },
        'guard tripped: nginx serves the family from legacy',
      );
      const runtime = core.families.find((f) => f.name === t.family);
      if (runtime !== undefined) showGuard(runtime, t.guard);
      o.onTripServed?.(t);
    },
    onTripError: (family, err) =>
      log.error({ family, err }, 'guard tripped, but nginx did not take the legacy route yet; retrying'),
  });
  const core = createComparatorCore({
    plan,
    families,
    queue: plan.router.mirrorQueue,
    concurrency: plan.router.mirrorConcurrency,
    allowUnsafe: o.allowUnsafe === true,
    log,
  });
  const side = nginxAdminSide(provider);
  const adminServer = http.createServer(
    createAdminHandler({
      ...core.admin,
      token,
      log,
      planDigest: sharedPlanDigest(plan),
      carrier: side.carrier,
      setRoute: side.setRoute,
      clearGuard: side.clearGuard,
      async replay(f, body) {
        await side.checkReplay(f);
        return core.admin.replay(f, body);
      },
      // nginx counts the client path: its log's counts go out under the router's metric names.
      metrics() {
        for (const f of core.families) showClientCounters(f, provider.clientCounters(f.name));
        return core.admin.metrics();
      },
    }),
  );
  const mirror = mirrorAddress(o, dp);
  const mirrorServer = mirror === undefined ? undefined : createMirrorServer(core.intake);

  const fail = async (err: unknown): Promise<never> => {
    await closeServers([adminServer, ...(mirrorServer ? [mirrorServer] : [])], 0).catch(() => undefined);
    await core.close();
    await provider.close();
    throw err;
  };
  // nginx cannot start without the include file: install it first, then reload a running nginx.
  const nginxRunning = (await readServedState(dp.controlListen)) !== undefined;
  await (nginxRunning ? provider.apply() : provider.install()).catch(fail);
  if (!nginxRunning)
    log.warn(
      { controlListen: dp.controlListen },
      "nginx does not answer yet: Phoenix's include file is installed; start nginx",
    );
  // Advice, not a refusal: nginx routes the same without PCRE's JIT, at more CPU per request.
  if ((await pcreJitOn(dp).catch(() => undefined)) === false)
    log.warn(
      { mainConfig: dp.mainConfig },
      `nginx's configuration does not turn on PCRE's JIT: add "pcre_jit on;" at the top of ${dp.mainConfig} (outside http {}), which saves about 3% of nginx's CPU per request on the family match (docs/nginx.md#tuning-nginx)`,
    );

  let mirrorPort: number | undefined;
  if (mirror !== undefined && mirrorServer !== undefined) {
    mirrorPort = await listen(mirrorServer, mirror.port, mirror.host).catch((err: unknown) =>
      fail(listenError(err, 'mirror', `${mirror.host}:${mirror.port}`, mirror.port)),
    );
  }
  const adminPort = await listen(adminServer, wantedAdmin, adminHost).catch((err: unknown) =>
    fail(listenError(err, 'admin', `${adminHost}:${wantedAdmin}`, wantedAdmin)),
  );
  log.info({ adminPort, mirrorPort, families: families.length, nginxRunning }, 'nginx data plane listening');

  let closing: Promise<void> | undefined;
  return {
    adminUrl: `http://${hostForUrl(adminHost)}:${adminPort}`,
    adminPort,
    mirrorUrl: mirror && mirrorPort !== undefined ? `http://${hostForUrl(mirror.host)}:${mirrorPort}` : undefined,
    nginxRunning,
    provider,
    close() {
      closing ??= (async () => {
        await closeServers([adminServer, ...(mirrorServer ? [mirrorServer] : [])]);
        await core.close();
        await provider.close();
      })();
      return closing;
    },
  };
}
