/**
 * One adapter op, from the plan to applied: compiled once (paths parsed, what cannot apply refused
 * with the route named), then a body op applied to the parsed answer.
 */
import type { AdapterOp } from '../plan/schema.js';
import { PhoenixError } from '../lib/errors.js';
import { parsePath } from './json-path.js';
import type { PathSegment } from './json-path.js';
import { isContainer, removeSlot, select, writeAt, type Slot } from './json-edit.js';
import { parseStatusCondition } from './relaxed-rules.js';
import type { StatusRange } from './relaxed-rules.js';

/** An op with its paths parsed. */
export type CompiledOp =
  | { readonly op: 'rename'; readonly from: readonly PathSegment[]; readonly to: readonly PathSegment[] }
  | { readonly op: 'unwrap'; readonly path: readonly PathSegment[] }
  | { readonly op: 'wrap'; readonly key: string }
  | { readonly op: 'remove'; readonly path: readonly PathSegment[] }
  | { readonly op: 'set'; readonly path: readonly PathSegment[]; readonly value: unknown }
  | { readonly op: 'status'; readonly from: number; readonly to: number }
  | { readonly op: 'header'; readonly name: string; readonly value: string };
/** An op and the statuses it applies to (`onStatus`; every status without it). */
export type CompiledStep = CompiledOp & { readonly when: StatusRange };

/** The error for an adapter the plan cannot have. */
export function badAdapter(route: string, why: string): PhoenixError {
  return new PhoenixError('PHX_ERR_PARITY_BAD_ADAPTER', `adapter for "${route}": ${why}`, { route });
}

function count(segs: readonly PathSegment[], t: PathSegment['t']): number {
  let n = 0;
  for (const s of segs) if (s.t === t) n++;
  return n;
}

/** Compiles one op of the adapter for `route`. */
export function compileStep(route: string, op: AdapterOp): CompiledStep {
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
/** Applies a body op (`wrap`, `unwrap`, `remove`, `rename`, `set`) to the document in `holder.$`. */
export function applyBodyStep(holder: Record<string, unknown>, s: CompiledStep): void {
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
