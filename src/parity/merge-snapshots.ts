/**
 * A family's figures across a fleet: every member's snapshot merged into one the verdicts judge
 * as if one router had served all of the traffic. Counts add up; percentiles cannot be merged
 * from percentiles, so each is the largest member's, an upper bound of the fleet's (a quantile
 * of a mixture lies between its parts' quantiles). Pure; `docs/fleets.md` lists every choice.
 */
import { judgeRankTest } from './evidence.js';
import { mergeRankTests } from './merge-rank-tests.js';
import { mergeTailTests, tailIsSlower } from './tail-test.js';
import type { TriageFigures } from './signature-stats.js';
import type { BackendFigures, FamilyStatsSnapshot, ParityFigures, PathCount, RouteParity } from './snapshot.js';

type Percentile = number | null | undefined;

/** The largest of the members' values; null when none has one (undefined when none reports it). */
function maxOf(values: readonly Percentile[]): number | null | undefined {
  if (values.every((v) => v === undefined)) return undefined;
  let out: number | null = null;
  for (const v of values) if (typeof v === 'number' && (out === null || v > out)) out = v;
  return out;
}

function sum(values: readonly (number | undefined)[]): number {
  let n = 0;
  for (const v of values) n += v ?? 0;
  return n;
}

/** The sum, or undefined when no member reports the figure (older routers). */
function sumIfAny(values: readonly (number | undefined)[]): number | undefined {
  return values.every((v) => v === undefined) ? undefined : sum(values);
}

function mergeBackend(b: readonly BackendFigures[]): BackendFigures {
  const requests = sum(b.map((x) => x.requests));
  const failures = sum(b.map((x) => x.failures));
  const p90 = maxOf(b.map((x) => x.p90));
  return {
    requests,
    failures,
    errorRate: requests === 0 ? 0 : failures / requests,
    p50: maxOf(b.map((x) => x.p50)) ?? null,
    ...(p90 !== undefined ? { p90 } : {}),
    p95: maxOf(b.map((x) => x.p95)) ?? null,
    p99: maxOf(b.map((x) => x.p99)) ?? null,
  };
}

/** Entries with the same key summed (`count`), the first one's other fields kept; most frequent first, at most `limit`. */
function mergeCounted<T extends { count: number }>(lists: readonly (readonly T[])[], key: (t: T) => string): T[] {
  const byKey = new Map<string, T>();
  for (const list of lists)
    for (const item of list) {
      const k = key(item);
      const prev = byKey.get(k);
      byKey.set(k, prev ? { ...prev, count: prev.count + item.count } : { ...item });
    }
  const limit = Math.max(0, ...lists.map((l) => l.length));
  return [...byKey.entries()]
    .sort(([ka, a], [kb, b]) => b.count - a.count || ka.localeCompare(kb))
    .slice(0, limit)
    .map(([, v]) => v);
}

function mergeByKind(maps: readonly Record<string, number>[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const m of maps) for (const [k, v] of Object.entries(m)) out[k] = (out[k] ?? 0) + v;
  return out;
}

function mergeTriage(t: readonly (TriageFigures | undefined)[]): TriageFigures | undefined {
  const present = t.filter((x): x is TriageFigures => x !== undefined);
  if (present.length === 0) return undefined;
  const top = mergeCounted(
    present.map((x) => x.top),
    (s) => s.id,
  );
  return {
    // Every member holds the same decisions: the workflow pushes the whole set to each.
    decided: Math.max(...present.map((x) => x.decided)),
    // Members report counts, not their lists: at least the most any member saw, or the fleet's top list.
    untriaged: Math.max(...present.map((x) => x.untriaged), top.filter((s) => s.decision === undefined).length),
    blocked: mergeCounted(
      present.map((x) => x.blocked),
      (s) => s.id,
    ),
    top,
  };
}

function mergeRoutes(lists: readonly (readonly RouteParity[])[], tolerance: ParityFigures['latencyTolerance']) {
  const byRoute = new Map<string, RouteParity[]>();
  for (const list of lists) for (const r of list) byRoute.set(r.route, [...(byRoute.get(r.route) ?? []), r]);
  const out: RouteParity[] = [];
  for (const [route, rs] of byRoute) {
    const test = mergeRankTests(rs.map((r) => r.latency.test));
    const verdict = judgeRankTest(test, { minN: tolerance.minSamples, ...tolerance });
    const tails = rs.flatMap((r) => (r.latency.tail ? [r.latency.tail] : []));
    const tail = tails.length > 0 ? mergeTailTests(tails) : undefined;
    const slowTail = tail !== undefined && tailIsSlower(tail, { minN: tolerance.minSamples, ...tolerance });
    const named = rs.find((r) => r.latency.signature !== undefined);
    // A route one member flagged stays flagged: its records already carry the difference.
    const flagged = verdict.outcome === 'fail' || slowTail || rs.some((r) => r.latency.flagged);
    const tailOnly =
      flagged && verdict.outcome !== 'fail' && rs.every((r) => !r.latency.flagged || r.latency.tailOnly === true);
    out.push({
      route,
      samples: sum(rs.map((r) => r.samples)),
      mismatches: sum(rs.map((r) => r.mismatches)),
      latency: {
        legacy: {
          p50: maxOf(rs.map((r) => r.latency.legacy.p50)) ?? null,
          p95: maxOf(rs.map((r) => r.latency.legacy.p95)) ?? null,
        },
        new: {
          p50: maxOf(rs.map((r) => r.latency.new.p50)) ?? null,
          p95: maxOf(rs.map((r) => r.latency.new.p95)) ?? null,
        },
        test,
        ...(tail !== undefined ? { tail } : {}),
        flagged,
        ...(tailOnly ? { tailOnly: true as const } : {}),
        ...(named?.latency.signature !== undefined ? { signature: named.latency.signature } : {}),
        ...(named?.latency.decision !== undefined ? { decision: named.latency.decision } : {}),
      },
    });
  }
  return out;
}

function mergeParity(p: readonly ParityFigures[]): ParityFigures {
  const samples = sum(p.map((x) => x.samples));
  const mismatches = sum(p.map((x) => x.mismatches));
  const tolerance = p[0]!.latencyTolerance;
  const replayed = p.some((x) => x.replayed)
    ? {
        samples: sum(p.map((x) => x.replayed?.samples)),
        mismatches: sum(p.map((x) => x.replayed?.mismatches)),
      }
    : undefined;
  const accepted = sumIfAny(p.map((x) => x.accepted));
  const ignored = sumIfAny(p.map((x) => x.ignored));
  const triage = mergeTriage(p.map((x) => x.triage));
  return {
    samples,
    matches: sum(p.map((x) => x.matches)),
    mismatches,
    mismatchRate: samples === 0 ? 0 : mismatches / samples,
    byKind: mergeByKind(p.map((x) => x.byKind)),
    topPaths: mergeCounted<PathCount>(
      p.map((x) => x.topPaths),
      (c) => `${c.route}\u0000${c.kind}\u0000${c.path}`,
    ),
    noiseIgnored: sum(p.map((x) => x.noiseIgnored)),
    ...(replayed ? { replayed } : {}),
    ...(accepted !== undefined ? { accepted } : {}),
    ...(ignored !== undefined ? { ignored } : {}),
    ...(triage ? { triage } : {}),
    routes: mergeRoutes(
      p.map((x) => x.routes),
      tolerance,
    ),
    latency: {
      legacy: {
        p50: maxOf(p.map((x) => x.latency.legacy.p50)) ?? null,
        p95: maxOf(p.map((x) => x.latency.legacy.p95)) ?? null,
      },
      new: { p50: maxOf(p.map((x) => x.latency.new.p50)) ?? null, p95: maxOf(p.map((x) => x.latency.new.p95)) ?? null },
      test: mergeRankTests(p.map((x) => x.latency.test)),
    },
    latencyTolerance: { ...tolerance },
  };
}

/**
 * The members' snapshots of one family as one. The window is the part every member covers
 * (latest `since`, earliest `at`). Canary users are the most any member saw, not the sum: behind
 * a load balancer one user reaches several members, and a sum would count them again.
 * @throws {RangeError} for an empty list
 */
export function mergeSnapshots(snapshots: readonly FamilyStatsSnapshot[]): FamilyStatsSnapshot {
  if (snapshots.length === 0) throw new RangeError('mergeSnapshots needs at least one snapshot');
  if (snapshots.length === 1) return snapshots[0]!;
  const s = snapshots;
  const sampled = sumIfAny(s.map((x) => x.shadow.sampled));
  return {
    since: Math.max(...s.map((x) => x.since)),
    at: Math.min(...s.map((x) => x.at)),
    backends: {
      legacy: mergeBackend(s.map((x) => x.backends.legacy)),
      new: mergeBackend(s.map((x) => x.backends.new)),
    },
    parity: mergeParity(s.map((x) => x.parity)),
    shadow: {
      ...(sampled !== undefined ? { sampled } : {}),
      mirrored: sum(s.map((x) => x.shadow.mirrored)),
      dropped: sum(s.map((x) => x.shadow.dropped)),
      errors: sum(s.map((x) => x.shadow.errors)),
      skippedUnsafe: sum(s.map((x) => x.shadow.skippedUnsafe)),
      skippedTooLarge: sum(s.map((x) => x.shadow.skippedTooLarge)),
    },
    fallbacks: sum(s.map((x) => x.fallbacks)),
    canary: { distinctUsers: Math.max(...s.map((x) => x.canary.distinctUsers)) },
    clientLatency: mergeRankTests(s.map((x) => x.clientLatency)),
  };
}
