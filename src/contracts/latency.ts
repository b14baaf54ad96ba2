/**
 * Per-route latency in contract runs: the timed repetitions of a route's safe cases on legacy and
 * new are judged together with the evidence module (Mann–Whitney U and the Hodges–Lehmann shift)
 * and the tail test (more slow answers on new: one case of the route slower, the others not).
 * A route whose new side is slower than the plan's tolerance, with evidence, is a `latency`
 * difference on every case of the route. Pure.
 */
import { distributionOf, judgeLatency, type Outcome } from '../parity/evidence.js';
import { describeTail, tailIsSlower, tailTest, type TailTest } from '../parity/tail-test.js';
import type { CompiledRules } from '../parity/index.js';
import type { Difference } from '../parity/types.js';
import type { CaseResult } from './results.js';

/** The latency verdict of one route in a contract run. */
export interface RouteLatency {
  /** The route template (`GET /api/users/:id`). */
  route: string;
  /** `fail`: new is slower than `maxShiftMs` with evidence, typically or in its tail; `insufficient`: too few timings. */
  outcome: Outcome;
  nLegacy: number;
  nNew: number;
  /** Median time to the whole answer, ms. */
  legacyMedianMs: number | null;
  newMedianMs: number | null;
  /** Hodges–Lehmann shift (typical slowdown of new), ms; null without timings. */
  shiftMs: number | null;
  /** One-sided p-value of "new is slower". */
  pValue: number;
  /** The tolerance it was judged against, ms. */
  maxShiftMs: number;
  /** The tail test; absent when there were no timings. */
  tail?: TailTest;
  /** The tail test alone found new slower (the typical timing is within the tolerance). */
  tailOnly?: boolean;
}

/** Timings collected for one route. */
export interface RouteTimings {
  legacy: number[];
  new: number[];
}

function median(values: readonly number[]): number | null {
  if (values.length === 0) return null;
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

const round = (v: number | null): number | null => (v === null ? null : Math.round(v * 10) / 10);

/**
 * Judges one route's timings.
 * @param minN timings needed on each side (the repetitions of one case)
 */
export function judgeRouteLatency(
  route: string,
  t: RouteTimings,
  o: { minN: number; maxShiftMs: number; confidence: number },
): RouteLatency {
  const legacy = distributionOf(t.legacy);
  const candidate = distributionOf(t.new);
  const v = judgeLatency(legacy, candidate, o);
  const tail = tailTest(legacy, candidate, o.maxShiftMs, v.shiftMs);
  const tailOnly = v.outcome === 'pass' && tailIsSlower(tail, o);
  return {
    route,
    outcome: tailOnly ? 'fail' : v.outcome,
    nLegacy: v.nLegacy,
    nNew: v.nNew,
    legacyMedianMs: round(median(t.legacy)),
    newMedianMs: round(median(t.new)),
    shiftMs: round(v.shiftMs),
    pValue: Math.round(v.pValue * 10_000) / 10_000,
    maxShiftMs: o.maxShiftMs,
    ...(t.legacy.length > 0 && t.new.length > 0 ? { tail } : {}),
    ...(tailOnly ? { tailOnly } : {}),
  };
}

/** The `latency` difference and message for a case on a route judged slower. */
export function latencyFinding(v: RouteLatency): { message: string; difference: Difference } {
  const message =
    v.tailOnly && v.tail
      ? `new is slower on ${v.route} in its tail: ${describeTail(v.tail)} (tolerance ${v.maxShiftMs} ms; ` +
        `p = ${v.tail.pValue}; median ${v.legacyMedianMs} ms on legacy, ${v.newMedianMs} ms on new)`
      : `new is slower on ${v.route}: +${v.shiftMs} ms typical (Hodges–Lehmann shift, tolerance ${v.maxShiftMs} ms; ` +
        `median ${v.legacyMedianMs} ms on legacy, ${v.newMedianMs} ms on new; p = ${v.pValue}, ${v.nLegacy}/${v.nNew} timings)`;
  return {
    message,
    difference: { path: '$latency', kind: 'latency', legacy: v.legacyMedianMs, candidate: v.newMedianMs },
  };
}

/** A route's timings in a run, with the cases they came from and the rules they are judged by. */
export interface TimedRoute extends RouteTimings {
  cases: CaseResult[];
  rules: CompiledRules;
}

/**
 * Judges every timed route and fails each case of a route judged slower; sorted by route.
 * @param repetitions timings needed on each side; @default the route's `diff.latency.repetitions`
 */
export function judgeTimings(timings: ReadonlyMap<string, TimedRoute>, repetitions?: number): RouteLatency[] {
  const out: RouteLatency[] = [];
  for (const [route, t] of timings) {
    const l = t.rules.rules.latency;
    const v = judgeRouteLatency(route, t, {
      minN: repetitions ?? l.repetitions,
      maxShiftMs: l.maxShiftMs,
      confidence: l.confidence,
    });
    out.push(v);
    if (v.outcome !== 'fail') continue;
    const { message, difference } = latencyFinding(v);
    for (const r of t.cases) {
      r.failures.push({ kind: 'latency', message, differences: [difference] });
      r.passed = false;
    }
  }
  return out.sort((a, b) => a.route.localeCompare(b.route));
}

/**
 * Times `reps` requests per side for a case of `route` (`send` makes one), alternating which side
 * goes first, into the route's timings; failed requests are left out.
 */
export async function timeCase(
  timings: Map<string, TimedRoute>,
  route: string,
  rules: CompiledRules,
  r: CaseResult,
  reps: number,
  send: (side: 'legacy' | 'new') => Promise<{ ms: number }>,
): Promise<void> {
  let t = timings.get(route);
  if (t === undefined) timings.set(route, (t = { legacy: [], new: [], cases: [], rules }));
  t.cases.push(r);
  for (let k = 0; k < reps; k++) {
    const order = k % 2 === 0 ? (['legacy', 'new'] as const) : (['new', 'legacy'] as const);
    for (const side of order) {
      const s = await send(side).catch(() => undefined);
      if (s !== undefined) t[side].push(s.ms);
    }
  }
}
