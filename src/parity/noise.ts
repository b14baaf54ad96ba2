/**
 * Diffy-style noise cancellation: ask legacy the same question twice, and every path whose
 * answer differs between the two legacy replies (timestamps, request ids, random ordering) is
 * noise for that route. Later legacy-vs-new differences at those paths, or below them, are set
 * aside as noise instead of counting as mismatches, if legacy showed their kind there: a field
 * whose value changes between two legacy answers is still a mismatch when new leaves it out or
 * gives it another JSON type.
 *
 * A list whose two legacy answers hold the same items in another order (a random or unstable
 * order) is learned as order-only noise: later comparisons match its items as a multiset, so an
 * item that new drops, adds or changes is still a mismatch. It becomes ordinary noise only when
 * two legacy answers differ there in another way.
 *
 * Class noise (two fresh UUIDs, two "now" timestamps, found by the diff's value classes where a
 * request cannot be resampled) is listed here too, with its class, for the report; it never
 * becomes a learned path, so it never hides a later difference at that path.
 */
import { compareResponses, normalizePath } from './diff.js';
import type { CompareOptions, CompiledRules } from './diff.js';
import type { Difference, DiffKind, HttpSnapshot, NoiseFilter } from './types.js';
import type { ValueClass } from './value-classes.js';

export type { NoiseFilter } from './types.js';

/** Two legacy answers are compared without the timestamp tolerance: a stamp that ticked is noise. */
const LEARNING: CompareOptions = { timestampToleranceMs: 0, sameService: true };

/** One learned noisy path of a route. */
export interface NoisePath {
  /** Normalized path (`$.items[*].updated_at`, `header:etag`). */
  path: string;
  /** How many legacy pairs differed here. */
  count: number;
  /** One pair of differing values, as first seen (`a` first answer, `b` second). */
  example?: { a?: unknown; b?: unknown };
  /** When it was first seen, epoch milliseconds. */
  firstSeen: number;
  /**
   * Why this is noise: `resampled` (two legacy answers to one request differed here; such paths
   * are set aside in later comparisons) or `value-class` (two generated values of one class, see
   * `valueClass`; listed only, judged afresh each time). Absent in snapshots saved before it existed.
   */
  reason?: 'resampled' | 'value-class';
  /**
   * For `resampled` noise: the kinds of difference two legacy answers showed here. A later
   * difference at this very path is noise only if covered: its own kind, `value` or `format`
   * under `value` or `type`, any kind but `missing`/`extra` under `type`, and `missing`/`extra`
   * under either of them. Below the path, everything is. Absent in snapshots saved before it
   * existed: every kind.
   */
  kinds?: DiffKind[];
  /** For `value-class` noise: the class of both values. */
  valueClass?: ValueClass;
  /**
   * `true` while every pair of legacy answers that differed here held the same items in another
   * order: the array is then compared as a multiset rather than set aside. Its `example` is left
   * out (the arrays can be long).
   */
  orderOnly?: boolean;
}

/** Options for {@link NoiseLearner}. */
export interface NoiseLearnerOptions {
  /**
   * Most paths learned per route; later paths are not learned, so a legacy endpoint that answers
   * differently every time cannot grow memory without bound.
   * @default 200
   */
  maxPathsPerRoute?: number;
}

const TEXT_VALUE = /^\$body\.token\d+$/;

/**
 * Values of a page (`$body.…` paths, html-canonical.ts) learned as noise, with the routes that
 * learned each. A page's layout (its footer's "rendered in 3 ms", the CSRF token in its head) is
 * shared by the family's pages, so a value learned noisy on two other routes is noise on every
 * route: also on a form's POST, whose answer legacy is never asked twice.
 */
class PageNoise {
  private readonly routes = new Map<string, Set<RouteNoise>>();

  note(path: string, route: RouteNoise): void {
    // A text's n-th value (`$body.token12`) is a place on one route's pages only.
    if (!path.startsWith('$body.') || TEXT_VALUE.test(path)) return;
    let by = this.routes.get(path);
    if (by === undefined) this.routes.set(path, (by = new Set()));
    by.add(route);
  }

  /** Whether at least two routes other than `route` learned `path` as noise. */
  sharedBy(path: string, route: RouteNoise): boolean {
    const by = this.routes.get(path);
    if (by === undefined) return false;
    let others = 0;
    for (const r of by) if (r !== route && ++others >= 2) return true;
    return false;
  }
}

class RouteNoise implements NoiseFilter {
  /** Learned paths, order-only ones included. */
  readonly paths = new Map<string, NoisePath>();
  readonly orderOnly = new Set<string>();
  /** Class noise seen, by normalized path: reported, never used as a filter. */
  readonly classPaths = new Map<string, NoisePath>();
  /** Lessons (pairs of legacy answers) observed. */
  lessons = 0;
  private readonly pages: PageNoise;
  constructor(pages: PageNoise) {
    this.pages = pages;
  }

  has(normalizedPath: string, kind?: DiffKind): boolean {
    const p = this.paths.get(normalizedPath);
    if (p === undefined) return kind === 'value' && this.pages.sharedBy(normalizedPath, this);
    if (p.orderOnly === true) return false;
    return kind === undefined || p.kinds === undefined || covers(p.kinds, kind);
  }

  /** Learns `path` from one difference between two legacy answers. */
  learn(path: string, d: Difference, now: number, maxPaths: number): void {
    const known = this.paths.get(path);
    if (known !== undefined) {
      known.count++;
      this.widen(known, [d.kind]);
      return;
    }
    const entry: NoisePath = { path, count: 1, firstSeen: now, reason: 'resampled', kinds: [d.kind] };
    if (d.kind === 'order') {
      entry.orderOnly = true;
    } else {
      const example: { a?: unknown; b?: unknown } = {};
      if (d.legacy !== undefined) example.a = d.legacy;
      if (d.candidate !== undefined) example.b = d.candidate;
      entry.example = example;
    }
    this.add(entry, maxPaths);
  }

  /** Merges a learned path from a snapshot into what is known. */
  merge(p: NoisePath, maxPaths: number): void {
    const known = this.paths.get(p.path);
    if (known === undefined) {
      this.add(p.kinds === undefined ? { ...p } : { ...p, kinds: [...p.kinds] }, maxPaths);
      return;
    }
    known.count = Math.max(known.count, p.count);
    this.widen(known, p.orderOnly === true ? ['order'] : p.kinds);
  }

  /**
   * Adds the kinds seen again at a known path (none listed: every kind). Any kind but `order`
   * makes an order-only path ordinary noise.
   */
  private widen(known: NoisePath, kinds: readonly DiffKind[] | undefined): void {
    if (kinds === undefined) delete known.kinds;
    else if (known.kinds !== undefined) for (const k of kinds) if (!known.kinds.includes(k)) known.kinds.push(k);
    if (known.orderOnly === true && (kinds === undefined || kinds.some((k) => k !== 'order'))) {
      delete known.orderOnly;
      this.orderOnly.delete(known.path);
    }
  }

  private add(p: NoisePath, maxPaths: number): void {
    if (this.paths.size >= maxPaths) return;
    this.paths.set(p.path, p);
    if (p.orderOnly === true) this.orderOnly.add(p.path);
    else this.pages.note(p.path, this);
  }
}

/** Learns noisy paths per route from pairs of legacy answers to the same request. */
export class NoiseLearner {
  private readonly maxPaths: number;
  private readonly routes = new Map<string, RouteNoise>();
  private readonly pages = new PageNoise();

  constructor(options: NoiseLearnerOptions = {}) {
    this.maxPaths = options.maxPathsPerRoute ?? 200;
  }

  /**
   * Compares two legacy answers to the same request and learns every differing path as noise
   * for `route`. Returns the differences found (all of them, learned or not).
   *
   * Two cases teach nothing, because they mean "one answer failed", not "this field is noisy":
   * answers with different statuses, and a difference at the root `$` (which would hide every
   * later difference). A root array in another order is learned, as order-only noise.
   * @param now epoch milliseconds recorded as `firstSeen`. @default Date.now()
   */
  observe(
    route: string,
    first: HttpSnapshot,
    second: HttpSnapshot,
    rules: CompiledRules,
    now: number = Date.now(),
  ): Difference[] {
    const { differences } = compareResponses(first, second, rules, undefined, LEARNING);
    const entry = this.entry(route);
    entry.lessons++;
    if (differences.length === 0 || first.status !== second.status) return differences;
    for (const d of differences) {
      const path = normalizePath(d.path);
      if (path === '$' && d.kind !== 'order') continue;
      entry.learn(path, d, now, this.maxPaths);
    }
    return differences;
  }

  /** How many lessons (pairs of legacy answers) `route` has had: 0 means its noise is unknown. */
  lessonsFor(route: string): number {
    return this.routes.get(route)?.lessons ?? 0;
  }

  /**
   * Lists the class noise among a comparison's noise (`valueClass` set) for the report.
   * @returns true when a path was listed for the first time.
   */
  noteClassNoise(route: string, noise: readonly Difference[], now: number = Date.now()): boolean {
    let added = false;
    for (const d of noise) {
      if (d.valueClass === undefined) continue;
      const entry = this.entry(route);
      const path = normalizePath(d.path);
      const known = entry.classPaths.get(path);
      if (known !== undefined) {
        known.count++;
      } else if (entry.classPaths.size < this.maxPaths) {
        const example: { a?: unknown; b?: unknown } = { a: d.legacy, b: d.candidate };
        entry.classPaths.set(path, {
          path,
          count: 1,
          example,
          firstSeen: now,
          reason: 'value-class',
          valueClass: d.valueClass,
        });
        added = true;
      }
    }
    return added;
  }

  /** The noise filter for `route`. The same object on every call, and it sees later learning. */
  filterFor(route: string): NoiseFilter {
    return this.entry(route);
  }

  /** Learned paths by route, most frequent first, for the admin API and humans. */
  snapshot(): Record<string, NoisePath[]> {
    const out: Record<string, NoisePath[]> = {};
    for (const [route, entry] of this.routes) {
      if (entry.paths.size === 0 && entry.classPaths.size === 0) continue;
      out[route] = [...entry.paths.values(), ...entry.classPaths.values()]
        .map((p) => (p.kinds === undefined ? { ...p } : { ...p, kinds: [...p.kinds] }))
        .sort((x, y) => y.count - x.count || x.path.localeCompare(y.path));
    }
    return out;
  }

  /** Restores learned paths (e.g. from a saved snapshot), merging into what is already known. */
  load(data: Record<string, NoisePath[]>): void {
    for (const [route, paths] of Object.entries(data)) {
      const entry = this.entry(route);
      for (const p of paths) {
        if (p.reason !== 'value-class') {
          entry.merge(p, this.maxPaths);
          continue;
        }
        const known = entry.classPaths.get(p.path);
        if (known !== undefined) known.count = Math.max(known.count, p.count);
        else if (entry.classPaths.size < this.maxPaths) entry.classPaths.set(p.path, { ...p });
      }
    }
  }

  private entry(route: string): RouteNoise {
    let e = this.routes.get(route);
    if (e === undefined) this.routes.set(route, (e = new RouteNoise(this.pages)));
    return e;
  }
}

/** Whether noise learned with `kinds` at a path covers a difference of `kind` at that path. */
function covers(kinds: readonly DiffKind[], kind: DiffKind): boolean {
  if (kinds.includes(kind)) return true;
  if (kind === 'missing' || kind === 'extra') return kinds.includes('missing') || kinds.includes('extra');
  return kinds.includes('type') || (kind === 'format' && kinds.includes('value'));
}

/** A filter that holds nothing, for callers that learn no noise. */
export const NO_NOISE: NoiseFilter = { has: () => false };
