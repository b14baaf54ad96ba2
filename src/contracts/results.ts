/** What a contract run reports: per case, per family. */
import type { Difference, NoisePath, RouteKeys } from '../parity/index.js';
import type { Matcher } from '../plan/route-match.js';
import { requestTarget, type LoadedCase } from './cases.js';
import type { RouteLatency } from './latency.js';
import type { StepResult } from './steps.js';

export interface CaseFailure {
  kind: 'status' | 'header' | 'schema' | 'parity' | 'latency' | 'error' | 'timeout' | 'setup' | 'capture';
  message: string;
  differences?: Difference[];
}

export interface CaseResult {
  file: string;
  name: string;
  /** The family route pattern the case matched (`GET /api/users/:id`), or `METHOD /path`. */
  endpoint: string;
  method: string;
  /** Path with query string, as sent. */
  target: string;
  source: 'hand' | 'recorded' | 'generated';
  passed: boolean;
  durationMs: number;
  failures: CaseFailure[];
  /** An adapter was applied to the new answer. */
  adapted: boolean;
  /** Differences ignored as noise (learned from two legacy answers, or two values of one class). */
  noise: number;
  /** The route template the case's noise and latency are keyed by (`GET /api/things/:id/history`). */
  route: string;
  /** Final statuses (after redirects were followed). */
  status: { legacy?: number; new?: number };
  /** Differences reported but not counted (`redirect` chains that differ, `format`), unless `diff.blocking` lists them. */
  informational: Difference[];
}

export interface ContractSuiteResult {
  family: string;
  mode: 'parity' | 'new-only';
  total: number;
  passed: number;
  failed: number;
  durationMs: number;
  cases: CaseResult[];
  /** Per-route latency verdicts (parity mode, safe cases), by route template. */
  latency: RouteLatency[];
  /** Noise seen per route template, with its reason (`resampled` or `value-class`). */
  noise: Record<string, NoisePath[]>;
  /** Every setup and teardown step run, per file and side, in order. */
  steps: StepResult[];
}

/** A `${name}` reference to a captured value. */
const VARIABLE = /\$\{[A-Za-z_][A-Za-z0-9_]*\}/g;

/**
 * A case's result before anything is sent, named by the family pattern it matches (`pattern`,
 * undefined when none does) and keyed by its route template.
 */
export function newCaseResult(
  c: LoadedCase,
  matcher: Matcher,
  keys: RouteKeys,
): { result: CaseResult; pattern: string | undefined } {
  // A captured value in the path stands for an id: it names the route like one.
  const path = c.request.path.replace(VARIABLE, '0');
  const m = matcher.match(c.request.method, path);
  const endpoint = m
    ? m.route.includes(' ')
      ? m.route
      : `${c.request.method} ${m.route}`
    : `${c.request.method} ${c.request.path}`;
  const result: CaseResult = {
    file: c.file,
    name: c.name,
    endpoint,
    route: m ? keys.keyFor(m.route, c.request.method, path) : endpoint,
    method: c.request.method,
    target: requestTarget(c),
    source: c.source,
    passed: false,
    durationMs: 0,
    failures: [],
    adapted: false,
    noise: 0,
    status: {},
    informational: [],
  };
  return { result, pattern: m?.route };
}
