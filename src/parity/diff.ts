/**
 * The structural diff at the heart of parity: status, chosen headers and body of a legacy answer
 * against a candidate answer, under a family's rules (ignored paths, paths compared only for
 * presence, type or instant (`present`, `type`, `format`), status mappings, numeric tolerance,
 * array modes) and a route's learned noise. Pure and synchronous; the router calls it off the hot path
 * for every sampled shadow pair, so rules are compiled once and the walk allocates nothing until
 * it finds a difference.
 */
import type { DiffRules } from '../plan/schema.js';
import { PhoenixError } from '../lib/errors.js';
import { ancestorPaths, formatKey, formatKeyed, normalizePath, parsePath, PathAutomaton } from './json-path.js';
import type { MatchState, PathSegment } from './json-path.js';
import type { ComparisonResult, Difference, DiffKind, HttpSnapshot, NoiseFilter } from './types.js';
import { classMask, DEFAULT_NOW_WINDOW_MS, judgeValues, VALUE_CLASSES } from './value-classes.js';
import { compileStatusMap, jsonType, sameInstant, statusMapped } from './relaxed-rules.js';
import type { StatusMap } from './relaxed-rules.js';
import type { ClassOptions, ClassVerdict, ValueClass } from './value-classes.js';

export { normalizePath } from './json-path.js';

type ArrayRule = DiffRules['arrays'][string];
/** How a node is compared when a finer rule names it (see {@link RELAX_PRESENT} and siblings). */
type Relax = 0 | 1 | 2 | 3;
/** Only presence and the JSON type count (`present`). */
const RELAX_PRESENT = 1;
/** Only the JSON types count, down the whole subtree (`type`). */
const RELAX_TYPE = 2;
/** Timestamps are equal when they are the same instant (`format`). */
const RELAX_FORMAT = 3;
type RulePayload = { readonly ignore: true } | { readonly array: ArrayRule } | { readonly relax: Relax };
/**
 * What the rules say about one node: ignore it (and everything below), how to compare it as an
 * array, and which finer rule applies (`ignore` wins, then `present`, `type`, `format`).
 */
interface NodeInfo {
  readonly ignore: boolean;
  readonly array: ArrayRule | undefined;
  readonly relax: Relax;
}
type State = MatchState<RulePayload, NodeInfo | null>;

/** The rules a comparison runs under, with defaults applied and per-route overrides merged. */
export interface ResolvedDiffRules {
  headers: string[];
  ignore: string[];
  numericTolerance: number;
  relativeTolerance: number;
  arrays: Record<string, ArrayRule>;
  text: 'exact' | 'normalized';
  learnNoise: boolean;
  noiseSampleRate: number;
  blocking: Array<'format' | 'redirect'>;
  present: string[];
  type: string[];
  format: string[];
  status: Record<string, number | number[]>;
  valueClasses: ValueClass[];
  resampleGapMs: number;
  latency: { maxShiftMs: number; repetitions: number; confidence: number };
}

/** How one comparison judges value classes (see {@link compareResponses}). */
export interface CompareOptions {
  /**
   * Two different values of the same class at the same place (two fresh UUIDs, two "now"
   * timestamps) count as noise. `true` for requests that cannot be resampled on legacy: unsafe
   * methods, contract runs, a route's first samples. `'time'`: only timestamps and epochs near
   * `now` (a second-resolution clock often does not tick between two legacy answers, so
   * resampling does not learn them reliably). @default false
   */
  classNoise?: boolean | 'time';
  /** Request time, epoch ms. Timestamps and epochs are class noise only near it; without it, never. */
  now?: number;
  /** How near `now` a timestamp or epoch must be to count as generated at request time, ms. @default 300000 */
  nowWindowMs?: number;
}

/** Rules compiled for repeated use (paths parsed once into an automaton). Build with {@link compileRules}. */
export interface CompiledRules {
  /** The merged rules, for callers that need e.g. `learnNoise` or `noiseSampleRate`. */
  readonly rules: Readonly<ResolvedDiffRules>;
  /** @internal lower-case header names */
  readonly headers: readonly string[];
  /** @internal */
  readonly root: State;
  /** @internal enabled value classes, a {@link classMask} */
  readonly classMask: number;
  /** @internal `format` differences count as mismatches */
  readonly blockFormat: boolean;
  /** @internal legacy status → new statuses that compare equal, undefined when none */
  readonly statusMap: StatusMap | undefined;
}

const DEFAULTS: ResolvedDiffRules = {
  headers: ['content-type'],
  ignore: [],
  numericTolerance: 0,
  relativeTolerance: 0,
  arrays: {},
  text: 'exact',
  learnNoise: true,
  noiseSampleRate: 0.1,
  blocking: [],
  present: [],
  type: [],
  format: [],
  status: {},
  valueClasses: [...VALUE_CLASSES],
  resampleGapMs: 1100,
  latency: { maxShiftMs: 50, repetitions: 5, confidence: 0.95 },
};

/** Text bodies longer than this are cut in the `$body` difference (characters). */
const TEXT_EXAMPLE_CHARS = 1024;
/**
 * Below this depth subtrees are compared for plain equality, without rules, by a loop instead of
 * recursion: JSON.parse accepts nesting far deeper than the call stack allows.
 */
const MAX_DEPTH = 1000;
/** Above this many out-of-place items an ordered array is not checked for a pure reordering (O(n²)). */
const ORDER_CHECK_LIMIT = 256;

/**
 * Merges a route's overrides over the family's rules (each given field replaces the family's)
 * and compiles the paths. Missing fields take the plan's defaults.
 * @throws PhoenixError `PHX_ERR_PARITY_BAD_PATH` for a path outside the dialect,
 *   `PHX_ERR_PARITY_BAD_RULE` for a `keyed` array rule without `key`.
 */
export function compileRules(rules: Partial<DiffRules>, override?: Partial<DiffRules>): CompiledRules {
  const merged: ResolvedDiffRules = { ...DEFAULTS };
  for (const src of [rules, override]) {
    if (src === undefined) continue;
    for (const [k, v] of Object.entries(src))
      if (v !== undefined) (merged as unknown as Record<string, unknown>)[k] = v;
  }
  const patterns: Array<{ segs: PathSegment[]; payload: RulePayload }> = [];
  for (const p of merged.ignore) patterns.push({ segs: parsePath(p), payload: { ignore: true } });
  for (const [p, rule] of Object.entries(merged.arrays)) {
    if (rule.mode === 'keyed' && (rule.key === undefined || rule.key === '')) {
      throw new PhoenixError(
        'PHX_ERR_PARITY_BAD_RULE',
        `array rule for "${p}" is keyed but names no key (add key: <field>)`,
        { path: p },
      );
    }
    patterns.push({ segs: parsePath(p), payload: { array: rule } });
  }
  for (const p of merged.present) patterns.push({ segs: parsePath(p), payload: { relax: RELAX_PRESENT } });
  for (const p of merged.type) patterns.push({ segs: parsePath(p), payload: { relax: RELAX_TYPE } });
  for (const p of merged.format) patterns.push({ segs: parsePath(p), payload: { relax: RELAX_FORMAT } });
  const auto = new PathAutomaton<RulePayload, NodeInfo | null>(patterns, summarize);
  return {
    rules: merged,
    headers: merged.headers.map((h) => h.toLowerCase()),
    root: auto.root,
    classMask: classMask(merged.valueClasses),
    blockFormat: merged.blocking.includes('format'),
    statusMap: compileStatusMap(merged.status),
  };
}

function summarize(accepted: readonly RulePayload[]): NodeInfo | null {
  if (accepted.length === 0) return null;
  let ignore = false;
  let array: ArrayRule | undefined;
  let relax: Relax = 0;
  for (const p of accepted) {
    if ('ignore' in p) ignore = true;
    else if ('relax' in p) relax = relax === 0 || p.relax < relax ? p.relax : relax;
    else array ??= p.array;
  }
  return { ignore, array, relax };
}

/* ---------------------------------------- the walk ---------------------------------------- */

const SEG_KEY = 0;
const SEG_INDEX = 1;
const SEG_KEYED = 2;

/**
 * Walk state. The current path lives in parallel stacks and becomes a string only when a
 * difference is recorded. `probe` > 0 means "just answer equal or not" (set matching, reorder
 * checks): nothing is recorded and the walk stops at the first real difference.
 */
class Walk {
  readonly kinds: number[] = [];
  readonly vals: unknown[] = [];
  readonly fields: string[] = [];
  depth = 0;
  probe = 0;
  readonly diffs: Difference[] = [];
  readonly noiseOut: Difference[] = [];
  readonly info: Difference[] = [];
  readonly absTol: number;
  readonly relTol: number;
  readonly noise: NoiseFilter | undefined;
  /** Value classes to judge differing leaves by, or undefined when none are enabled. */
  readonly classes: ClassOptions | undefined;
  readonly blockFormat: boolean;

  constructor(rules: CompiledRules, noise: NoiseFilter | undefined, classes: ClassOptions | undefined) {
    this.absTol = rules.rules.numericTolerance;
    this.relTol = rules.rules.relativeTolerance;
    this.noise = noise;
    this.classes = classes;
    this.blockFormat = rules.blockFormat;
  }

  push(kind: number, val: unknown, field: string): void {
    const d = this.depth;
    this.kinds[d] = kind;
    this.vals[d] = val;
    this.fields[d] = field;
    this.depth = d + 1;
  }

  path(): string {
    let s = '$';
    for (let d = 0; d < this.depth; d++) {
      const k = this.kinds[d];
      if (k === SEG_KEY) s += formatKey(this.vals[d] as string);
      else if (k === SEG_INDEX) s += '[' + String(this.vals[d]) + ']';
      else s += formatKeyed(this.fields[d] as string, this.vals[d]);
    }
    return s;
  }

  /** Records a difference at the current path; returns true when it was noise (counts as equal). */
  emit(kind: DiffKind, legacy: unknown, candidate: unknown): boolean {
    if (this.noise === undefined && this.probe > 0) return false;
    const d = makeDifference(this.path(), kind, legacy, candidate);
    return record(d, this.noise, this.probe > 0 ? undefined : this.diffs, this.probe > 0 ? undefined : this.noiseOut);
  }

  /** Records two differing leaves of the same JSON type, judged by value class first. */
  leaf(a: unknown, b: unknown): boolean {
    const v = this.classes === undefined ? undefined : judgeValues(a, b, this.classes);
    if (v === undefined) return this.emit('value', a, b);
    if (v.kind === 'noise' || !this.blockFormat) {
      if (this.probe === 0) this.classified(v, a, b);
      return true;
    }
    if (this.noise === undefined && this.probe > 0) return false;
    const d = makeDifference(this.path(), 'format', a, b);
    d.valueClass = v.valueClass;
    return record(d, this.noise, this.probe > 0 ? undefined : this.diffs, this.probe > 0 ? undefined : this.noiseOut);
  }

  /** Files an informational `format` difference, or class noise (learned noise at the path wins). */
  private classified(v: ClassVerdict, a: unknown, b: unknown): void {
    const d = makeDifference(this.path(), v.kind === 'format' ? 'format' : 'value', a, b);
    if (v.kind === 'format' || this.noise === undefined || !isNoise(this.noise, d.path)) d.valueClass = v.valueClass;
    (v.kind === 'format' ? this.info : this.noiseOut).push(d);
  }
}

function makeDifference(path: string, kind: DiffKind, legacy: unknown, candidate: unknown): Difference {
  if (kind === 'missing') return { path, kind, legacy };
  if (kind === 'extra') return { path, kind, candidate };
  const d: Difference = { path, kind };
  if (legacy !== undefined) d.legacy = legacy;
  if (candidate !== undefined) d.candidate = candidate;
  return d;
}

/** Files `d` under noise or real differences; returns true when it was noise. */
function record(d: Difference, noise: NoiseFilter | undefined, diffs?: Difference[], noiseOut?: Difference[]): boolean {
  if (noise !== undefined && isNoise(noise, d.path)) {
    noiseOut?.push(d);
    return true;
  }
  diffs?.push(d);
  return false;
}

function isNoise(noise: NoiseFilter, path: string): boolean {
  const norm = normalizePath(path);
  if (noise.has(norm)) return true;
  for (const a of ancestorPaths(norm)) if (noise.has(a)) return true;
  return false;
}

function walk(w: Walk, a: unknown, b: unknown, st: State): boolean {
  if (a === b) return true;
  if (w.depth >= MAX_DEPTH) return sameTree(a, b) || w.emit('value', a, b);
  const relax = st.info?.relax;
  if (relax !== undefined && relax !== 0) {
    if (relax === RELAX_PRESENT) return jsonType(a) === jsonType(b) || w.emit('type', a, b);
    if (relax === RELAX_TYPE) return walkTypes(w, a, b, st);
    if (typeof a === 'string' && typeof b === 'string' && sameInstant(a, b)) return true;
  }
  const ta = typeof a;
  if (ta === 'number' && typeof b === 'number') {
    const x = a as number;
    const diff = Math.abs(x - b);
    if (diff <= w.absTol || diff <= w.relTol * Math.max(Math.abs(x), Math.abs(b))) return true;
    return w.leaf(a, b);
  }
  if (ta !== 'object' || typeof b !== 'object' || a === null || b === null) {
    if (ta === 'string' && typeof b === 'string') return w.leaf(a, b);
    return w.emit(ta === typeof b && a !== null && b !== null ? 'value' : 'type', a, b);
  }
  const aa = Array.isArray(a);
  if (aa !== Array.isArray(b)) return w.emit('type', a, b);
  if (aa) {
    const rule = st.info?.array;
    if (rule === undefined || rule.mode === 'ordered') return walkOrdered(w, a as unknown[], b as unknown[], st);
    if (rule.mode === 'set') return walkSet(w, a as unknown[], b as unknown[], st);
    return walkKeyed(w, a as unknown[], b as unknown[], st, rule.key as string);
  }
  return walkObject(w, a as Record<string, unknown>, b as Record<string, unknown>, st);
}

/**
 * The `type` rule: the same JSON type here and, inside objects and arrays, the same keys with the
 * same types; array items are compared pairwise by type and lengths may differ. Ignored paths
 * below stay ignored.
 */
function walkTypes(w: Walk, a: unknown, b: unknown, st: State): boolean {
  const t = jsonType(a);
  if (t !== jsonType(b)) return w.emit('type', a, b);
  if (w.depth >= MAX_DEPTH || t < 4) return true;
  let eq = true;
  if (t === 4) {
    const x = a as unknown[];
    const y = b as unknown[];
    const n = Math.min(x.length, y.length);
    for (let i = 0; i < n; i++) {
      const cs = st.index(i);
      if (cs.info?.ignore === true) continue;
      w.push(SEG_INDEX, i, '');
      const ok = walkTypes(w, x[i], y[i], cs);
      w.depth--;
      if (!ok) {
        if (w.probe > 0) return false;
        eq = false;
      }
    }
    return eq;
  }
  const x = a as Record<string, unknown>;
  const y = b as Record<string, unknown>;
  for (const k in x) {
    const cs = st.key(k);
    if (cs.info?.ignore === true) continue;
    w.push(SEG_KEY, k, '');
    const ok = hasOwn.call(y, k) ? walkTypes(w, x[k], y[k], cs) : w.emit('missing', x[k], undefined);
    w.depth--;
    if (!ok) {
      if (w.probe > 0) return false;
      eq = false;
    }
  }
  for (const k in y) {
    if (hasOwn.call(x, k) || st.key(k).info?.ignore === true) continue;
    w.push(SEG_KEY, k, '');
    const ok = w.emit('extra', undefined, y[k]);
    w.depth--;
    if (!ok) {
      if (w.probe > 0) return false;
      eq = false;
    }
  }
  return eq;
}

// eslint-disable-next-line @typescript-eslint/unbound-method -- always called as hasOwn.call(obj, key)
const hasOwn = Object.prototype.hasOwnProperty;

/** Deep equality of two JSON values with an explicit stack (numbers by value, key order ignored). */
function sameTree(a: unknown, b: unknown): boolean {
  const stack: unknown[] = [a, b];
  while (stack.length > 0) {
    const y = stack.pop();
    const x = stack.pop();
    if (x === y) continue;
    if (typeof x !== 'object' || typeof y !== 'object' || x === null || y === null) return false;
    if (Array.isArray(x)) {
      if (!Array.isArray(y) || x.length !== y.length) return false;
      for (let i = 0; i < x.length; i++) stack.push(x[i], y[i]);
      continue;
    }
    if (Array.isArray(y)) return false;
    const xk = Object.keys(x);
    if (xk.length !== Object.keys(y).length) return false;
    for (const k of xk) {
      if (!hasOwn.call(y, k)) return false;
      stack.push((x as Record<string, unknown>)[k], (y as Record<string, unknown>)[k]);
    }
  }
  return true;
}

function walkObject(w: Walk, a: Record<string, unknown>, b: Record<string, unknown>, st: State): boolean {
  let eq = true;
  let found = 0;
  for (const k in a) {
    const inB = hasOwn.call(b, k);
    if (inB) found++;
    const cs = st.key(k);
    if (cs.info?.ignore === true) continue;
    w.push(SEG_KEY, k, '');
    const ok = inB ? walk(w, a[k], b[k], cs) : w.emit('missing', a[k], undefined);
    w.depth--;
    if (!ok) {
      if (w.probe > 0) return false;
      eq = false;
    }
  }
  let nb = 0;
  for (const _ in b) nb++;
  if (nb === found) return eq;
  for (const k in b) {
    if (hasOwn.call(a, k)) continue;
    if (st.key(k).info?.ignore === true) continue;
    w.push(SEG_KEY, k, '');
    const ok = w.emit('extra', undefined, b[k]);
    w.depth--;
    if (!ok) {
      if (w.probe > 0) return false;
      eq = false;
    }
  }
  return eq;
}

/** Compares `a[i]` with `b[j]` under the state for legacy index `i`, recording nothing. */
function probeItem(w: Walk, a: unknown, b: unknown, st: State, i: number): boolean {
  w.probe++;
  w.push(SEG_INDEX, i, '');
  const ok = walk(w, a, b, st.index(i));
  w.depth--;
  w.probe--;
  return ok;
}

function walkOrdered(w: Walk, a: unknown[], b: unknown[], st: State): boolean {
  const n = Math.min(a.length, b.length);
  const mark = w.diffs.length;
  const noiseMark = w.noiseOut.length;
  const infoMark = w.info.length;
  let off: number[] | undefined;
  let eq = true;
  for (let i = 0; i < n; i++) {
    const cs = st.index(i);
    if (cs.info?.ignore === true) continue;
    w.push(SEG_INDEX, i, '');
    const ok = walk(w, a[i], b[i], cs);
    w.depth--;
    if (!ok) {
      if (w.probe > 0) return false;
      (off ??= []).push(i);
      eq = false;
    }
  }
  for (let i = n; i < a.length; i++) eq = emitItem(w, st, i, 'missing', a[i]) && eq;
  for (let i = n; i < b.length; i++) eq = emitItem(w, st, i, 'extra', b[i]) && eq;
  if (w.probe > 0 || off === undefined || off.length < 2 || off.length > ORDER_CHECK_LIMIT || a.length !== b.length)
    return eq;
  // Items out of place at two or more positions may be a pure reordering: one `order` difference
  // then says more than a value difference per moved item.
  const used = new Uint8Array(b.length);
  for (const i of off) {
    let hit = false;
    for (const j of off) {
      if (used[j] === 0 && probeItem(w, a[i], b[j], st, i)) {
        used[j] = 1;
        hit = true;
        break;
      }
    }
    if (!hit) return eq;
  }
  w.diffs.length = mark;
  w.noiseOut.length = noiseMark;
  w.info.length = infoMark;
  return w.emit('order', a, b);
}

function emitItem(w: Walk, st: State, i: number, kind: 'missing' | 'extra', v: unknown): boolean {
  if (st.index(i).info?.ignore === true) return true;
  w.push(SEG_INDEX, i, '');
  const ok = kind === 'missing' ? w.emit(kind, v, undefined) : w.emit(kind, undefined, v);
  w.depth--;
  return ok;
}

function walkSet(w: Walk, a: unknown[], b: unknown[], st: State): boolean {
  const used = new Uint8Array(b.length);
  let rest: number[] | undefined;
  for (let i = 0; i < a.length; i++) {
    if (i < b.length && probeItem(w, a[i], b[i], st, i)) used[i] = 1;
    else (rest ??= []).push(i);
  }
  if (rest === undefined && a.length === b.length) return true;
  let eq = true;
  for (const i of rest ?? []) {
    let hit = false;
    for (let j = 0; j < b.length; j++) {
      if (used[j] === 0 && probeItem(w, a[i], b[j], st, i)) {
        used[j] = 1;
        hit = true;
        break;
      }
    }
    if (!hit) {
      if (w.probe > 0) return false;
      eq = emitItem(w, st, i, 'missing', a[i]) && eq;
    }
  }
  for (let j = 0; j < b.length; j++) {
    if (used[j] === 1) continue;
    if (w.probe > 0) return false;
    eq = emitItem(w, st, j, 'extra', b[j]) && eq;
  }
  return eq;
}

function itemKey(item: unknown, field: string): unknown {
  if (typeof item !== 'object' || item === null || Array.isArray(item) || !hasOwn.call(item, field)) return undefined;
  const v = (item as Record<string, unknown>)[field];
  return typeof v === 'object' && v !== null ? JSON.stringify(v) : v;
}

function walkKeyed(w: Walk, a: unknown[], b: unknown[], st: State, field: string): boolean {
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
    const cs = st.index(i);
    if (cs.info?.ignore === true) continue;
    let j: number;
    if (k === undefined) {
      j = i < b.length && used[i] === 0 && itemKey(b[i], field) === undefined ? i : -1;
    } else {
      j = byKey.get(k) ?? -1;
      while (j >= 0 && used[j] === 1) j = next[j] as number;
    }
    if (k === undefined) w.push(SEG_INDEX, i, '');
    else w.push(SEG_KEYED, k, field);
    let ok: boolean;
    if (j >= 0) {
      used[j] = 1;
      ok = walk(w, a[i], b[j], cs);
    } else {
      ok = w.emit('missing', a[i], undefined);
    }
    w.depth--;
    if (!ok) {
      if (w.probe > 0) return false;
      eq = false;
    }
  }
  for (let j = 0; j < b.length; j++) {
    if (used[j] === 1 || st.index(j).info?.ignore === true) continue;
    const k = itemKey(b[j], field);
    if (k === undefined) w.push(SEG_INDEX, j, '');
    else w.push(SEG_KEYED, k, field);
    const ok = w.emit('extra', undefined, b[j]);
    w.depth--;
    if (!ok) {
      if (w.probe > 0) return false;
      eq = false;
    }
  }
  return eq;
}

const TIME_CLASSES = classMask(['timestamp', 'epoch']);

/** The value-class settings of one comparison, or undefined when no class is enabled. */
function classOptions(rules: CompiledRules, o: CompareOptions | undefined): ClassOptions | undefined {
  if (rules.classMask === 0) return undefined;
  return {
    mask: rules.classMask,
    noise: o?.classNoise === true || o?.classNoise === 'time',
    noiseMask: o?.classNoise === 'time' ? TIME_CLASSES : undefined,
    now: o?.now,
    windowMs: o?.nowWindowMs ?? DEFAULT_NOW_WINDOW_MS,
  };
}

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
  const w = new Walk(rules, noise, classOptions(rules, options));
  if (rules.root.info?.ignore !== true) walk(w, legacy, candidate, rules.root);
  return { differences: w.diffs, noise: w.noiseOut, informational: w.info };
}

/* --------------------------------------- responses ---------------------------------------- */

/**
 * Compares two HTTP answers: status (`$status`, unless the rules' `status` mapping pairs the two),
 * the rule's headers (`header:<name>`; for
 * `content-type` only the media type counts, so a charset-only change is equal), and the body —
 * structurally when it is JSON (by content type, or by sniffing `{`/`[`), else as text at `$body`.
 * Byte-identical bodies are equal without being parsed.
 *
 * Differing leaves (and short text bodies) are judged by the rules' value classes: the same
 * instant in another format is an informational `format` difference; with `options.classNoise`,
 * two generated values of one class are noise (see {@link judgeValues}).
 */
export function compareResponses(
  legacy: HttpSnapshot,
  candidate: HttpSnapshot,
  rules: CompiledRules,
  noise?: NoiseFilter,
  options?: CompareOptions,
): ComparisonResult {
  const differences: Difference[] = [];
  const noiseOut: Difference[] = [];
  const informational: Difference[] = [];
  if (legacy.status !== candidate.status && !statusMapped(rules.statusMap, legacy.status, candidate.status)) {
    record(
      { path: '$status', kind: 'status', legacy: legacy.status, candidate: candidate.status },
      noise,
      differences,
      noiseOut,
    );
  }
  let legacyType: string | undefined;
  let candidateType: string | undefined;
  for (const name of rules.headers) {
    const lv = headerValue(legacy.headers, name);
    const cv = headerValue(candidate.headers, name);
    if (name === 'content-type') {
      legacyType = lv;
      candidateType = cv;
    }
    if (headersEqual(name, lv, cv)) continue;
    const d: Difference = { path: 'header:' + name, kind: 'header' };
    if (lv !== undefined) d.legacy = lv;
    if (cv !== undefined) d.candidate = cv;
    record(d, noise, differences, noiseOut);
  }
  if (!rules.headers.includes('content-type')) {
    legacyType = headerValue(legacy.headers, 'content-type');
    candidateType = headerValue(candidate.headers, 'content-type');
  }
  const jsonType = isJsonType(legacyType) || isJsonType(candidateType);
  let text: boolean;
  if (bodiesIdentical(legacy.body, candidate.body)) {
    text = !jsonType && !startsLikeJson(legacy.body);
  } else {
    text = compareBodies(
      bodyText(legacy.body),
      bodyText(candidate.body),
      jsonType,
      rules,
      noise,
      { differences, noise: noiseOut, informational },
      options,
    );
  }
  return { equal: differences.length === 0, differences, noise: noiseOut, informational, text };
}

interface Found {
  differences: Difference[];
  noise: Difference[];
  informational: Difference[];
}

/** Text bodies up to this length are judged by value class as a whole (an id answered as text). */
const CLASSED_TEXT_CHARS = 4096;

/** Compares decoded bodies into the given lists; returns true when they were compared as text. */
function compareBodies(
  ls: string,
  cs: string,
  jsonType: boolean,
  rules: CompiledRules,
  noise: NoiseFilter | undefined,
  out: Found,
  options: CompareOptions | undefined,
): boolean {
  const { differences, noise: noiseOut } = out;
  if (jsonType || (looksLikeJson(ls) && looksLikeJson(cs))) {
    const lp = parseJson(ls);
    const cp = parseJson(cs);
    if (lp !== INVALID && cp !== INVALID) {
      const r = compareJson(lp, cp, rules, noise, options);
      for (const d of r.differences) differences.push(d);
      for (const d of r.noise) noiseOut.push(d);
      for (const d of r.informational) out.informational.push(d);
      return false;
    }
    if (jsonType && (lp !== INVALID || cp !== INVALID)) {
      const d: Difference = {
        path: '$',
        kind: 'type',
        legacy: lp === INVALID ? clip(ls) : lp,
        candidate: cp === INVALID ? clip(cs) : cp,
      };
      record(d, noise, differences, noiseOut);
      return false;
    }
  }
  const equal = rules.rules.text === 'normalized' ? collapse(ls) === collapse(cs) : ls === cs;
  if (equal) return true;
  if (ls.length <= CLASSED_TEXT_CHARS && cs.length <= CLASSED_TEXT_CHARS) {
    const w = new Walk(rules, noise, classOptions(rules, options));
    if (w.classes !== undefined) {
      w.leaf(ls.trim(), cs.trim());
      if (w.diffs.length === 0 || w.diffs[0]?.kind === 'format') {
        for (const d of w.diffs) differences.push({ ...d, path: '$body' });
        for (const d of w.noiseOut) noiseOut.push({ ...d, path: '$body' });
        for (const d of w.info) out.informational.push({ ...d, path: '$body' });
        return true;
      }
    }
  }
  record({ path: '$body', kind: 'value', legacy: clip(ls), candidate: clip(cs) }, noise, differences, noiseOut);
  return true;
}

const INVALID = Symbol('invalid-json');

function parseJson(s: string): unknown {
  try {
    return JSON.parse(s);
  } catch {
    return INVALID;
  }
}

function looksLikeJson(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) continue;
    return c === 0x7b || c === 0x5b;
  }
  return false;
}

/** {@link looksLikeJson} on raw bytes, so identical bodies are never decoded. */
function startsLikeJson(body: Uint8Array | string): boolean {
  if (typeof body === 'string') return looksLikeJson(body);
  for (let i = 0; i < body.length; i++) {
    const c = body[i];
    if (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09 || c === 0xef || c === 0xbb || c === 0xbf) continue;
    return c === 0x7b || c === 0x5b;
  }
  return false;
}

function isJsonType(ct: string | undefined): boolean {
  return ct !== undefined && ct.toLowerCase().includes('json');
}

function collapse(s: string): string {
  return s.trim().replace(/\s+/g, ' ');
}

function clip(s: string): string {
  return s.length > TEXT_EXAMPLE_CHARS ? s.slice(0, TEXT_EXAMPLE_CHARS) + '…' : s;
}

function bodyText(body: Uint8Array | string): string {
  const s =
    typeof body === 'string' ? body : Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('utf8');
  return s.charCodeAt(0) === 0xfeff ? s.slice(1) : s;
}

function bodiesIdentical(a: Uint8Array | string, b: Uint8Array | string): boolean {
  if (typeof a === 'string' && typeof b === 'string') return a === b;
  const x = typeof a === 'string' ? Buffer.from(a) : Buffer.from(a.buffer, a.byteOffset, a.byteLength);
  const y = typeof b === 'string' ? Buffer.from(b) : Buffer.from(b.buffer, b.byteOffset, b.byteLength);
  return x.equals(y);
}

/** Reads a header by lower-case name from a record whose names may be in any case. */
export function headerValue(headers: HttpSnapshot['headers'], name: string): string | undefined {
  let v = headers[name];
  if (v === undefined) {
    for (const k in headers) {
      if (k.length === name.length && k.toLowerCase() === name) {
        v = headers[k];
        break;
      }
    }
  }
  return Array.isArray(v) ? v.join(', ') : v;
}

function mediaType(v: string): string {
  const semi = v.indexOf(';');
  return (semi < 0 ? v : v.slice(0, semi)).trim().toLowerCase();
}

function headersEqual(name: string, a: string | undefined, b: string | undefined): boolean {
  if (a === b) return true;
  if (a === undefined || b === undefined) return false;
  if (name === 'content-type') return mediaType(a) === mediaType(b);
  return a.trim() === b.trim();
}
