/**
 * The small JSON path dialect used by diff rules and adapters, and a lazily built automaton that
 * matches many patterns at once while the diff walks a document.
 *
 * Syntax: `$` root, `.name` or `["name"]` key, `[3]` index, `.*` / `[*]` any one child,
 * `..` any depth (zero or more segments): `$.meta.generated_at`, `$..request_id`,
 * `$.items[*].updated_at`, `$.a.*`. Difference paths may also contain keyed segments
 * (`$.items[id=42]`) which {@link normalizePath} folds to `[*]`.
 */
import { PhoenixError } from '../lib/errors.js';

/** One parsed path segment. */
export type PathSegment =
  | { readonly t: 'key'; readonly name: string }
  | { readonly t: 'index'; readonly index: number }
  | { readonly t: 'any' }
  | { readonly t: 'descend' };

const SIMPLE_KEY = /^[A-Za-z0-9_$-]+$/;

function badPath(path: string, why: string): PhoenixError {
  return new PhoenixError(
    'PHX_ERR_PARITY_BAD_PATH',
    `bad JSON path "${path}": ${why} (write paths like $.items[*].price or $..request_id)`,
    {
      path,
    },
  );
}

/**
 * Parses a JSON path into segments.
 * @throws PhoenixError `PHX_ERR_PARITY_BAD_PATH` when the path does not follow the dialect.
 */
export function parsePath(path: string): PathSegment[] {
  if (path[0] !== '$') throw badPath(path, 'it must start with "$"');
  const out: PathSegment[] = [];
  let i = 1;
  const n = path.length;
  while (i < n) {
    const c = path[i];
    if (c === '.') {
      if (path[i + 1] === '.') {
        out.push({ t: 'descend' });
        i += 2;
        if (path[i] === '[') continue;
      } else {
        i += 1;
      }
      let j = i;
      while (j < n && path[j] !== '.' && path[j] !== '[') j++;
      const name = path.slice(i, j);
      if (name === '') throw badPath(path, `empty name at offset ${i}`);
      out.push(name === '*' ? { t: 'any' } : { t: 'key', name });
      i = j;
    } else if (c === '[') {
      const q = path[i + 1];
      if (q === '"' || q === "'") {
        let j = i + 2;
        let name = '';
        while (j < n && path[j] !== q) {
          if (path[j] === '\\' && j + 1 < n) j++;
          name += path[j];
          j++;
        }
        if (path[j + 1] !== ']') throw badPath(path, `unterminated quoted name at offset ${i}`);
        out.push({ t: 'key', name });
        i = j + 2;
      } else {
        const j = path.indexOf(']', i);
        if (j < 0) throw badPath(path, `missing "]" after offset ${i}`);
        const inner = path.slice(i + 1, j).trim();
        if (inner === '*') out.push({ t: 'any' });
        else if (/^\d+$/.test(inner)) out.push({ t: 'index', index: Number(inner) });
        else throw badPath(path, `"[${inner}]" is not an index, "*" or a quoted name`);
        i = j + 1;
      }
    } else {
      throw badPath(path, `unexpected "${c}" at offset ${i}`);
    }
  }
  if (out.length > 0 && out[out.length - 1]?.t === 'descend') throw badPath(path, 'it cannot end with ".."');
  return out;
}

/** Formats an object key as a path segment: `.name` when plain, `["odd key"]` otherwise. */
export function formatKey(name: string): string {
  return SIMPLE_KEY.test(name) ? '.' + name : '[' + JSON.stringify(name) + ']';
}

/** Formats the identity of a keyed array item: `[id=42]`, `[sku="a b"]`. */
export function formatKeyed(field: string, value: unknown): string {
  const v = typeof value === 'string' && SIMPLE_KEY.test(value) ? value : JSON.stringify(value);
  return '[' + field + '=' + v + ']';
}

/**
 * Folds array positions out of a difference path so the same field in different items counts
 * as one path: `$.items[3].price` and `$.items[id=42].price` both become `$.items[*].price`.
 * Quoted key segments (`["a.b"]`) are kept.
 */
export function normalizePath(path: string): string {
  if (path.indexOf('[') < 0) return path;
  let out = '';
  let i = 0;
  const n = path.length;
  while (i < n) {
    const c = path[i] as string;
    if (c !== '[') {
      out += c;
      i++;
      continue;
    }
    const q = path[i + 1];
    if (q === '"' || q === "'") {
      const end = skipQuoted(path, i + 1);
      out += path.slice(i, end + 1);
      i = end + 1;
      continue;
    }
    // An index or keyed segment: skip to its closing bracket, stepping over quoted key values.
    let j = i + 1;
    while (j < n && path[j] !== ']') {
      j = path[j] === '"' ? skipQuoted(path, j) : j + 1;
    }
    out += '[*]';
    i = j + 1;
  }
  return out;
}

/** Returns the index just past a `"…"` or `'…'` token starting at `start` (honours backslashes). */
function skipQuoted(path: string, start: number): number {
  const q = path[start];
  let j = start + 1;
  while (j < path.length && path[j] !== q) j += path[j] === '\\' ? 2 : 1;
  return j + 1;
}

/**
 * The proper ancestors of a normalized difference path, nearest first:
 * `$.a[*].b` → `$.a[*]`, `$.a`, `$`. Paths outside the body (`$status`, `header:x`) have none.
 */
export function ancestorPaths(path: string): string[] {
  const out: string[] = [];
  if (path[0] !== '$' || (path.length > 1 && path[1] !== '.' && path[1] !== '[')) return out;
  let depth = 0;
  for (let i = path.length - 1; i > 0; i--) {
    const c = path[i];
    if (c === ']') depth++;
    else if (c === '[') depth--;
    else if (c === '"') {
      // step back over a quoted name so dots inside it are not taken as separators
      let j = i - 1;
      while (j > 0 && !(path[j] === '"' && path[j - 1] !== '\\')) j--;
      i = j;
      continue;
    }
    if (depth === 0 && (c === '.' || c === '[')) out.push(path.slice(0, i));
  }
  return out;
}

/* ------------------------------------------------------------------------------------------- */

/**
 * A state of the path automaton: the set of pattern positions still alive after the segments
 * walked so far. States and their transitions are built on first use and interned, so the diff
 * walk does one Map lookup (or none) per child and never parses or allocates a path.
 * @internal
 */
export interface MatchState<P, I> {
  /** No pattern can match at or below this node. */
  readonly dead: boolean;
  /** Payloads of the patterns that end exactly here, in pattern order. */
  readonly accepted: readonly P[];
  /** The automaton's summary of `accepted`, computed once per state. */
  readonly info: I;
  /** Child state for an object key. */
  key(name: string): MatchState<P, I>;
  /** Child state for an array position (keyed items pass any position). */
  index(i: number): MatchState<P, I>;
}

interface Pattern<P> {
  readonly segs: readonly PathSegment[];
  readonly payload: P;
}

class StateImpl<P, I> implements MatchState<P, I> {
  readonly dead: boolean;
  readonly accepted: P[] = [];
  readonly info: I;
  /** Names / indices that some live position spells out literally. */
  private readonly keyNames: Set<string> = new Set();
  private readonly indices: Set<number> = new Set();
  private readonly keyCache = new Map<string, MatchState<P, I>>();
  private readonly indexCache = new Map<number, MatchState<P, I>>();
  private otherKey: MatchState<P, I> | undefined;
  private otherIndex: MatchState<P, I> | undefined;

  private readonly auto: PathAutomaton<P, I>;
  private readonly positions: readonly number[];

  constructor(auto: PathAutomaton<P, I>, positions: readonly number[]) {
    this.auto = auto;
    this.positions = positions;
    this.dead = positions.length === 0;
    for (let k = 0; k < positions.length; k += 2) {
      const pat = auto.patterns[positions[k] as number] as Pattern<P>;
      const seg = pat.segs[positions[k + 1] as number];
      if (seg === undefined) this.accepted.push(pat.payload);
      else if (seg.t === 'key') this.keyNames.add(seg.name);
      else if (seg.t === 'index') this.indices.add(seg.index);
    }
    this.info = auto.summarize(this.accepted);
  }

  key(name: string): MatchState<P, I> {
    if (this.dead) return this;
    if (this.keyNames.has(name)) {
      let s = this.keyCache.get(name);
      if (s === undefined) this.keyCache.set(name, (s = this.auto.step(this.positions, name, -1)));
      return s;
    }
    return (this.otherKey ??= this.auto.step(this.positions, undefined, -1));
  }

  index(i: number): MatchState<P, I> {
    if (this.dead) return this;
    if (this.indices.has(i)) {
      let s = this.indexCache.get(i);
      if (s === undefined) this.indexCache.set(i, (s = this.auto.step(this.positions, undefined, i)));
      return s;
    }
    return (this.otherIndex ??= this.auto.step(this.positions, undefined, -2));
  }
}

/**
 * Matches a fixed set of path patterns, each carrying a payload, against the nodes of a document
 * as the walk reaches them. Build once per rule set; `root` is the state at `$`.
 * @internal
 */
export class PathAutomaton<P, I> {
  readonly patterns: Pattern<P>[];
  readonly summarize: (accepted: readonly P[]) => I;
  readonly root: MatchState<P, I>;
  private readonly interned = new Map<string, MatchState<P, I>>();

  constructor(
    patterns: ReadonlyArray<{ segs: readonly PathSegment[]; payload: P }>,
    summarize: (accepted: readonly P[]) => I,
  ) {
    this.patterns = patterns.map((p) => ({ segs: p.segs, payload: p.payload }));
    this.summarize = summarize;
    const start: number[] = [];
    for (let pi = 0; pi < this.patterns.length; pi++) start.push(pi, 0);
    this.root = this.intern(start);
  }

  /**
   * Advances every live position over one segment. `name` is set for an object key; otherwise
   * `index` is an array position, -1 meaning "a key spelled by no pattern", -2 "an index no
   * pattern spells".
   */
  step(positions: readonly number[], name: string | undefined, index: number): MatchState<P, I> {
    const next: number[] = [];
    const isKey = name !== undefined || index === -1;
    for (let k = 0; k < positions.length; k += 2) {
      const pi = positions[k] as number;
      const pos = positions[k + 1] as number;
      const seg = (this.patterns[pi] as Pattern<P>).segs[pos];
      if (seg === undefined) continue;
      switch (seg.t) {
        case 'descend':
          next.push(pi, pos);
          break;
        case 'any':
          next.push(pi, pos + 1);
          break;
        case 'key':
          if (name !== undefined && seg.name === name) next.push(pi, pos + 1);
          break;
        case 'index':
          if (!isKey && seg.index === index) next.push(pi, pos + 1);
          break;
      }
    }
    return this.intern(next);
  }

  /** Adds epsilon moves (a `..` may match zero segments), dedupes and returns the shared state. */
  private intern(raw: number[]): MatchState<P, I> {
    const seen = new Set<number>();
    const closed: number[] = [];
    const add = (pi: number, pos: number): void => {
      const id = pi * 4096 + pos;
      if (seen.has(id)) return;
      seen.add(id);
      closed.push(pi, pos);
      if ((this.patterns[pi] as Pattern<P>).segs[pos]?.t === 'descend') add(pi, pos + 1);
    };
    for (let k = 0; k < raw.length; k += 2) add(raw[k] as number, raw[k + 1] as number);
    const order: number[] = [];
    for (let k = 0; k < closed.length; k += 2) order.push(k);
    order.sort(
      (x, y) => (closed[x] as number) - (closed[y] as number) || (closed[x + 1] as number) - (closed[y + 1] as number),
    );
    const positions: number[] = [];
    for (const k of order) positions.push(closed[k] as number, closed[k + 1] as number);
    const id = positions.join(',');
    let s = this.interned.get(id);
    if (s === undefined) this.interned.set(id, (s = new StateImpl(this, positions)));
    return s;
  }
}
