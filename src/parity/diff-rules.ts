/**
 * The rules one parity comparison runs under: a family's diff rules with defaults applied and a
 * route's overrides merged, compiled once into a path automaton so the walk answers "what do the
 * rules say about this node" with a state lookup instead of parsing paths.
 */
import { diffRulesSchema, type DiffRules } from '../plan/schema.js';
import { PhoenixError } from '../lib/errors.js';
import { parsePath } from './json-path.js';
import type { PathSegment } from './json-path.js';
import { PathAutomaton } from './path-automaton.js';
import type { MatchState } from './path-automaton.js';
import { classMask, DEFAULT_NOW_WINDOW_MS } from './value-classes.js';
import { compileStatusMap } from './relaxed-rules.js';
import type { StatusMap } from './relaxed-rules.js';
import type { ClassOptions, ValueClass } from './value-classes.js';
import type { OwnHosts } from './own-origins.js';

/** How one array is compared (`ordered`, `set`, `keyed` by a field). */
export type ArrayRule = DiffRules['arrays'][string];
/** How a node is compared when a finer rule names it (see {@link RELAX_PRESENT} and siblings). */
export type Relax = 0 | 1 | 2 | 3;
/** Only presence and the JSON type count (`present`). */
export const RELAX_PRESENT = 1;
/** Only the JSON types count, down the whole subtree (`type`). */
export const RELAX_TYPE = 2;
/** Timestamps are equal when they are the same instant (`format`). */
export const RELAX_FORMAT = 3;
type RulePayload = { readonly ignore: true } | { readonly array: ArrayRule } | { readonly relax: Relax };
/**
 * What the rules say about one node: ignore it (and everything below), how to compare it as an
 * array, and which finer rule applies (`ignore` wins, then `present`, `type`, `format`).
 */
export interface NodeInfo {
  readonly ignore: boolean;
  readonly array: ArrayRule | undefined;
  readonly relax: Relax;
}
/** The rules' state at one node of the walk: `info` is null where no rule ends here. */
export type RuleState = MatchState<RulePayload, NodeInfo | null>;

/** The rules a comparison runs under, with defaults applied and per-route overrides merged. */
export interface ResolvedDiffRules {
  headers: string[];
  ignore: string[];
  numericTolerance: number;
  relativeTolerance: number;
  /** Milliseconds; see the plan's `diff.timestampTolerance`. */
  timestampTolerance: number;
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

/** How one comparison judges value classes (see `compareResponses`). */
export interface CompareOptions {
  /**
   * Two different values of the same class at the same place (two fresh UUIDs, two "now"
   * timestamps) count as noise. `true` for requests that cannot be resampled on legacy: unsafe
   * methods, contract runs, a route's first samples. `'time'`: only timestamps and epochs near
   * `now` (a second-resolution clock often does not tick between two legacy answers, so
   * resampling does not learn them reliably). @default false
   */
  classNoise?: boolean | 'time';
  /**
   * The request compared: its method, and its target and body as text, read only when a POST's
   * answers differ at an id. On a POST, with `classNoise: true`, the ids its write generated on
   * each side are `serial` class noise (see `setAsideCreatedIds`); an id the request carries is
   * not one. @default undefined (no `serial` noise)
   */
  request?: { method: string; text: () => string };
  /** Request time, epoch ms. Timestamps and epochs are class noise only near it; without it, never. */
  now?: number;
  /** How near `now` a timestamp or epoch must be to count as generated at request time, ms. @default 300000 */
  nowWindowMs?: number;
  /**
   * The timestamp tolerance of this comparison, ms. Noise learning passes 0: a clock that ticks
   * between two legacy answers marks a volatile field, whatever legacy and new are allowed.
   * @default the rules' `timestampTolerance`
   */
  timestampToleranceMs?: number;
  /**
   * Both answers come from one service (noise learning): records of a list in another order that
   * the fields stable on both sides cannot tell apart differ only where legacy itself varies, so
   * they are paired in turn. Between legacy and new, a field that different records share (a
   * category, a species) says nothing of which record is which, so records are paired only by what
   * is unique to each. @default false
   */
  sameService?: boolean;
  /**
   * The `Host` each side was sent (each upstream's own address, or the client's with
   * `preserveHost`): a URL naming legacy's in legacy's answer and the same URL naming new's in new's
   * are equal, in JSON strings, text bodies and compared headers (see `own-origins.ts`).
   * @default undefined (URLs compared as they are)
   */
  ownHosts?: OwnHosts;
}

/** Rules compiled for repeated use (paths parsed once into an automaton). Build with {@link compileRules}. */
export interface CompiledRules {
  /** The merged rules, for callers that need e.g. `learnNoise` or `noiseSampleRate`. */
  readonly rules: Readonly<ResolvedDiffRules>;
  /** @internal lower-case header names */
  readonly headers: readonly string[];
  /** @internal */
  readonly root: RuleState;
  /** @internal enabled value classes, a {@link classMask} */
  readonly classMask: number;
  /** @internal `format` differences count as mismatches */
  readonly blockFormat: boolean;
  /** @internal legacy status → new statuses that compare equal, undefined when none */
  readonly statusMap: StatusMap | undefined;
}

/** The plan's own defaults (`diff` with nothing set), so rules compiled from a partial object match a parsed plan. */
const DEFAULTS: ResolvedDiffRules = diffRulesSchema.parse({});

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

const TIME_CLASSES = classMask(['timestamp', 'epoch']);

/** The value-class settings of one comparison, or undefined when no class is enabled. */
export function classOptions(rules: CompiledRules, o: CompareOptions | undefined): ClassOptions | undefined {
  if (rules.classMask === 0) return undefined;
  return {
    mask: rules.classMask,
    noise: o?.classNoise === true || o?.classNoise === 'time',
    noiseMask: o?.classNoise === 'time' ? TIME_CLASSES : undefined,
    now: o?.now,
    windowMs: o?.nowWindowMs ?? DEFAULT_NOW_WINDOW_MS,
    toleranceMs: o?.timestampToleranceMs ?? rules.rules.timestampTolerance,
  };
}
