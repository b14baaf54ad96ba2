/**
 * One contract case's exchange: sending it to one side, checking a side's answer against the
 * case's expectations, and describing differences in one line.
 */
import { performance } from 'node:perf_hooks';
import { Ajv, type ValidateFunction } from 'ajv';
import { request, type Dispatcher } from 'undici';
import { headerValue, stringifyExactJson, type Difference, type HttpSnapshot } from '../parity/index.js';
import { isRedirect, MAX_HOPS, nextHopMethod, redirectLocation, sameOriginPath } from '../parity/redirect-chain.js';
import { SAFE_METHODS } from '../plan/route-pattern.js';
import { requestTarget, type LoadedCase } from './cases.js';
import type { CaseFailure } from './results.js';

const ajv = new Ajv({ allErrors: true, strict: false });
const schemas = new WeakMap<object, ValidateFunction>();

function validator(schema: Record<string, unknown>): ValidateFunction {
  let v = schemas.get(schema);
  if (!v) schemas.set(schema, (v = ajv.compile(schema)));
  return v;
}

function show(v: unknown): string {
  const s = stringifyExactJson(v);
  return s === undefined ? 'undefined' : s.length > 80 ? `${s.slice(0, 77)}...` : s;
}

/** One line per difference: `$.address.zip: type ("69001" → 69001)`. */
export function describeDifference(d: Difference): string {
  if (d.kind === 'missing') return `${d.path}: missing in new (legacy ${show(d.legacy)})`;
  if (d.kind === 'extra') return `${d.path}: extra in new (${show(d.candidate)})`;
  return `${d.path}: ${d.kind} (${show(d.legacy)} → ${show(d.candidate)})`;
}

export interface Sample {
  /** The final answer (after following same-origin redirects, when they were followed). */
  snapshot: HttpSnapshot;
  /** Time to the whole final answer, ms (hops included). */
  ms: number;
  /** `"<status> <path?query>"` per redirect followed. */
  chain: string[];
}

/** A case's request as sent to one side: variables substituted, credentials resolved. */
export interface PreparedRequest {
  method: string;
  /** Path with query string. */
  target: string;
  headers: Record<string, string>;
  body?: string;
  /** Follow same-origin redirects as a client would (safe requests whose case expects no 3xx). */
  follow: boolean;
}

/** Turns a case's request into what is sent (no variables, no credentials: see `variables.ts`). */
export function plainRequest(c: LoadedCase): PreparedRequest {
  const body = c.request.body;
  const isJson = body !== undefined && typeof body !== 'string';
  return {
    method: c.request.method,
    target: requestTarget(c),
    headers: { ...(isJson ? { 'content-type': 'application/json' } : {}), ...(c.request.headers ?? {}) },
    body: body === undefined ? undefined : isJson ? stringifyExactJson(body) : body,
    follow: followsRedirects(c),
  };
}

/** Safe requests follow redirects unless the case expects a redirect itself. */
export function followsRedirects(c: Pick<LoadedCase, 'request' | 'expect'>): boolean {
  const s = c.expect.status;
  return SAFE_METHODS.has(c.request.method) && !(s !== undefined && s >= 300 && s < 400);
}

async function once(
  dispatcher: Dispatcher,
  base: string,
  method: string,
  target: string,
  r: PreparedRequest,
  body: string | undefined,
  timeoutMs: number,
  signal: AbortSignal | undefined,
): Promise<HttpSnapshot> {
  const res = await request(new URL(target, base), {
    method: method,
    dispatcher,
    headers: body === undefined ? withoutContentHeaders(r.headers) : r.headers,
    body,
    headersTimeout: timeoutMs,
    bodyTimeout: timeoutMs,
    signal,
  });
  const buf = Buffer.from(await res.body.arrayBuffer());
  return { status: res.statusCode, headers: res.headers, body: buf };
}

function withoutContentHeaders(h: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(h)) if (!/^content-(type|length)$/i.test(k)) out[k] = v;
  return out;
}

/**
 * Sends a prepared request to one side; with `follow`, follows same-origin redirects as a client
 * would (at most {@link MAX_HOPS}; 303 turns into GET).
 */
export async function fetchCase(
  dispatcher: Dispatcher,
  base: string,
  r: PreparedRequest,
  timeoutMs: number,
  signal: AbortSignal | undefined,
): Promise<Sample> {
  const t0 = performance.now();
  const origin = new URL(base).origin;
  let method = r.method;
  let body = r.body;
  let at = r.target;
  let answer = await once(dispatcher, base, method, at, r, body, timeoutMs, signal);
  const chain: string[] = [];
  while (r.follow && chain.length < MAX_HOPS && isRedirect(answer)) {
    const next = sameOriginPath(redirectLocation(answer)!, origin, at);
    if (next === undefined) break;
    chain.push(`${answer.status} ${next}`);
    const m = nextHopMethod(answer.status, method);
    if (m !== method) body = undefined;
    method = m;
    at = next;
    answer = await once(dispatcher, base, method, at, r, body, timeoutMs, signal);
  }
  return { snapshot: answer, ms: performance.now() - t0, chain };
}

export function expectations(c: LoadedCase, side: 'legacy' | 'new', s: HttpSnapshot): CaseFailure[] {
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
