/**
 * The comparator's working parts, without its servers: per-family runtimes, the router's shadow
 * pipeline, the mirror intake nginx's mirrors go to, replays, and `/metrics`. `phoenix comparator
 * --serve` puts them behind its two ports (`server.ts`); the nginx data plane process
 * (`src/nginx/data-plane-server.ts`) runs them beside the nginx provider, so one process routes,
 * guards and compares.
 */
import http from 'node:http';
import type { Logger } from '../lib/logger.js';
import { createMatcher } from '../plan/route-match.js';
import type { FamilyPlan, Plan } from '../plan/schema.js';
import type { AdminDeps } from '../router/admin.js';
import { FamilyRuntime } from '../router/family.js';
import { renderMetrics } from '../router/metrics.js';
import { upstreamPools } from '../router/pools.js';
import { checkReplay, Replayer } from '../router/replay.js';
import { ShadowPipeline } from '../router/shadow/pipeline.js';
import { failureCounts } from '../router/upstream-errors.js';
import { MirrorIntake, type IntakeCounters } from './intake.js';

export interface ComparatorCoreOptions {
  plan: Pick<Plan, 'router'>;
  /** The families compared. */
  families: readonly FamilyPlan[];
  /** Samples waiting at most, beyond those running. */
  queue: number;
  /** Requests in flight at once per stage (legacy, new, second legacy samples). */
  concurrency: number;
  /** Compare unsafe requests of families with `parity.mirrorUnsafe`. */
  allowUnsafe: boolean;
  /** How long an unsafe mirror waits for one nginx took on before it, ms. @default 50 (`REORDER_MS`) */
  reorderMs?: number;
  log: Logger;
}

/** The comparison side of the admin API, as {@link createAdminHandler}'s deps name it. */
export type ComparatorAdminDeps = Pick<
  AdminDeps,
  'families' | 'comparisons' | 'comparisonsIdle' | 'latencyChanged' | 'replay' | 'metrics'
>;

export interface ComparatorCore {
  readonly families: readonly FamilyRuntime[];
  /** Takes one mirrored request (answers it at once, compares it later). */
  readonly intake: MirrorIntake;
  readonly admin: ComparatorAdminDeps;
  /** After the servers closed: finishes the comparisons under way, closes the pools. */
  close(): Promise<void>;
}

function counterLines(name: string, type: string, help: string, rows: [string, number][]): string[] {
  return [`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`, ...rows.map(([l, v]) => `${name}${l} ${v}`)];
}

/** Builds the comparator's parts; nothing listens yet. */
export function createComparatorCore(o: ComparatorCoreOptions): ComparatorCore {
  const { queue, concurrency, log } = o;
  const router = o.plan.router;
  const maxCompareBytes = router.maxCompareBytes;
  const pools = upstreamPools(concurrency);
  const now = Date.now();
  const families = o.families.map(
    (f) =>
      new FamilyRuntime(f, { legacy: pools.pool(f.legacy), candidate: pools.pool(f.new) }, now, {
        records: router.records,
      }),
  );
  const shadow = new ShadowPipeline({
    families,
    queue,
    concurrency,
    maxCompareBytes,
    nice: router.shadowNice,
    // Nothing here serves clients: the slots alone bound the work.
    maxBusy: 1,
    log,
  });
  const counters: IntakeCounters = {
    received: 0,
    unmatched: 0,
    legacyErrors: families.map(() => 0),
    outOfOrder: 0,
    refusedTargets: 0,
    upstreamFailures: failureCounts(),
  };
  const matcher = createMatcher(o.families);
  const intake = new MirrorIntake({
    families,
    matcher,
    shadow,
    queue,
    concurrency,
    maxCompareBytes,
    allowUnsafe: o.allowUnsafe,
    reorderMs: o.reorderMs,
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
      ...counterLines(
        'phoenix_comparator_unsafe_out_of_order_total',
        'counter',
        'Unsafe mirrors that arrived after one nginx took on later had gone on: new got them out of order.',
        [['', counters.outOfOrder]],
      ),
      ...counterLines('phoenix_comparator_samples_in_flight', 'gauge', 'Samples holding a slot.', [
        ['', shadow.outstanding],
      ]),
      ...counterLines('phoenix_comparator_slots', 'gauge', 'Slots: samples under way at most (queue + concurrency).', [
        ['', queue + concurrency],
      ]),
    ].join('\n') +
    '\n';

  return {
    families,
    intake,
    admin: {
      families: new Map(families.map((f) => [f.name, f])),
      comparisons: (f) => shadow.comparisons(families.indexOf(f)),
      comparisonsIdle: (f) => shadow.idle(families.indexOf(f)),
      latencyChanged: (f) => shadow.latencyChanged(families.indexOf(f)),
      replay(f, body) {
        const index = families.indexOf(f);
        return replayer.replay(index, checkReplay(body, f, index, matcher), body.perSecond);
      },
      metrics,
    },
    async close() {
      await intake.drained();
      await shadow.close();
      await pools.close();
    },
  };
}

/** Longer than nginx's upstream `keepalive_timeout` (60 s), so nginx closes idle connections first. */
const KEEP_ALIVE_MS = 75_000;

/** The HTTP server nginx mirrors to: every request goes to the intake. */
export function createMirrorServer(intake: MirrorIntake): http.Server {
  const server = http.createServer({ keepAliveTimeout: KEEP_ALIVE_MS }, (req, res) => intake.handle(req, res));
  server.on('clientError', (err, socket) => {
    if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nconnection: close\r\ncontent-length: 0\r\n\r\n');
    else socket.destroy(err);
  });
  return server;
}
