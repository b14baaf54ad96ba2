/**
 * `/metrics` in the Prometheus text format: cumulative counters per family (requests by backend
 * and status class, comparisons, mismatches by kind, mirrors dropped, fallbacks, guard trips),
 * the current statistics window's latency quantiles, and router-wide gauges.
 */
import { STATUS_CLASSES, type FamilyRuntime } from './family.js';
import type { ShadowPipeline } from './shadow/pipeline.js';
import type { RouterCounters } from './exchange.js';
import { UPSTREAM_FAILURES, type UpstreamFailure } from './upstream-errors.js';

const FAILURE_KINDS = Object.keys(UPSTREAM_FAILURES) as UpstreamFailure[];

/** Label set of one failure kind: the status and code the router answers it with. */
function failureLabels(failure: UpstreamFailure): string {
  return `status="${UPSTREAM_FAILURES[failure].status}",code="${UPSTREAM_FAILURES[failure].code}"`;
}

function esc(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

export function renderMetrics(
  families: Iterable<FamilyRuntime>,
  router: { shadow: ShadowPipeline; stateFileCorrupt: boolean; counters: RouterCounters },
): string {
  const fams = [...families];
  const out: string[] = [];
  const metric = (name: string, type: string, help: string, rows: [string, number][]): void => {
    out.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
    for (const [labels, value] of rows)
      out.push(`${name}${labels ? `{${labels}}` : ''} ${Number.isFinite(value) ? value : 0}`);
  };
  const now = Date.now();
  metric(
    'phoenix_requests_total',
    'counter',
    'Requests answered on the client path, by family, backend and status class (error = no answer).',
    fams.flatMap((f) =>
      (['legacy', 'new'] as const).flatMap((b) =>
        STATUS_CLASSES.map((c, i): [string, number] => [
          `family="${esc(f.name)}",backend="${b}",class="${c}"`,
          f.counters.requests[b][i]!,
        ]),
      ),
    ),
  );
  const quantiles: [string, number][] = [];
  for (const f of fams) {
    const s = f.stats.snapshot(now);
    for (const b of ['legacy', 'new'] as const) {
      for (const [q, v] of [
        ['0.5', s.backends[b].p50],
        ['0.95', s.backends[b].p95],
        ['0.99', s.backends[b].p99],
      ] as const) {
        if (v !== null) quantiles.push([`family="${esc(f.name)}",backend="${b}",quantile="${q}"`, v / 1000]);
      }
    }
  }
  metric(
    'phoenix_upstream_latency_seconds',
    'gauge',
    'Time to response headers per backend over the current statistics window.',
    quantiles,
  );
  metric(
    'phoenix_shadow_comparisons_total',
    'counter',
    'Shadow comparisons made.',
    fams.map((f) => [`family="${esc(f.name)}"`, f.counters.comparisons]),
  );
  metric(
    'phoenix_shadow_replayed_total',
    'counter',
    'Shadow comparisons of replayed recorded requests (included in phoenix_shadow_comparisons_total).',
    fams.map((f) => [`family="${esc(f.name)}"`, f.counters.replayed]),
  );
  metric(
    'phoenix_shadow_mismatches_total',
    'counter',
    'Shadow comparisons that differed, by difference kind.',
    fams.flatMap((f) =>
      Object.entries(f.counters.mismatches).map(([k, v]): [string, number] => [
        `family="${esc(f.name)}",kind="${esc(k)}"`,
        v,
      ]),
    ),
  );
  metric(
    'phoenix_shadow_informational_total',
    'counter',
    'Shadow comparisons with an informational difference (not counted as a mismatch), by kind.',
    fams.flatMap((f) =>
      Object.entries(f.counters.informational).map(([k, v]): [string, number] => [
        `family="${esc(f.name)}",kind="${esc(k)}"`,
        v,
      ]),
    ),
  );
  metric(
    'phoenix_shadow_mirrors_dropped_total',
    'counter',
    'Shadow samples dropped because the mirror queue was full or the router thread was past router.shadowMaxBusy.',
    fams.map((f) => [`family="${esc(f.name)}"`, f.counters.mirrorsDropped]),
  );
  metric(
    'phoenix_shadow_mirror_errors_total',
    'counter',
    'Mirrors the new service did not answer.',
    fams.map((f) => [`family="${esc(f.name)}"`, f.counters.mirrorErrors]),
  );
  metric(
    'phoenix_fallbacks_total',
    'counter',
    'Safe requests answered by legacy after the new backend failed.',
    fams.map((f) => [`family="${esc(f.name)}"`, f.counters.fallbacks]),
  );
  metric(
    'phoenix_new_aborted_total',
    'counter',
    'New-backend answers cut off after their headers were sent (truncated body, body timeout); each counts against the guard.',
    fams.map((f) => [`family="${esc(f.name)}"`, f.counters.newAborted]),
  );
  metric(
    'phoenix_upstream_failures_total',
    'counter',
    'Upstream attempts that failed before their answer started, by the status and code the router answers them with; a safe request on new is answered by legacy instead (also in phoenix_fallbacks_total). family="" is the default legacy.',
    [
      ...fams.flatMap((f) =>
        (['legacy', 'new'] as const).flatMap((b) =>
          FAILURE_KINDS.filter((k) => b === 'new' || k !== 'adapterTooLarge').map((k): [string, number] => [
            `family="${esc(f.name)}",backend="${b}",${failureLabels(k)}`,
            f.counters.upstreamFailures[b][k],
          ]),
        ),
      ),
      ...FAILURE_KINDS.filter((k) => k !== 'adapterTooLarge').map((k): [string, number] => [
        `family="",backend="legacy",${failureLabels(k)}`,
        router.counters.upstreamFailures[k],
      ]),
    ],
  );
  metric(
    'phoenix_guard_trips_total',
    'counter',
    'Guard trips since start.',
    fams.map((f) => [`family="${esc(f.name)}"`, f.guard.state.trips]),
  );
  metric(
    'phoenix_guard_tripped',
    'gauge',
    '1 while the family is forced to legacy by its guard.',
    fams.map((f) => [`family="${esc(f.name)}"`, f.guard.state.tripped ? 1 : 0]),
  );
  metric(
    'phoenix_route_percent',
    'gauge',
    'Share of the family routed to the new service (0 when tripped).',
    fams.map((f) => [
      `family="${esc(f.name)}"`,
      f.effectiveMode() === 'legacy' || f.effectiveMode() === 'shadow' ? 0 : f.route.percent,
    ]),
  );
  metric('phoenix_mirror_queue_depth', 'gauge', 'Mirrors waiting in the queue.', [['', router.shadow.depth]]);
  metric(
    'phoenix_shadow_buffers_allocated_total',
    'counter',
    'Buffers allocated to hand samples to the shadow thread; flat in steady state, as the thread gives them back for reuse.',
    [['', router.shadow.buffersAllocated]],
  );
  metric(
    'phoenix_refused_targets_total',
    'counter',
    'Requests refused with 400 before routing: dot segments, encoded slashes, non-path targets.',
    [['', router.counters.refusedTargets]],
  );
  metric(
    'phoenix_state_file_corrupt',
    'gauge',
    '1 when the state file could not be read at start and every family started on legacy.',
    [['', router.stateFileCorrupt ? 1 : 0]],
  );
  return `${out.join('\n')}\n`;
}
