/**
 * Runs a family's contract cases against legacy and new directly (not through the router):
 * expectations are checked, and in parity mode the new answer is compared with legacy's under
 * the family's diff rules and adapters. Safe requests follow same-origin redirects as a client
 * would, so the final answers are judged and a differing chain is an informational `redirect`.
 *
 * Stateful APIs: files run in order, each with its setup and teardown steps; values a case
 * captures go to later cases of the same side; credentials are resolved from the environment
 * before any request.
 *
 * Built to give the same verdicts run after run:
 * - safe cases are sent to legacy a second time after a gap (so second-resolution timestamps
 *   tick), and fields that differ between the two legacy answers are noise;
 * - value classes are on as noise (a contract run cannot resample reliably): two fresh UUIDs or
 *   two "now" timestamps at the same place are noise, never a changed class;
 * - each batch of safe cases learns all its noise before any of its cases is compared;
 * - unsafe cases run once, alone, in file order (stateful APIs), between batches of safe cases;
 * - safe cases are timed on both sides over a few repetitions and judged per route template with
 *   a rank test, so a route that became slower is a `latency` failure.
 */
import { performance } from 'node:perf_hooks';
import { Agent } from 'undici';
import {
  applyAdapter,
  compileAdapters,
  compileRules,
  NoiseLearner,
  ownHostsOf,
  RouteKeys,
  type CompiledRules,
  type HttpSnapshot,
} from '../parity/index.js';
import { createMatcher } from '../plan/route-match.js';
import { SAFE_METHODS } from '../plan/route-pattern.js';
import type { FamilyPlan } from '../plan/schema.js';
import { loadFamilySuite, requestTarget, type LoadedCase } from './cases.js';
import { batches } from './order.js';
import { describeStep, runSteps, type StepResult } from './steps.js';
import {
  captureAnswers,
  prepareRequest,
  resolveCredential,
  UncapturedVariable,
  type Side,
  type Variables,
} from './variables.js';
import { expectations, fetchCase, plainRequest, type Sample } from './exchange.js';
import { confirmDifferences } from './confirm.js';
import { compareCase, judgeParity } from './judge-parity.js';
import { judgeTimings, timeCase, type TimedRoute } from './latency.js';
import { fetchWithResamples } from './resample-schedule.js';
import { runSignal } from './run-signal.js';

export type { RouteLatency } from './latency.js';
export { describeDifference } from './exchange.js';
export { batches } from './order.js';
export type { StepResult } from './steps.js';
export type { CaseFailure, CaseResult, ContractSuiteResult } from './results.js';
import { newCaseResult, type CaseResult, type ContractSuiteResult } from './results.js';

export interface RunContractSuiteOptions {
  family: FamilyPlan;
  /** `parity`: legacy and new, compared; `new-only`: expectations on new alone. */
  mode: 'parity' | 'new-only';
  /** Cases in flight at once. @default 8 */
  concurrency?: number;
  /** Per request. @default 10000 (ms) */
  timeoutMs?: number;
  signal?: AbortSignal;
  onProgress?: (done: number, total: number) => void;
  /** Gap between a safe case's two legacy samples, ms. @default the family's `diff.resampleGapMs` (1100) */
  noiseGapMs?: number;
  /** Timed repetitions of each safe case per side (0: no latency comparison). @default `diff.latency.repetitions` (5) */
  latencyRepetitions?: number;
}

/**
 * Cancellation listeners one case in flight can hold: its legacy and new requests each listen
 * twice (the request, then its body), and it may wait out the resample gap.
 */
const ABORT_LISTENERS_PER_CASE = 5;

/** Safe cases per batch, in rounds of `concurrency`: a batch reports progress only when it is all compared. */
const SAFE_BATCH_ROUNDS = 4;

/** A case's answers, fetched; compared once its batch has learned its noise. */
interface Fetched {
  c: LoadedCase;
  result: CaseResult;
  started: number;
  rules: CompiledRules;
  legacy?: Sample;
  candidate?: HttpSnapshot;
  candidateChain?: string[];
  legacyAgain?: Sample;
  /** When legacy is asked again (`performance.now()` time): after the resample gap, for safe parity cases. */
  resampleAt?: number;
}

/** Runs every case of the family. Case file problems throw `PHX_ERR_CASE_*` before any request. */
export async function runContractSuite(o: RunContractSuiteOptions): Promise<ContractSuiteResult> {
  const started = performance.now();
  const family = o.family;
  const { cases, steps: fileSteps } = await loadFamilySuite(family.contractFiles, family.name);
  const parity = o.mode === 'parity';
  const sides: Array<[Side, string]> = parity
    ? [
        ['legacy', family.legacy],
        ['new', family.new],
      ]
    : [['new', family.new]];
  // Credentials are resolved before any request, so a missing variable stops the run cleanly.
  for (const c of cases) if (c.credential) for (const [side] of sides) resolveCredential(c.credential, side);
  const vars: Record<Side, Variables> = { legacy: new Map(), new: new Map() };
  const stepResults: StepResult[] = [];
  const timeoutMs = o.timeoutMs ?? 10_000;
  const matcher = createMatcher([family]);
  // Each side is asked at its own URL: a link it builds names that URL's host.
  const hosts = ownHostsOf(family);
  const adapters = compileAdapters(family.adapters);
  const base = compileRules(family.diff);
  const rulesByRoute = new Map<string, CompiledRules>(
    Object.entries(family.routeDiff).map(([r, ov]) => [r, compileRules(family.diff, ov)]),
  );
  const noise = new NoiseLearner();
  const keys = new RouteKeys();
  const timings = new Map<string, TimedRoute>();
  const concurrency = o.concurrency ?? 8;
  const dispatcher = new Agent({ connections: concurrency, keepAliveTimeout: 5000 });
  const { signal, release } = runSignal(o.signal, concurrency * ABORT_LISTENERS_PER_CASE + 1);
  const results = new Array<CaseResult>(cases.length);
  let done = 0;
  const get = (side: Side, c: LoadedCase): Promise<Sample> =>
    fetchCase(
      dispatcher,
      side === 'legacy' ? family.legacy : family.new,
      prepareRequest(c, vars[side], c.credential, side),
      timeoutMs,
      signal,
    );

  /** Sends the case's requests: see the module comment for the order and the repetitions. */
  async function fetchOne(c: LoadedCase, i: number): Promise<Fetched> {
    const f = begin(c, i);
    const { result, rules } = f;
    const route = result.route;
    try {
      const safe = SAFE_METHODS.has(c.request.method);
      const [legacy, fresh] = await Promise.all([parity ? get('legacy', c) : undefined, get('new', c)]);
      const legacyDone = performance.now();
      f.legacy = legacy;
      f.candidate = fresh.snapshot;
      f.candidateChain = fresh.chain;
      if (c.capture)
        result.failures.push(...captureAnswers(c.capture, { legacy: legacy?.snapshot, new: fresh.snapshot }, vars));
      if (parity && safe && c.expect.parity) {
        const reps = o.latencyRepetitions ?? rules.rules.latency.repetitions;
        if (reps > 0) await timeCase(timings, route, rules, result, reps, (side) => get(side, c));
        if (rules.rules.learnNoise) f.resampleAt = legacyDone + (o.noiseGapMs ?? rules.rules.resampleGapMs);
      }
    } catch (err) {
      if (signal.aborted) throw err;
      if (err instanceof UncapturedVariable) {
        result.failures.push({ kind: 'capture', message: err.message });
        return f;
      }
      const e = err as { code?: string; message: string };
      const timeout = e.code === 'UND_ERR_HEADERS_TIMEOUT' || e.code === 'UND_ERR_BODY_TIMEOUT';
      result.failures.push({
        kind: timeout ? 'timeout' : 'error',
        message: timeout
          ? `no answer within ${timeoutMs} ms`
          : `request failed: ${e.code ? `${e.code} ` : ''}${e.message}`,
      });
      f.legacy = undefined;
      f.candidate = undefined;
    }
    return f;
  }

  /** Checks expectations and compares; the batch's noise lessons are all learned by now. */
  function judgeOne(f: Fetched): void {
    const { c, result } = f;
    if (f.candidate !== undefined) {
      const viaAdapter = adapted(c, f.candidate);
      if (viaAdapter) result.adapted = true;
      const candidate = viaAdapter ?? f.candidate;
      result.status = { legacy: f.legacy?.snapshot.status, new: candidate.status };
      if (f.legacy) result.failures.push(...expectations(c, 'legacy', f.legacy.snapshot));
      result.failures.push(...expectations(c, 'new', candidate));
      if (f.legacy && c.expect.parity)
        judgeParity(
          result,
          f.legacy,
          { snapshot: candidate, chain: f.candidateChain ?? [] },
          f.rules,
          noise,
          plainRequest(c).body,
          hosts,
        );
    }
    result.passed = result.failures.length === 0;
    result.durationMs = Math.round(performance.now() - f.started);
    o.onProgress?.(++done, cases.length);
  }

  /** Fetches a batch (see resample-schedule.ts), learns its noise, then judges its cases. */
  async function runBatch(batch: readonly number[]): Promise<void> {
    const fetched = await fetchWithResamples(
      batch.length,
      concurrency,
      (k) => fetchOne(cases[batch[k]!]!, batch[k]!),
      async (f) => {
        f.legacyAgain = await get('legacy', f.c).catch(() => undefined);
      },
      signal,
    );
    for (const f of fetched)
      if (f.legacy && f.legacyAgain) noise.observe(f.result.route, f.legacy.snapshot, f.legacyAgain.snapshot, f.rules);
    const doubtful = fetched.filter((f) => f.legacyAgain !== undefined && differsNow(f));
    await confirmDifferences(
      doubtful.map((f) => ({
        route: f.result.route,
        legacy: f.legacy!.snapshot,
        rules: f.rules,
        ask: () =>
          get('legacy', f.c).then(
            (s) => s.snapshot,
            () => undefined,
          ),
      })),
      noise,
      concurrency,
    );
    for (const f of fetched) judgeOne(f);
  }

  /** Whether a fetched case's answers differ under the noise learned so far. */
  function differsNow(f: Fetched): boolean {
    if (f.legacy === undefined || f.candidate === undefined) return false;
    const candidate = adapted(f.c, f.candidate) ?? f.candidate;
    return (
      compareCase(f.result, f.legacy.snapshot, candidate, f.rules, noise, plainRequest(f.c).body, hosts).differences
        .length > 0
    );
  }

  /** new's answer through the family's adapter for the case's endpoint, or undefined when it has none. */
  function adapted(c: LoadedCase, candidate: HttpSnapshot): HttpSnapshot | undefined {
    const adapter = adapters.find(c.request.method, requestTarget(c));
    return adapter ? applyAdapter(adapter, candidate) : undefined;
  }

  /** Marks the cases of a file whose setup failed: they are not sent. */
  function skipFile(indices: readonly number[], why: string): void {
    for (const i of indices) {
      const f = begin(cases[i]!, i);
      f.result.failures.push({ kind: 'setup', message: `not run: ${why}` });
      judgeOne(f);
    }
  }

  /** A case's result, before anything is sent. */
  function begin(c: LoadedCase, i: number): Fetched {
    const { result, pattern } = newCaseResult(c, matcher, keys);
    results[i] = result;
    return {
      c,
      result,
      started: performance.now(),
      rules: (pattern === undefined ? undefined : rulesByRoute.get(pattern)) ?? base,
    };
  }

  const ordered = batches(cases, concurrency * SAFE_BATCH_ROUNDS);
  try {
    for (const file of fileSteps) {
      const mine = ordered.filter((b) => cases[b[0]!]!.file === file.file);
      const setup = await runSteps(file.file, 'setup', file.setup, sides, dispatcher, timeoutMs);
      stepResults.push(...setup);
      const failed = setup.find((x) => !x.ok);
      if (failed) skipFile(mine.flat(), describeStep(failed));
      else for (const batch of mine) await runBatch(batch);
      stepResults.push(...(await runSteps(file.file, 'teardown', file.teardown, sides, dispatcher, timeoutMs)));
    }
  } finally {
    release();
    await dispatcher.close();
  }
  const latency = judgeTimings(timings, o.latencyRepetitions);
  const passed = results.filter((r) => r.passed).length;
  return {
    family: family.name,
    mode: o.mode,
    total: results.length,
    passed,
    failed: results.length - passed,
    durationMs: Math.round(performance.now() - started),
    cases: results,
    latency,
    noise: noise.snapshot(),
    steps: stepResults,
  };
}
