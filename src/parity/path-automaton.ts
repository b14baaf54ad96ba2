/**
 * A lazily built automaton that matches many JSON path patterns (see `json-path.ts` for the
 * dialect) at once while the diff walks a document.
 */
import type { PathSegment } from './json-path.js';

/** `step` index for an object key that no live pattern spells out literally. */
const OTHER_KEY = -1;
/** `step` index for an array position that no live pattern spells out literally. */
const OTHER_INDEX = -2;

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
      if (s === undefined) this.keyCache.set(name, (s = this.auto.step(this.positions, name, OTHER_KEY)));
      return s;
    }
    return (this.otherKey ??= this.auto.step(this.positions, undefined, OTHER_KEY));
  }

  index(i: number): MatchState<P, I> {
    if (this.dead) return this;
    if (this.indices.has(i)) {
      let s = this.indexCache.get(i);
      if (s === undefined) this.indexCache.set(i, (s = this.auto.step(this.positions, undefined, i)));
      return s;
    }
    return (this.otherIndex ??= this.auto.step(this.positions, undefined, OTHER_INDEX));
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
   * `index` is an array position, or {@link OTHER_KEY} / {@link OTHER_INDEX} for a key or
   * position that no pattern spells.
   */
  step(positions: readonly number[], name: string | undefined, index: number): MatchState<P, I> {
    const next: number[] = [];
    const isKey = name !== undefined || index === OTHER_KEY;
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
