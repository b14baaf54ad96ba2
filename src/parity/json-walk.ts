/**
 * The structural walk over two parsed JSON documents under compiled diff rules: ignored paths,
 * finer rules (`present`, `type`, `format`), numeric and timestamp tolerance and array modes
 * (ordered, set, keyed). It allocates nothing until it finds a difference: the current path lives
 * in the {@link Walk}'s stacks and the rules' state for each child is one automaton lookup.
 */
import type { Difference, NoiseFilter } from './types.js';
import { jsonType } from './relaxed-rules.js';
import { classOptions, RELAX_PRESENT, RELAX_TYPE } from './diff-rules.js';
import type { CompareOptions, CompiledRules, RuleState } from './diff-rules.js';
import { hasOwn as sharedHasOwn, MAX_DEPTH as SHARED_MAX_DEPTH, sameTree, Walk } from './walk-state.js';
// Module-local copies: an imported binding is re-read on every use, and these two are read for
// every node of the walk (the diff benchmark lost a third of its speed to that).
const MAX_DEPTH = SHARED_MAX_DEPTH;
const hasOwn = sharedHasOwn;
import { bucketsOf, sameItems, takeExact } from './exact-items.js';
import { isRecord, itemKey, pairByKey } from './reorder-key.js';
import { originsOf } from './own-origins.js';
import { walkTypes } from './walk-types.js';
import { alignItems, type AlignStep } from './align-items.js';
import type { StepKind } from './walk-state.js';

/**
 * Above this many out-of-place items an ordered array is checked for a pure reordering by exact
 * equality of its items (keys in any order) instead of under the rules, which is O(n²).
 */
const ORDER_CHECK_LIMIT = 256;
/** From this many unmatched items on, a set first pairs items that are exactly equal, by hash. */
const SET_BUCKETS_FROM = 8;
/** At most this many items dropped and added together are looked for when aligning an ordered list. */
const MAX_ALIGN_EDITS = 8;
/** Lists longer than this together are not aligned (each edit looked for costs up to this many item comparisons). */
const ALIGN_LIMIT = 4_000;

/**
 * Compares two parsed JSON documents and lists every difference with its path and kind.
 * Differences whose normalized path (or an ancestor) is in `noise` are returned in `noise`, and
 * so is class noise when `options.classNoise` is on (those carry `valueClass`). Informational
 * `format` differences are returned in `informational` unless the rules make them blocking.
 */
export function compareJson(
  legacy: unknown,
  candidate: unknown,
  rules: CompiledRules,
  noise?: NoiseFilter,
  options?: CompareOptions,
): { differences: Difference[]; noise: Difference[]; informational: Difference[] } {
  const walk = new Walk(rules, noise, classOptions(rules, options), {
    sameService: options?.sameService,
    origins: originsOf(options),
  });
  if (rules.root.info?.ignore !== true) walkValue(walk, legacy, candidate, rules.root);
  return { differences: walk.diffs, noise: walk.noiseOut, informational: walk.info };
}

function walkValue(walk: Walk, a: unknown, b: unknown, state: RuleState): boolean {
  if (a === b) return true;
  if (walk.depth >= MAX_DEPTH) return sameTree(a, b) || walk.emit('value', a, b);
  const relax = state.info?.relax;
  if (relax !== undefined && relax !== 0) {
    if (relax === RELAX_PRESENT) return jsonType(a) === jsonType(b) || walk.emit('type', a, b);
    if (relax === RELAX_TYPE) return walkTypes(walk, a, b, state);
    if (typeof a === 'string' && typeof b === 'string' && walk.sameAtFormat(a, b)) return true;
  }
  const ta = typeof a;
  if (ta === 'number' && typeof b === 'number') {
    const x = a as number;
    const diff = Math.abs(x - b);
    if (diff <= walk.absTol || diff <= walk.relTol * Math.max(Math.abs(x), Math.abs(b))) return true;
    return walk.leaf(a, b);
  }
  if (ta !== 'object' || typeof b !== 'object' || a === null || b === null) {
    if (ta === 'string' && typeof b === 'string')
      return (walk.origins !== undefined && walk.origins.same(a as string, b)) || walk.leaf(a, b);
    // An integer beyond 2^53 (a bigint, see exact-json.ts) against any other number is a number too.
    return walk.emit(jsonType(a) === jsonType(b) && a !== null && b !== null ? 'value' : 'type', a, b);
  }
  const aIsArray = Array.isArray(a);
  if (aIsArray !== Array.isArray(b)) return walk.emit('type', a, b);
  if (aIsArray) {
    const rule = state.info?.array;
    if (rule === undefined || rule.mode === 'ordered') {
      if (walk.orderOnly !== undefined && walk.unorderedHere())
        return walkSet(walk, a as unknown[], b as unknown[], state);
      return walkOrdered(walk, a as unknown[], b as unknown[], state);
    }
    if (rule.mode === 'set') return walkSet(walk, a as unknown[], b as unknown[], state);
    return walkKeyed(walk, a as unknown[], b as unknown[], state, rule.key as string);
  }
  return walkObject(walk, a as Record<string, unknown>, b as Record<string, unknown>, state);
}

/** Walks `a` against `b` one step below the current path, under the child's rule state. */
function walkChild(
  walk: Walk,
  step: StepKind,
  value: unknown,
  field: string,
  a: unknown,
  b: unknown,
  child: RuleState,
): boolean {
  walk.push(step, value, field);
  const ok = walkValue(walk, a, b, child);
  walk.depth--;
  return ok;
}

function walkObject(walk: Walk, a: Record<string, unknown>, b: Record<string, unknown>, state: RuleState): boolean {
  let eq = true;
  let found = 0;
  for (const k in a) {
    const inB = hasOwn.call(b, k);
    if (inB) found++;
    const child = state.key(k);
    if (child.info?.ignore === true) continue;
    walk.push('key', k, '');
    const ok = inB ? walkValue(walk, a[k], b[k], child) : walk.emit('missing', a[k], undefined);
    walk.depth--;
    if (!ok && walk.probe > 0) return false;
    eq &&= ok;
  }
  let keysInB = 0;
  for (const _ in b) keysInB++;
  if (keysInB === found) return eq;
  for (const k in b) {
    if (hasOwn.call(a, k)) continue;
    if (state.key(k).info?.ignore === true) continue;
    const ok = walk.emitAt('key', k, '', 'extra', undefined, b[k]);
    if (!ok && walk.probe > 0) return false;
    eq &&= ok;
  }
  return eq;
}

/** Compares `a[i]` with `b[j]` under the state for legacy index `i`, recording nothing. */
function probeItem(walk: Walk, a: unknown, b: unknown, state: RuleState, i: number): boolean {
  walk.probe++;
  const ok = walkChild(walk, 'index', i, '', a, b, state.index(i));
  walk.probe--;
  return ok;
}

function walkOrdered(walk: Walk, a: unknown[], b: unknown[], state: RuleState): boolean {
  const n = Math.min(a.length, b.length);
  const mark = walk.diffs.length;
  const noiseMark = walk.noiseOut.length;
  const infoMark = walk.info.length;
  let outOfPlace: number[] | undefined;
  let eq = true;
  for (let i = 0; i < n; i++) {
    const child = state.index(i);
    if (child.info?.ignore === true) continue;
    walk.push('index', i, '');
    const ok = walkValue(walk, a[i], b[i], child);
    walk.depth--;
    if (ok) continue;
    if (walk.probe > 0) return false;
    (outOfPlace ??= []).push(i);
    eq = false;
  }
  for (let i = n; i < a.length; i++) eq = emitItem(walk, state, i, 'missing', a[i]) && eq;
  for (let i = n; i < b.length; i++) eq = emitItem(walk, state, i, 'extra', b[i]) && eq;
  if (walk.probe > 0 || outOfPlace === undefined) return eq;
  if (outOfPlace.length < 2 || a.length !== b.length) {
    return a.length === b.length ? eq : (walkAligned(walk, a, b, state, outOfPlace, mark, noiseMark, infoMark) ?? eq);
  }
  // Items out of place at two or more positions may be a pure reordering: one `order` difference
  // then says more than a value difference per moved item. Records that also differ are paired
  // by a field that identifies them, and each is compared with its own.
  const pure =
    outOfPlace.length > ORDER_CHECK_LIMIT ? sameItems(a, b, outOfPlace) : isReordering(walk, a, b, state, outOfPlace);
  const pairs = pure ? undefined : pairByKey(a, b, walk.sameService);
  if (!pure && pairs === undefined) return walkAligned(walk, a, b, state, outOfPlace, mark, noiseMark, infoMark) ?? eq;
  walk.diffs.length = mark;
  walk.noiseOut.length = noiseMark;
  walk.info.length = infoMark;
  eq = walk.emit('order', a, b);
  if (pairs === undefined) return eq;
  for (let i = 0; i < a.length; i++) {
    const child = state.index(i);
    if (child.info?.ignore === true) continue;
    eq = walkChild(walk, 'index', i, '', a[i], b[pairs[i] as number], child) && eq;
  }
  return eq;
}

/**
 * Walks an ordered list again as aligned ({@link alignItems}) when a few items dropped, added or
 * changed explain it with fewer differing items than positions do: the page off by one as its
 * one extra item and one missing, not every field of every later item. Runs of dropped and added
 * items of the same length are items changed in place, each walked against its own. Between two
 * answers of one service (noise learning) positions stay, so a write between them teaches no
 * item-level noise. Returns undefined, having recorded nothing, when positions say it better.
 */
function walkAligned(
  walk: Walk,
  a: unknown[],
  b: unknown[],
  state: RuleState,
  outOfPlace: number[],
  mark: number,
  noiseMark: number,
  infoMark: number,
): boolean | undefined {
  const positional = outOfPlace.length + Math.abs(a.length - b.length);
  if (walk.sameService || positional < 2 || a.length + b.length > ALIGN_LIMIT) return undefined;
  const differs = new Uint8Array(Math.min(a.length, b.length));
  for (const i of outOfPlace) differs[i] = 1;
  const seen = new Map<number, boolean>();
  const same = (i: number, j: number): boolean => {
    if (i === j && i < differs.length) return differs[i] === 0;
    if (state.index(i).info?.ignore === true) return true;
    const key = i * (b.length + 1) + j;
    let ok = seen.get(key);
    if (ok === undefined) seen.set(key, (ok = probeItem(walk, a[i], b[j], state, i)));
    return ok;
  };
  const steps = alignItems(a.length, b.length, same, MAX_ALIGN_EDITS);
  if (steps === undefined) return undefined;
  const runs = editRuns(steps);
  let cost = 0;
  for (const r of runs) cost += r.drops.length === r.adds.length ? r.drops.length : r.drops.length + r.adds.length;
  if (cost >= positional) return undefined;
  walk.diffs.length = mark;
  walk.noiseOut.length = noiseMark;
  walk.info.length = infoMark;
  let eq = true;
  for (const r of runs) {
    for (const [i, j] of r.same) {
      const child = state.index(i);
      if (child.info?.ignore !== true) eq = walkChild(walk, 'index', i, '', a[i], b[j], child) && eq;
    }
    if (r.drops.length === r.adds.length) {
      r.drops.forEach((i, t) => {
        const child = state.index(i);
        if (child.info?.ignore !== true)
          eq = walkChild(walk, 'index', i, '', a[i], b[r.adds[t] as number], child) && eq;
      });
      continue;
    }
    for (const i of r.drops) eq = emitItem(walk, state, i, 'missing', a[i]) && eq;
    for (const j of r.adds) eq = emitItem(walk, state, j, 'extra', b[j]) && eq;
  }
  return eq;
}

/** An alignment as runs: the items on both sides before each edit, then the items dropped and added together there. */
function editRuns(steps: readonly AlignStep[]): { same: [number, number][]; drops: number[]; adds: number[] }[] {
  const runs: { same: [number, number][]; drops: number[]; adds: number[] }[] = [];
  let run = { same: [] as [number, number][], drops: [] as number[], adds: [] as number[] };
  for (const s of steps) {
    if (s.op === 'same') {
      if (run.drops.length + run.adds.length > 0) {
        runs.push(run);
        run = { same: [], drops: [], adds: [] };
      }
      run.same.push([s.i, s.j]);
    } else if (s.op === 'drop') run.drops.push(s.i);
    else run.adds.push(s.j);
  }
  runs.push(run);
  return runs;
}

/** Whether the items out of place in `a` all match, one to one, items out of place in `b` under the rules. */
function isReordering(walk: Walk, a: unknown[], b: unknown[], state: RuleState, outOfPlace: number[]): boolean {
  const used = new Uint8Array(b.length);
  for (const i of outOfPlace) {
    let hit = false;
    for (const j of outOfPlace) {
      if (used[j] === 0 && probeItem(walk, a[i], b[j], state, i)) {
        used[j] = 1;
        hit = true;
        break;
      }
    }
    if (!hit) return false;
  }
  return true;
}

function emitItem(walk: Walk, state: RuleState, i: number, kind: 'missing' | 'extra', v: unknown): boolean {
  if (state.index(i).info?.ignore === true) return true;
  return kind === 'missing'
    ? walk.emitAt('index', i, '', kind, v, undefined)
    : walk.emitAt('index', i, '', kind, undefined, v);
}

function walkSet(walk: Walk, a: unknown[], b: unknown[], state: RuleState): boolean {
  const used = new Uint8Array(b.length);
  let rest: number[] | undefined;
  for (let i = 0; i < a.length; i++) {
    if (i < b.length && probeItem(walk, a[i], b[i], state, i)) used[i] = 1;
    else (rest ??= []).push(i);
  }
  if (rest === undefined && a.length === b.length) return true;
  // Exactly equal items pair up by hash first, so a long list in another order costs O(n); only
  // items that differ (a tolerance, an ignored or noisy field) are matched under the rules.
  const exact = rest !== undefined && rest.length >= SET_BUCKETS_FROM ? bucketsOf(b, used) : undefined;
  let eq = true;
  let unmatched: number[] | undefined;
  for (const i of rest ?? []) {
    if (exact !== undefined) {
      const j = takeExact(exact, a[i], used);
      if (j >= 0) {
        used[j] = 1;
        continue;
      }
    }
    let hit = false;
    for (let j = 0; j < b.length; j++) {
      if (used[j] === 0 && probeItem(walk, a[i], b[j], state, i)) {
        used[j] = 1;
        hit = true;
        break;
      }
    }
    if (!hit) {
      if (walk.probe > 0) return false;
      (unmatched ??= []).push(i);
    }
  }
  let extra = -1;
  let extras = 0;
  for (let j = 0; j < b.length; j++) {
    if (used[j] === 1) continue;
    if (walk.probe > 0) return false;
    extra = j;
    extras++;
  }
  // One record left on each side is one record changed: its own differences (a field missing, a
  // value changed) say more than the whole item missing and another extra.
  if (unmatched?.length === 1 && extras === 1 && isRecord(a[unmatched[0] as number]) && isRecord(b[extra])) {
    const i = unmatched[0] as number;
    if (state.index(i).info?.ignore === true) return eq;
    return walkChild(walk, 'index', i, '', a[i], b[extra], state.index(i)) && eq;
  }
  for (const i of unmatched ?? []) eq = emitItem(walk, state, i, 'missing', a[i]) && eq;
  for (let j = 0; j < b.length; j++) if (used[j] === 0) eq = emitItem(walk, state, j, 'extra', b[j]) && eq;
  return eq;
}

function walkKeyed(walk: Walk, a: unknown[], b: unknown[], state: RuleState, field: string): boolean {
  // First candidate index per key, and a chain to the next item with the same key, so duplicate
  // keys pair up in order instead of all landing on the first.
  const byKey = new Map<unknown, number>();
  const next = new Int32Array(b.length);
  for (let j = b.length - 1; j >= 0; j--) {
    const k = itemKey(b[j], field);
    if (k === undefined) continue;
    next[j] = byKey.get(k) ?? -1;
    byKey.set(k, j);
  }
  const used = new Uint8Array(b.length);
  let eq = true;
  for (let i = 0; i < a.length; i++) {
    const k = itemKey(a[i], field);
    const child = state.index(i);
    if (child.info?.ignore === true) continue;
    let j: number;
    if (k === undefined) {
      j = i < b.length && used[i] === 0 && itemKey(b[i], field) === undefined ? i : -1;
    } else {
      j = byKey.get(k) ?? -1;
      while (j >= 0 && used[j] === 1) j = next[j] as number;
    }
    // Items without the key field are placed by position, the others by their key.
    const step: StepKind = k === undefined ? 'index' : 'keyed';
    const stepValue = k === undefined ? i : k;
    let ok: boolean;
    if (j >= 0) {
      used[j] = 1;
      ok = walkChild(walk, step, stepValue, field, a[i], b[j], child);
    } else {
      ok = walk.emitAt(step, stepValue, field, 'missing', a[i], undefined);
    }
    if (!ok && walk.probe > 0) return false;
    eq &&= ok;
  }
  for (let j = 0; j < b.length; j++) {
    if (used[j] === 1 || state.index(j).info?.ignore === true) continue;
    const k = itemKey(b[j], field);
    const ok =
      k === undefined
        ? walk.emitAt('index', j, '', 'extra', undefined, b[j])
        : walk.emitAt('keyed', k, field, 'extra', undefined, b[j]);
    if (!ok && walk.probe > 0) return false;
    eq &&= ok;
  }
  return eq;
}
