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
import { createMatcher } from '../plan/route-match.js';
import type { Plan } from '../plan/schema.js';
import { AdminError, createAdminHandler } from '../router/admin.js';
import { resolveAdminToken } from '../router/admin-token.js';
import { FamilyRuntime } from '../router/family.js';
import { closeServers, hostForUrl, listen, portOf } from '../router/listen.js';
import { renderMetrics } from '../router/metrics.js';
import { upstreamPools } from '../router/pools.js';
import { checkReplay, Replayer } from '../router/replay.js';
import { judgeRouteChange } from '../router/route-change.js';
import { ShadowPipeline } from '../router/shadow/pipeline.js';
import { failureCounts } from '../router/upstream-errors.js';
import { MirrorIntake, type IntakeCounters } from './intake.js';

export interface StartComparatorOptions {
  plan: Plan;
  /** Port nginx mirrors to; 0 picks a free one. @default the port of `dataPlane.comparatorUrl` */
  port?: number;
  /** @default "127.0.0.1" */
  host?: string;
  /** Admin API port; 0 picks a free one. @default the port of `plan.router.adminUrl` */
  adminPort?: number;
  /** @default "127.0.0.1" */
  adminHost?: string;
  /** Admin bearer token. @default process.env.PHOENIX_ADMIN_TOKEN */
  adminToken?: string;
  /** Run the admin API without a token; allowed on a loopback admin host only. @default false */
  insecureAdmin?: boolean;
  /** Samples waiting at most, beyond those running. @default `plan.router.mirrorQueue` */
  queue?: number;
  /** Requests in flight at once per stage (legacy, new, second legacy samples). @default `plan.router.mirrorConcurrency` */
  concurrency?: number;
  /** Compare unsafe requests of families with `parity.mirrorUnsafe` (they reach legacy a second time). @default false */
  allowUnsafe?: boolean;
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

/** Longer than nginx's upstream `keepalive_timeout` (60 s), so nginx closes idle connections first. */
const KEEP_ALIVE_MS = 75_000;

function mirrorPort(o: StartComparatorOptions): number {
  if (o.port !== undefined) return o.port;
  const dp = o.plan.dataPlane;
  if (dp.kind === 'nginx' && dp.comparatorUrl !== undefined) return portOf(dp.comparatorUrl);
  throw new PhoenixError(
    'PHX_ERR_COMPARATOR_NO_PORT',
    'no port to take mirrored requests on: pass --port, or set dataPlane.comparatorUrl in the plan (where nginx mirrors to)',
  );
}

function counterLines(name: string, type: string, help: string, rows: [string, number][]): string[] {
  return [`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`, ...rows.map(([l, v]) => `${name}${l} ${v}`)];
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
  const maxCompareBytes = plan.router.maxCompareBytes;

  const pools = upstreamPools(concurrency);
  const now = Date.now();
  const families = plan.families.map(
    (f) =>
      new FamilyRuntime(f, { legacy: pools.pool(f.legacy), candidate: pools.pool(f.new) }, now, {
        records: plan.router.records,
      }),
  );
  const byName = new Map(families.map((f) => [f.name, f]));
  const shadow = new ShadowPipeline({
    families,
    queue,
    concurrency,
    maxCompareBytes,
    nice: plan.router.shadowNice,
    // Nothing here serves clients: the slots alone bound the work.
    maxBusy: 1,
    log,
  });
  const counters: IntakeCounters = {
    received: 0,
    unmatched: 0,
    legacyErrors: families.map(() => 0),
    refusedTargets: 0,
    upstreamFailures: failureCounts(),
  };
  const matcher = createMatcher(plan.families);
  const intake = new MirrorIntake({
    families,
    matcher,
    shadow,
    queue,
    concurrency,
    maxCompareBytes,
    allowUnsafe: o.allowUnsafe === true,
    counters,
  });
  // After the intake, whose legacy identity may refuse to start (a missing variable).
  shadow.warmUp();
  const replayer = new Replayer({ shadow, families, maxCompareBytes });
  const metrics = (): string =>
    renderMetrics(families, { shadow, stateFileCorrupt: false, counters }) +
    [
      ...counterLines('phoenix_comparator_mirrors_received_total', 'counter', 'Requests nginx mirrored here.', [
        ['', counters.received],
      ]),
      ...counterLines(
        'phoenix_comparator_mirrors_unmatched_total',
        'counter',
        "Mirrored requests of no family of the comparator's plan, or of another family than nginx named: not compared.",
        [['', counters.unmatched]],
      ),
      ...counterLines(
        'phoenix_comparator_legacy_errors_total',
        'counter',
        "Samples legacy did not answer the comparator's request for: not compared.",
        families.map((f, i) => [`{family="${f.name}"}`, counters.legacyErrors[i]!]),
      ),
      ...counterLines('phoenix_comparator_samples_in_flight', 'gauge', 'Samples holding a slot.', [
        ['', shadow.outstanding],
      ]),
      ...counterLines('phoenix_comparator_slots', 'gauge', 'Slots: samples under way at most (queue + concurrency).', [
        ['', queue + concurrency],
      ]),
    ].join('\n') +
    '\n';

  const adminServer = http.createServer(
    createAdminHandler({
      families: byName,
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
      comparisons: (f) => shadow.comparisons(families.indexOf(f)),
      comparisonsIdle: (f) => shadow.idle(families.indexOf(f)),
      latencyChanged: (f) => shadow.latencyChanged(families.indexOf(f)),
      replay(f, body) {
        const index = families.indexOf(f);
        return replayer.replay(index, checkReplay(body, f, index, matcher), body.perSecond);
      },
      metrics,
    }),
  );
  const server = http.createServer({ keepAliveTimeout: KEEP_ALIVE_MS }, (req, res) => intake.handle(req, res));
  server.on('clientError', (err, socket) => {
    if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nconnection: close\r\ncontent-length: 0\r\n\r\n');
    else socket.destroy(err);
  });

  let port: number;
  let adminPort: number;
  let which: 'mirror' | 'admin' = 'mirror';
  try {
    port = await listen(server, wanted.mirror, host);
    which = 'admin';
    adminPort = await listen(adminServer, wanted.admin, adminHost);
  } catch (err) {
    server.close();
    await shadow.close();
    await pools.close();
    const e = err as NodeJS.ErrnoException;
    const at = which === 'mirror' ? `${host}:${wanted.mirror}` : `${adminHost}:${wanted.admin}`;
    throw new PhoenixError(
      'PHX_ERR_COMPARATOR_LISTEN',
      `cannot listen on the ${which} port ${at} (${e.code ?? e.message}); ${e.code === 'EADDRINUSE' ? 'another process holds it: stop it, or ' : ''}choose other ports with --port / --admin-port`,
      { port: wanted[which], which },
      { cause: err },
    );
  }
  const held = intake.unsafeHeldBack;
  if (held.length > 0)
    log.warn(
      { families: held },
      'these families set parity.mirrorUnsafe, but their unsafe requests are not compared without --allow-unsafe (each would reach legacy a second time)',
    );
  log.info({ port, adminPort, families: families.length, queue, concurrency }, 'comparator listening');

  let closing: Promise<void> | undefined;
  return {
    url: `http://${hostForUrl(host)}:${port}`,
    adminUrl: `http://${hostForUrl(adminHost)}:${adminPort}`,
    port,
    adminPort,
    close() {
      closing ??= (async () => {
        await closeServers([server, adminServer]);
        await intake.drained();
        await shadow.close();
        await pools.close();
      })();
      return closing;
    },
  };
}
