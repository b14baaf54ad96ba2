/**
 * Response adapters: declarative edits applied to a buffered new-service answer so legacy clients
 * keep their contract while the new API differs (a renamed field, an envelope, another status).
 * Routes and paths are compiled once; applying never mutates its input.
 */
import type { Adapter, AdapterOp } from '../plan/schema.js';
import { matchesPattern, parseRoutePattern } from '../plan/route-pattern.js';
import type { RoutePattern } from '../plan/route-pattern.js';
import { PhoenixError } from '../lib/errors.js';
import { parsePath } from './json-path.js';
import type { PathSegment } from './json-path.js';
import type { HttpSnapshot } from './types.js';
import { parseStatusCondition } from './relaxed-rules.js';
import type { StatusRange } from './relaxed-rules.js';

type CompiledOp =
  | { readonly op: 'rename'; readonly from: readonly PathSegment[]; readonly to: readonly PathSegment[] }
  | { readonly op: 'unwrap'; readonly path: readonly PathSegment[] }
  | { readonly op: 'wrap'; readonly key: string }
  | { readonly op: 'remove'; readonly path: readonly PathSegment[] }
  | { readonly op: 'set'; readonly path: readonly PathSegment[]; readonly value: unknown }
  | { readonly op: 'status'; readonly from: number; readonly to: number }
  | { readonly op: 'header'; readonly name: string; readonly value: string };
/** An op and the statuses it applies to (`onStatus`; every status without it). */
type CompiledStep = CompiledOp & { readonly when: StatusRange };

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

function badAdapter(route: string, why: string): PhoenixError {
  return new PhoenixError('PHX_ERR_PARITY_BAD_ADAPTER', `adapter for "${route}": ${why}`, { route });
}

function count(segs: readonly PathSegment[], t: PathSegment['t']): number {
  let n = 0;
  for (const s of segs) if (s.t === t) n++;
  return n;
}

function compileStep(route: string, op: AdapterOp): CompiledStep {
  const when = parseStatusCondition('onStatus' in op ? op.onStatus : undefined);
  if (typeof when === 'string') throw badAdapter(route, `onStatus: ${when}`);
  return { ...compileOp(route, op), when };
}

function compileOp(route: string, op: AdapterOp): CompiledOp {
  switch (op.op) {
    case 'rename': {
      const from = parsePath(op.from);
      const to = parsePath(op.to);
      if (from.length === 0 || to.length === 0)
        throw badAdapter(route, 'rename cannot move the root "$" (use wrap/unwrap)');
      if (count(from, 'descend') + count(to, 'descend') > 0)
        throw badAdapter(route, `rename paths cannot use ".." (${op.from} -> ${op.to})`);
      if (count(from, 'any') !== count(to, 'any')) {
        throw badAdapter(
          route,
          `rename "${op.from}" -> "${op.to}" must use the same number of [*] wildcards on both sides`,
        );
      }
      return { op: 'rename', from, to };
    }
    case 'unwrap': {
      const path = parsePath(op.path);
      if (count(path, 'any') + count(path, 'descend') > 0)
        throw badAdapter(route, `unwrap needs one concrete path, got "${op.path}"`);
      return { op: 'unwrap', path };
    }
    case 'remove': {
      const path = parsePath(op.path);
      if (path.length === 0) throw badAdapter(route, 'remove cannot remove the root "$"');
      return { op: 'remove', path };
    }
    case 'set': {
      const path = parsePath(op.path);
      if (count(path, 'descend') > 0) throw badAdapter(route, `set paths cannot use ".." (${op.path})`);
      const last = path[path.length - 1];
      if (last !== undefined && last.t === 'any')
        throw badAdapter(route, `set needs a named last segment, got "${op.path}"`);
      return { op: 'set', path, value: op.value };
    }
    case 'wrap':
      return { op: 'wrap', key: op.key };
    case 'status':
      return { op: 'status', from: op.from, to: op.to };
    case 'header':
      return { op: 'header', name: op.name.toLowerCase(), value: op.value };
  }
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

/**
 * Applies an adapter's ops, in order, to a buffered new-service answer and returns a new snapshot.
 * When ops edit the body it is re-serialised as JSON and `content-length` is set to its byte
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
      doc = JSON.parse(
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
    const out = Buffer.from(JSON.stringify(holder.$) ?? 'null');
    body = out;
    setHeader(headers, 'content-length', String(out.byteLength));
    setHeader(headers, 'transfer-encoding', undefined);
  }
  return { status, headers, body };
}

const NOT_PARSED = Symbol('not-parsed');

function setHeader(headers: HttpSnapshot['headers'], name: string, value: string | undefined): void {
  for (const k of Object.keys(headers)) if (k.toLowerCase() === name) delete headers[k];
  if (value !== undefined) headers[name] = value;
}

type Container = Record<string, unknown> | unknown[];
interface Slot {
  parent: Container;
  key: string | number;
  /** Concrete keys / indices that the pattern's wildcards matched, in order. */
  bound: Array<string | number>;
}

function isContainer(v: unknown): v is Container {
  return typeof v === 'object' && v !== null;
}

/** Every existing node matching `segs` below `holder.$`, as (parent, key) slots. */
function select(holder: Record<string, unknown>, segs: readonly PathSegment[]): Slot[] {
  const out: Slot[] = [];
  const bound: Array<string | number> = [];
  const visit = (parent: Container, key: string | number, i: number): void => {
    const node = (parent as Record<string | number, unknown>)[key];
    if (i === segs.length) {
      out.push({ parent, key, bound: [...bound] });
      return;
    }
    const seg = segs[i] as PathSegment;
    if (!isContainer(node)) return;
    if (seg.t === 'key') {
      if (!Array.isArray(node) && Object.hasOwn(node, seg.name)) visit(node, seg.name, i + 1);
    } else if (seg.t === 'index') {
      if (Array.isArray(node) && seg.index < node.length) visit(node, seg.index, i + 1);
    } else {
      if (seg.t === 'descend') visit(parent, key, i + 1);
      const keys: Array<string | number> = Array.isArray(node) ? node.map((_, j) => j) : Object.keys(node);
      for (const k of keys) {
        bound.push(k);
        visit(node, k, seg.t === 'descend' ? i : i + 1);
        bound.pop();
      }
    }
  };
  visit(holder, '$', 0);
  return out;
}

/** Writes `value` at `segs` below `holder.$`, wildcards taken from `bound`, creating objects on the way. */
function writeAt(
  holder: Record<string, unknown>,
  segs: readonly PathSegment[],
  bound: ReadonlyArray<string | number>,
  value: unknown,
): void {
  let parent: Container = holder;
  let key: string | number = '$';
  let w = 0;
  for (let i = 0; i < segs.length; i++) {
    const seg = segs[i] as PathSegment;
    const k = seg.t === 'key' ? seg.name : seg.t === 'index' ? seg.index : bound[w++];
    if (k === undefined) return;
    let node = (parent as Record<string | number, unknown>)[key];
    if (!isContainer(node)) {
      node = typeof k === 'number' ? [] : {};
      (parent as Record<string | number, unknown>)[key] = node;
    }
    parent = node as Container;
    key = k;
  }
  (parent as Record<string | number, unknown>)[key] = value;
}

function removeSlot(s: Slot): void {
  if (Array.isArray(s.parent)) s.parent.splice(s.key as number, 1);
  else delete s.parent[s.key as string];
}

function applyBodyStep(holder: Record<string, unknown>, s: CompiledStep): void {
  switch (s.op) {
    case 'wrap':
      holder.$ = { [s.key]: holder.$ };
      return;
    case 'unwrap': {
      const hit = select(holder, s.path)[0];
      if (hit !== undefined) holder.$ = (hit.parent as Record<string | number, unknown>)[hit.key];
      return;
    }
    case 'remove': {
      // Backwards, so removing array items does not shift the ones still to remove.
      const slots = select(holder, s.path);
      for (let i = slots.length - 1; i >= 0; i--) removeSlot(slots[i] as Slot);
      return;
    }
    case 'rename': {
      for (const slot of select(holder, s.from)) {
        const value = (slot.parent as Record<string | number, unknown>)[slot.key];
        removeSlot(slot);
        writeAt(holder, s.to, slot.bound, value);
      }
      return;
    }
    case 'set': {
      if (s.path.length === 0) {
        holder.$ = structuredClone(s.value);
        return;
      }
      if (count(s.path, 'any') === 0) {
        writeAt(holder, s.path, [], structuredClone(s.value));
        return;
      }
      const last = s.path[s.path.length - 1] as PathSegment;
      const k = last.t === 'key' ? last.name : last.t === 'index' ? last.index : undefined;
      if (k === undefined) return;
      for (const slot of select(holder, s.path.slice(0, -1))) {
        const target = (slot.parent as Record<string | number, unknown>)[slot.key];
        if (isContainer(target)) (target as Record<string | number, unknown>)[k] = structuredClone(s.value);
      }
      return;
    }
    default:
      return;
  }
}
