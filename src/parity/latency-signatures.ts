/**
 * A route flagged slower is a difference of the window, not of one comparison: here it becomes a
 * `latency` signature (`GET /x latency`) that triage can accept, call noise or block, and, while
 * not set aside, a slow route whose comparisons the router marks. Pure.
 */
import { isSetAside } from './compared-routes.js';
import type { SignatureCount, SignatureTally } from './signature-stats.js';
import { signatureOf } from './signature.js';
import type { RouteParity } from './snapshot.js';
import type { TailTest } from './tail-test.js';

/** The path a per-route latency difference is reported at. */
export const LATENCY_PATH = '$latency';

/** A route flagged slower than the tolerance, untriaged or blocked (see `FamilyStats.slowRoutes`). Ms. */
export interface SlowRoute {
  route: string;
  legacy: { p50: number | null; p95: number | null };
  new: { p50: number | null; p95: number | null };
  /** Hodges–Lehmann shift of new against legacy. */
  shiftMs: number | null;
  pValue: number;
  /** The route's tail test (absent in figures from older routers). */
  tail?: TailTest;
  /**
   * Set when the route was flagged by its tail alone: only comparisons whose new answer is slower
   * than this (the tail's threshold) carry the `latency` difference, so the records name the slow
   * requests (one parameter value, one branch) rather than every request of the route.
   */
  slowerThanMs?: number;
  /** The route's latency signature (`GET /x latency`). */
  signature?: string;
}

/**
 * The flagged routes' latency signatures, with the decision in force written onto each route
 * (`routes` is changed in place: its `latency.signature` and `latency.decision`).
 * @param since the window's start (epoch ms), as first and last sighting
 */
export function latencySignatures(routes: RouteParity[], signatures: SignatureTally, since: number): SignatureCount[] {
  const out: SignatureCount[] = [];
  for (const r of routes) {
    if (!r.latency.flagged) continue;
    // The example is the route's medians ("example p50: legacy 12 ms → new 160 ms").
    const legacy = `${r.latency.legacy.p50} ms`;
    const candidate = `${r.latency.new.p50} ms`;
    const s = signatureOf(r.route, { kind: 'latency', path: LATENCY_PATH, legacy, candidate });
    const decision = signatures.decisionOf(s.id);
    r.latency.signature = s.id;
    if (decision !== undefined) r.latency.decision = decision;
    out.push({
      ...s,
      count: r.samples,
      firstSeen: since,
      lastSeen: since,
      decision,
      examples: [{ requestId: 'p50', path: LATENCY_PATH, legacy, candidate }],
    });
  }
  return out;
}

/** Routes flagged slower and not set aside, with their figures; `routes` carry their decisions. */
export function slowRoutesOf(routes: readonly RouteParity[]): SlowRoute[] {
  const out: SlowRoute[] = [];
  for (const r of routes) {
    if (!r.latency.flagged || isSetAside(r.latency.decision)) continue;
    const { legacy, new: candidate, test } = r.latency;
    out.push({
      route: r.route,
      legacy: { ...legacy },
      new: { ...candidate },
      shiftMs: test.shiftMs,
      pValue: test.pValue,
      ...(r.latency.tail ? { tail: { ...r.latency.tail } } : {}),
      ...(r.latency.tailOnly && typeof r.latency.tail?.thresholdMs === 'number'
        ? { slowerThanMs: r.latency.tail.thresholdMs }
        : {}),
      ...(r.latency.signature !== undefined ? { signature: r.latency.signature } : {}),
    });
  }
  return out;
}
