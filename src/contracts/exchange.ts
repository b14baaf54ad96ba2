/**
 * One contract case's exchange: sending it to one side, checking a side's answer against the
 * case's expectations, and describing differences in one line.
 */
import { performance } from 'node:perf_hooks';
import { Ajv, type ValidateFunction } from 'ajv';
import { request, type Dispatcher } from 'undici';
import { headerValue, type Difference, type HttpSnapshot } from '../parity/index.js';
import { requestTarget, type LoadedCase } from './cases.js';
import type { CaseFailure } from './runner.js';

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

export interface Sample {
  snapshot: HttpSnapshot;
  /** Time to the whole answer, ms. */
  ms: number;
}

export async function fetchCase(
  dispatcher: Dispatcher,
  base: string,
  c: LoadedCase,
  timeoutMs: number,
  signal: AbortSignal | undefined,
): Promise<Sample> {
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
