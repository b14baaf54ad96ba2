/**
 * `phoenix comparator --serve`: shadow comparison for nginx (Diffy's layout). nginx mirrors the
 * shadow-sampled requests of the plan's families to the mirror port; each one is answered at once,
 * sent to legacy from here, then through the router's own shadow pipeline (mirror to new, second
 * legacy samples for noise, redirects, adapters, value classes, triage) into per-family
 * statistics. The admin port serves the router's admin API (same token, same endpoints, same
 * bodies, `/metrics`), so `phoenix parity`, `phoenix status` and the workflow's parity gate read
 * it as they read a router. It routes nothing: nginx's include file decides what is mirrored.
 */
import http from 'node:http';
import { PhoenixError } from '../lib/errors.js';
import { createLogger, type Logger } from '../lib/logger.js';
import type { Plan } from '../plan/schema.js';
import { AdminError, createAdminHandler } from '../router/admin.js';
import { resolveAdminToken } from '../router/admin-token.js';
import { portOf } from '../router/listen.js';
import { judgeRouteChange } from '../router/route-change.js';
import { closePairOnce, listenPair, type ServerPairOptions } from '../router/server-pair.js';
import { createComparatorCore, createMirrorServer } from './core.js';

export interface StartComparatorOptions extends ServerPairOptions {
  plan: Plan;
  /** Port nginx mirrors to; 0 picks a free one. @default the port of `dataPlane.comparatorUrl` */
  port?: number;
  /** Samples waiting at most, beyond those running. @default `plan.router.mirrorQueue` */
  queue?: number;
  /** Requests in flight at once per stage (legacy, new, second legacy samples). @default `plan.router.mirrorConcurrency` */
  concurrency?: number;
  /** Compare unsafe requests of families with `parity.mirrorUnsafe` (they reach legacy a second time). @default false */
  allowUnsafe?: boolean;
  /** How long an unsafe mirror waits for one nginx took on before it, ms. @default 50 */
  reorderMs?: number;
  logger?: Logger;
}

export interface RunningComparator {
  /** Where nginx mirrors to. */
  url: string;
  adminUrl: string;
  port: number;
  adminPort: number;
  /** Stops accepting, finishes the comparisons under way, closes the pools. */
  close(): Promise<void>;
}

function mirrorPort(o: StartComparatorOptions): number {
  if (o.port !== undefined) return o.port;
  const dp = o.plan.dataPlane;
  if (dp.kind === 'nginx' && dp.comparatorUrl !== undefined) return portOf(dp.comparatorUrl);
  throw new PhoenixError(
    'PHX_ERR_COMPARATOR_NO_PORT',
    'no port to take mirrored requests on: pass --port, or set dataPlane.comparatorUrl in the plan (where nginx mirrors to)',
  );
}

/** Starts the comparator's two servers. */
export async function startComparator(o: StartComparatorOptions): Promise<RunningComparator> {
  const plan = o.plan;
  const log = o.logger ?? createLogger('comparator');
  const host = o.host ?? '127.0.0.1';
  const adminHost = o.adminHost ?? '127.0.0.1';
  const token = resolveAdminToken({ adminToken: o.adminToken, insecureAdmin: o.insecureAdmin, adminHost });
  const wanted = { mirror: mirrorPort(o), admin: o.adminPort ?? portOf(plan.router.adminUrl) };
  const queue = o.queue ?? plan.router.mirrorQueue;
  const concurrency = o.concurrency ?? plan.router.mirrorConcurrency;
  const core = createComparatorCore({
    plan,
    families: plan.families,
    queue,
    concurrency,
    allowUnsafe: o.allowUnsafe === true,
    reorderMs: o.reorderMs,
    log,
  });
  const intake = core.intake;

  const adminServer = http.createServer(
    createAdminHandler({
      ...core.admin,
      token,
      log,
      setRoute(f, change) {
        // Kept so a client driving this API reads back what it set; nginx's include file routes.
        const judged = judgeRouteChange(f.route, change, f.plan.parity.sampleRate, Date.now());
        if (judged.kind === 'stale') throw new AdminError(409, 'PHX_ERR_ROUTE_STALE_VERSION', judged.message);
        if (judged.kind === 'next') {
          f.route = judged.state;
          log.info(
            { family: f.name, mode: change.mode, version: change.version },
            'route noted; the comparator routes nothing (nginx does, from its include file)',
          );
        }
        return f.route;
      },
      // No guard here: nothing is tripped, so there is nothing to clear.
      clearGuard: () => undefined,
    }),
  );
  const server = createMirrorServer(intake);

  const bound = await listenPair({
    server,
    adminServer,
    which: 'mirror',
    port: wanted.mirror,
    adminPort: wanted.admin,
    host,
    adminHost,
    code: 'PHX_ERR_COMPARATOR_LISTEN',
    release: () => core.close(),
  });
  const held = intake.unsafeHeldBack;
  if (held.length > 0)
    log.warn(
      { families: held },
      'these families set parity.mirrorUnsafe, but their unsafe requests are not compared without --allow-unsafe (each would reach legacy a second time)',
    );
  const { port, adminPort } = bound;
  log.info({ port, adminPort, families: core.families.length, queue, concurrency }, 'comparator listening');

  return {
    ...bound,
    close: closePairOnce([server, adminServer], () => core.close()),
  };
}
