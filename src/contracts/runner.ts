/**
 * Runs a family's contract cases against legacy and new directly (not through the router):
 * expectations are checked, and in parity mode the new answer is compared with legacy's under
 * the family's diff rules and adapters. Safe requests are sent to legacy twice so fields that
 * differ between two legacy answers count as noise, not as failures.
 */
import { performance } from 'node:perf_hooks';
import { Ajv, type ValidateFunction } from 'ajv';
import { Agent, request, type Dispatcher } from 'undici';
import {
  applyAdapter,
  compareResponses,
  compileAdapters,
  compileRules,
  headerValue,
  NoiseLearner,
  type CompiledRules,
  type Difference,
  type HttpSnapshot,
} from '../parity/index.js';
import { createMatcher } from '../plan/route-match.js';
import { SAFE_METHODS } from '../plan/route-pattern.js';
import type { FamilyPlan } from '../plan/schema.js';
import { loadFamilyCases, requestTarget, type LoadedCase } from './cases.js';

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
}

export interface CaseFailure {
  kind: 'status' | 'header' | 'schema' | 'parity' | 'error' | 'timeout';
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
  /** Differences ignored as learned noise. */
  noise: number;
  status: { legacy?: number; new?: number };
}

export interface ContractSuiteResult {
  family: string;
  mode: 'parity' | 'new-only';
  total: number;
  passed: number;
  failed: number;
  durationMs: number;
  cases: CaseResult[];
}

/** Differences shown per failing case. */
const DIFFERENCES_SHOWN = 10;

const ajv = new Ajv({ allErrors: true, strict: false });
const schemas = new WeakMap<object, ValidateFunction>();

function validator(schema: Record<string, unknown>): ValidateFunction {
  let v = schemas.get(schema);
  if (!v) schemas.set(schema, (v = ajv.compile(schema)));
  return v;
}

function show(v: unknown): string {
  const s = JSON.stringify(v);
  return s === undefined ? 'undefined' : s.length > 80 ? `${s.slice(0, 77)}...` : s;
}

/** One line per difference: `$.address.zip: type ("69001" → 69001)`. */
export function describeDifference(d: Difference): string {
  if (d.kind === 'missing') return `${d.path}: missing in new (legacy ${show(d.legacy)})`;
  if (d.kind === 'extra') return `${d.path}: extra in new (${show(d.candidate)})`;
  return `${d.path}: ${d.kind} (${show(d.legacy)} → ${show(d.candidate)})`;
}

async function fetchCase(
  dispatcher: Dispatcher,
  base: string,
  c: LoadedCase,
  timeoutMs: number,
  signal: AbortSignal | undefined,
): Promise<{ snapshot: HttpSnapshot; ms: number }> {
  const t0 = performance.now();
  const body = c.request.body;
  const isJson = body !== undefined && typeof body !== 'string';
  const headers: Record<string, string> = {
    ...(isJson ? { 'content-type': 'application/json' } : {}),
    ...(c.request.headers ?? {}),
  };
  const res = await request(new URL(requestTarget(c), base), {
    method: c.request.method as Dispatcher.HttpMethod,
    dispatcher,
    headers,
    body: body === undefined ? undefined : isJson ? JSON.stringify(body) : body,
    headersTimeout: timeoutMs,
    bodyTimeout: timeoutMs,
    signal,
  });
  const buf = Buffer.from(await res.body.arrayBuffer());
  return { snapshot: { status: res.statusCode, headers: res.headers, body: buf }, ms: performance.now() - t0 };
}

function expectations(c: LoadedCase, side: 'legacy' | 'new', s: HttpSnapshot): CaseFailure[] {
  const out: CaseFailure[] = [];
  const who = side === 'new' ? 'new' : 'legacy';
  const e = c.expect;
  if (e.status !== undefined && s.status !== e.status)
    out.push({ kind: 'status', message: `${who} answered ${s.status}, expected ${e.status}` });
  for (const [name, want] of Object.entries(e.headers ?? {})) {
    const got = headerValue(s.headers, name);
    if (got === undefined || !got.toLowerCase().startsWith(want.toLowerCase())) {
      out.push({
        kind: 'header',
        message: `${who} header ${name.toLowerCase()} is ${got === undefined ? 'absent' : `"${got}"`}, expected "${want}"`,
      });
    }
  }
  if (e.schema) {
    let doc: unknown;
    try {
      doc = JSON.parse(Buffer.from(s.body).toString('utf8'));
    } catch {
      out.push({ kind: 'schema', message: `${who} body is not JSON, the case expects a body matching its schema` });
      return out;
    }
    const v = validator(e.schema);
    if (!v(doc)) {
      const errs = (v.errors ?? []).slice(0, 5).map((x) => `${x.instancePath || '/'} ${x.message ?? ''}`.trim());
      out.push({ kind: 'schema', message: `${who} body does not match the schema: ${errs.join('; ')}` });
    }
  }
  return out;
}

/** Runs every case of the family. Case file problems throw `PHX_ERR_CASE_*` before any request. */
export async function runContractSuite(o: RunContractSuiteOptions): Promise<ContractSuiteResult> {
  const started = performance.now();
  const family = o.family;
  const cases = await loadFamilyCases(family.contractFiles, family.name);
  const timeoutMs = o.timeoutMs ?? 10_000;
  const matcher = createMatcher([family]);
  const adapters = compileAdapters(family.adapters);
  const base = compileRules(family.diff);
  const rulesByRoute = new Map<string, CompiledRules>(
    Object.entries(family.routeDiff).map(([r, ov]) => [r, compileRules(family.diff, ov)]),
  );
  const noise = new NoiseLearner();
  const dispatcher = new Agent({ connections: o.concurrency ?? 8, keepAliveTimeout: 5000 });
  const results = new Array<CaseResult>(cases.length);
  let done = 0;

  async function runOne(c: LoadedCase): Promise<CaseResult> {
    const t0 = performance.now();
    const m = matcher.match(c.request.method, c.request.path);
    const endpoint = m
      ? m.route.includes(' ')
        ? m.route
        : `${c.request.method} ${m.route}`
      : `${c.request.method} ${c.request.path}`;
    const result: CaseResult = {
      file: c.file,
      name: c.name,
      endpoint,
      method: c.request.method,
      target: requestTarget(c),
      source: c.source,
      passed: false,
      durationMs: 0,
      failures: [],
      adapted: false,
      noise: 0,
      status: {},
    };
    try {
      const parity = o.mode === 'parity';
      const safe = SAFE_METHODS.has(c.request.method);
      const [legacy, fresh, legacyAgain] = await Promise.all([
        parity ? fetchCase(dispatcher, family.legacy, c, timeoutMs, o.signal) : undefined,
        fetchCase(dispatcher, family.new, c, timeoutMs, o.signal),
        parity && safe
          ? fetchCase(dispatcher, family.legacy, c, timeoutMs, o.signal).catch(() => undefined)
          : undefined,
      ]);
      let candidate = fresh.snapshot;
      const adapter = adapters.find(c.request.method, requestTarget(c));
      if (adapter) {
        candidate = applyAdapter(adapter, candidate);
        result.adapted = true;
      }
      result.status = { legacy: legacy?.snapshot.status, new: candidate.status };
      if (legacy) result.failures.push(...expectations(c, 'legacy', legacy.snapshot));
      result.failures.push(...expectations(c, 'new', candidate));
      if (legacy && c.expect.parity) {
        const rules = (m && rulesByRoute.get(m.route)) ?? base;
        const key = m?.route ?? c.request.path;
        if (legacyAgain) noise.observe(key, legacy.snapshot, legacyAgain.snapshot, rules);
        const cmp = compareResponses(legacy.snapshot, candidate, rules, noise.filterFor(key));
        result.noise = cmp.noise.length;
        if (!cmp.equal) {
          const shown = cmp.differences.slice(0, DIFFERENCES_SHOWN);
          result.failures.push({
            kind: 'parity',
            message: `new differs from legacy: ${shown.map(describeDifference).join('; ')}${cmp.differences.length > shown.length ? ` (+${cmp.differences.length - shown.length} more)` : ''}`,
            differences: cmp.differences,
          });
        }
      }
    } catch (err) {
      const e = err as { code?: string; message: string };
      const timeout = e.code === 'UND_ERR_HEADERS_TIMEOUT' || e.code === 'UND_ERR_BODY_TIMEOUT';
      result.failures.push({
        kind: timeout ? 'timeout' : 'error',
        message: timeout
          ? `no answer within ${timeoutMs} ms`
          : `request failed: ${e.code ? `${e.code} ` : ''}${e.message}`,
      });
    }
    result.passed = result.failures.length === 0;
    result.durationMs = Math.round(performance.now() - t0);
    return result;
  }

  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < cases.length) {
      if (o.signal?.aborted) throw o.signal.reason ?? new Error('aborted');
      const i = next++;
      results[i] = await runOne(cases[i]!);
      o.onProgress?.(++done, cases.length);
    }
  };
  try {
    await Promise.all(Array.from({ length: Math.min(o.concurrency ?? 8, Math.max(1, cases.length)) }, worker));
  } finally {
    await dispatcher.close();
  }
  const passed = results.filter((r) => r.passed).length;
  return {
    family: family.name,
    mode: o.mode,
    total: results.length,
    passed,
    failed: results.length - passed,
    durationMs: Math.round(performance.now() - started),
    cases: results,
  };
}
