/**
 * The state of one JSON walk (see `json-walk.ts`): the current path, kept in parallel stacks and
 * turned into a string only when a difference is recorded, and the lists differences are filed
 * into (real, noise, informational).
 */
import { ancestorPaths, formatKey, formatKeyed, normalizePath } from './json-path.js';
import type { Difference, DiffKind, NoiseFilter } from './types.js';
import { sameInstant } from './relaxed-rules.js';
import { judgeValues } from './value-classes.js';
import type { ClassOptions, ClassVerdict } from './value-classes.js';
import type { CompiledRules } from './diff-rules.js';
import type { OwnOrigins } from './own-origins.js';

/**
 * Below this depth subtrees are compared for plain equality, without rules, by a loop instead of
 * recursion: JSON.parse accepts nesting far deeper than the call stack allows.
 */
export const MAX_DEPTH = 1000;

/** How one step of the current path is written: `.name`, `[3]`, or a keyed item `[id=42]`. */
export type StepKind = 'key' | 'index' | 'keyed';

/**
 * Walk state. `probe` > 0 means "just answer equal or not" (set matching, reorder checks):
 * nothing is recorded and the walk stops at the first real difference.
 */
export class Walk {
  readonly stepKinds: StepKind[] = [];
  /** Per step: the key, the index, or the keyed item's key value. */
  readonly stepValues: unknown[] = [];
  /** Per keyed step: the field the item is keyed by. */
  readonly stepFields: string[] = [];
  depth = 0;
  probe = 0;
  readonly diffs: Difference[] = [];
  readonly noiseOut: Difference[] = [];
  readonly info: Difference[] = [];
  readonly absTol: number;
  readonly relTol: number;
  readonly noise: NoiseFilter | undefined;
  /** Arrays compared as multisets because only their order was learned noisy; undefined when none. */
  readonly orderOnly: ReadonlySet<string> | undefined;
  /** Value classes to judge differing leaves by, or undefined when none are enabled. */
  readonly classes: ClassOptions | undefined;
  readonly blockFormat: boolean;
  /** Both answers come from one service (`CompareOptions.sameService`). */
  readonly sameService: boolean;
  /** Each side's own origin, set aside in differing strings (`CompareOptions.ownHosts`). */
  readonly origins: OwnOrigins | undefined;

  constructor(
    rules: CompiledRules,
    noise: NoiseFilter | undefined,
    classes: ClassOptions | undefined,
    options: { sameService?: boolean; origins?: OwnOrigins } = {},
  ) {
    this.absTol = rules.rules.numericTolerance;
    this.relTol = rules.rules.relativeTolerance;
    this.noise = noise;
    const order = noise?.orderOnly;
    this.orderOnly = order !== undefined && order.size > 0 ? order : undefined;
    this.classes = classes;
    this.blockFormat = rules.blockFormat;
    this.sameService = options.sameService === true;
    this.origins = options.origins;
  }

  push(kind: StepKind, value: unknown, field: string): void {
    const d = this.depth;
    this.stepKinds[d] = kind;
    this.stepValues[d] = value;
    this.stepFields[d] = field;
    this.depth = d + 1;
  }

  /** Whether the array at the current path is compared as a multiset (its order is learned noise). */
  unorderedHere(): boolean {
    return this.orderOnly !== undefined && this.orderOnly.has(normalizePath(this.path()));
  }

  path(): string {
    let s = '$';
    for (let d = 0; d < this.depth; d++) {
      const k = this.stepKinds[d];
      if (k === 'key') s += formatKey(this.stepValues[d] as string);
      else if (k === 'index') s += '[' + String(this.stepValues[d]) + ']';
      else s += formatKeyed(this.stepFields[d] as string, this.stepValues[d]);
    }
    return s;
  }

  /** Records a difference at the current path; returns true when it was noise (counts as equal). */
  emit(kind: DiffKind, legacy: unknown, candidate: unknown): boolean {
    if (this.noise === undefined && this.probe > 0) return false;
    return this.file(makeDifference(this.path(), kind, legacy, candidate));
  }

  /** {@link emit} one step below the current path (a missing or extra key or item). */
  emitAt(step: StepKind, value: unknown, field: string, kind: DiffKind, legacy: unknown, candidate: unknown): boolean {
    this.push(step, value, field);
    const ok = this.emit(kind, legacy, candidate);
    this.depth--;
    return ok;
  }

  /** Records two differing leaves of the same JSON type, judged by value class first. */
  leaf(a: unknown, b: unknown): boolean {
    const v = this.classes === undefined ? undefined : judgeValues(a, b, this.classes);
    if (v === undefined) return this.emit('value', a, b);
    if (v.kind === 'equal') return true;
    if (v.kind === 'noise' || !this.blockFormat) {
      if (this.probe === 0) this.classified(v, a, b);
      return true;
    }
    if (this.noise === undefined && this.probe > 0) return false;
    const d = makeDifference(this.path(), 'format', a, b);
    d.valueClass = v.valueClass;
    return this.file(d);
  }

  /**
   * At a `format` path: whether two differing strings are the same instant, or timestamps within
   * the tolerance, which count as equal there whatever their layout (the path declares the
   * format change).
   */
  sameAtFormat(a: string, b: string): boolean {
    if (sameInstant(a, b)) return true;
    const c = this.classes;
    if (c === undefined || c.toleranceMs === undefined || c.toleranceMs === 0) return false;
    const v = judgeValues(a, b, c);
    return v !== undefined && v.kind !== 'noise' && (v.valueClass === 'timestamp' || v.valueClass === 'epoch');
  }

  /** Files `d` as noise or a real difference (nowhere while probing); true when it was noise. */
  private file(d: Difference): boolean {
    const probing = this.probe > 0;
    return record(d, this.noise, probing ? undefined : this.diffs, probing ? undefined : this.noiseOut);
  }

  /** Files an informational `format` difference, or class noise (learned noise at the path wins). */
  private classified(v: ClassVerdict, a: unknown, b: unknown): void {
    const d = makeDifference(this.path(), v.kind === 'format' ? 'format' : 'value', a, b);
    if (v.kind === 'format' || this.noise === undefined || !isNoise(this.noise, d.path, d.kind))
      d.valueClass = v.valueClass;
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
export function record(
  d: Difference,
  noise: NoiseFilter | undefined,
  diffs?: Difference[],
  noiseOut?: Difference[],
): boolean {
  if (noise !== undefined && isNoise(noise, d.path, d.kind)) {
    noiseOut?.push(d);
    return true;
  }
  diffs?.push(d);
  return false;
}

function isNoise(noise: NoiseFilter, path: string, kind: DiffKind): boolean {
  const norm = normalizePath(path);
  if (noise.has(norm, kind)) return true;
  for (const a of ancestorPaths(norm)) if (noise.has(a)) return true;
  return false;
}

// eslint-disable-next-line @typescript-eslint/unbound-method -- always called as hasOwn.call(obj, key)
export const hasOwn = Object.prototype.hasOwnProperty;

/**
 * Deep equality of two JSON values with an explicit stack (numbers by value, key order ignored),
 * for subtrees deeper than the walk recurses.
 */
export function sameTree(a: unknown, b: unknown): boolean {
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
