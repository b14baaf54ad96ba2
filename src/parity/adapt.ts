/**
 * Response adapters: declarative edits applied to a buffered new-service answer so legacy clients
 * keep their contract while the new API differs (a renamed field, an envelope, another status).
 * Routes and paths are compiled once; applying never mutates its input. Each op is compiled and
 * applied in `adapter-ops.ts`, on the path edits of `json-edit.ts`.
 */
import type { Adapter, AdapterOp } from '../plan/schema.js';
import { matchesPattern, parseRoutePattern } from '../plan/route-pattern.js';
import type { RoutePattern } from '../plan/route-pattern.js';
import { applyBodyStep, badAdapter, compileStep, type CompiledStep } from './adapter-ops.js';
import { parseExactJson, stringifyExactJson } from './exact-json.js';
import type { HttpSnapshot } from './types.js';

/** An adapter ready to apply. */
export interface CompiledAdapter {
  /** The route pattern as written in the plan. */
  route: string;
  /** The operations as written, applied in order. */
  ops: AdapterOp[];
  /** @internal */
  readonly pattern: RoutePattern;
  /** @internal */
  readonly steps: readonly CompiledStep[];
  /** @internal at least one step edits the body (so it must be parsed) */
  readonly touchesBody: boolean;
}

/** Adapters of a family, looked up per response. */
export interface AdapterSet {
  /** The first adapter whose route matches (`path` may carry a query string). */
  find(method: string, path: string): CompiledAdapter | undefined;
  readonly size: number;
}

/**
 * Compiles a family's adapters.
 * @throws PhoenixError `PHX_ERR_PARITY_BAD_ADAPTER` for a bad route or an op that cannot apply,
 *   `PHX_ERR_PARITY_BAD_PATH` for a path outside the dialect.
 */
export function compileAdapters(adapters: readonly Adapter[]): AdapterSet {
  const list: CompiledAdapter[] = adapters.map((a) => {
    const pattern = parseRoutePattern(a.route);
    if (typeof pattern === 'string') throw badAdapter(a.route, pattern);
    const steps = a.ops.map((op) => compileStep(a.route, op));
    const touchesBody = steps.some((s) => s.op !== 'status' && s.op !== 'header');
    return { route: a.route, ops: a.ops, pattern, steps, touchesBody };
  });
  return {
    size: list.length,
    find(method: string, path: string): CompiledAdapter | undefined {
      if (list.length === 0) return undefined;
      const q = path.indexOf('?');
      const p = q < 0 ? path : path.slice(0, q);
      const segments = p === '/' || p === '' ? [] : p.slice(1).split('/');
      const m = method.toUpperCase();
      for (const a of list) if (matchesPattern(a.pattern, m, segments)) return a;
      return undefined;
    },
  };
}

/** The answer's body is not parsed: it is not JSON, or no op edits it. */
const NOT_PARSED = Symbol('not-parsed');

/**
 * Applies an adapter's ops, in order, to a buffered new-service answer and returns a new snapshot.
 * When ops edit the body it is re-serialised as JSON (integers past 2^53 keep their digits) and `content-length` is set to its byte
 * length (`transfer-encoding` is dropped, RFC 9112 §6.3). A body that is not JSON is left as is
 * and only status and header ops apply. An op with `onStatus` applies only while the status (as
 * earlier ops left it) is in its range: that is how an error body of new is mapped onto legacy's
 * error shape without touching successful answers.
 */
export function applyAdapter(adapter: CompiledAdapter, res: HttpSnapshot): HttpSnapshot {
  let status = res.status;
  const headers: HttpSnapshot['headers'] = { ...res.headers };
  let body = res.body;
  let doc: unknown = NOT_PARSED;
  if (adapter.touchesBody) {
    try {
      doc = parseExactJson(
        typeof body === 'string' ? body : Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('utf8'),
      );
    } catch {
      doc = NOT_PARSED;
    }
  }
  const holder: Record<string, unknown> = { $: doc };
  let edited = false;
  for (const s of adapter.steps) {
    if (status < s.when.lo || status > s.when.hi) continue;
    if (s.op === 'status') {
      if (status === s.from) status = s.to;
    } else if (s.op === 'header') {
      setHeader(headers, s.name, s.value);
    } else if (doc !== NOT_PARSED) {
      applyBodyStep(holder, s);
      edited = true;
    }
  }
  // An answer no body op applied to (another status) keeps its bytes.
  if (edited) {
    const out = Buffer.from(stringifyExactJson(holder.$) ?? 'null');
    body = out;
    setHeader(headers, 'content-length', String(out.byteLength));
    setHeader(headers, 'transfer-encoding', undefined);
  }
  return { status, headers, body };
}

function setHeader(headers: HttpSnapshot['headers'], name: string, value: string | undefined): void {
  for (const k of Object.keys(headers)) if (k.toLowerCase() === name) delete headers[k];
  if (value !== undefined) headers[name] = value;
}
