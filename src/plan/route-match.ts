/**
 * Finds the family a request belongs to (shared by the router and the contract runner): the most specific matching pattern wins (literal
 * segments over parameters over a trailing `*`; a pattern that names methods over one that does
 * not). Unmatched requests belong to no family and go to legacy.
 */
import { matchesPattern, parseRoutePattern, type RoutePattern, type Segment } from './route-pattern.js';

/** A matched request: the family's index and the pattern (its text keys per-route statistics). */
export interface RouteMatch {
  family: number;
  route: string;
}

interface Entry {
  family: number;
  pattern: RoutePattern;
  match: RouteMatch;
  /** Whether the family also owns the trailing-slash variant of this pattern. */
  slashVariant: boolean;
}

const RANK: Record<Segment['kind'] | 'end', number> = { literal: 4, param: 3, end: 2, rest: 1 };

function rankAt(p: RoutePattern, i: number): number {
  const s = p.segments[i];
  return s === undefined ? RANK.end : RANK[s.kind];
}

/** Negative when `a` is more specific than `b`. */
export function compareSpecificity(a: RoutePattern, b: RoutePattern): number {
  const n = Math.max(a.segments.length, b.segments.length);
  for (let i = 0; i < n; i++) {
    const d = rankAt(b, i) - rankAt(a, i);
    if (d !== 0) return d;
  }
  return (a.methods === null ? 1 : 0) - (b.methods === null ? 1 : 0);
}

/** A compiled matcher over the families' route patterns. */
export interface Matcher {
  /** The family of `method path` (`path` without the query), or undefined for legacy. */
  match(method: string, path: string): RouteMatch | undefined;
}

/**
 * Compiles the families' patterns. A family owns the trailing-slash variant (`/x/`) of each of
 * its patterns unless it sets `strictSlashes`; a pattern that matches the variant as written
 * (`/x/*`) still wins over another family's slash variant.
 */
export function createMatcher(families: readonly { routes: readonly string[]; strictSlashes?: boolean }[]): Matcher {
  const entries: Entry[] = [];
  families.forEach((f, family) => {
    for (const text of f.routes) {
      const pattern = parseRoutePattern(text);
      if (typeof pattern === 'string') throw new Error(`bad route pattern "${text}": ${pattern}`);
      entries.push({ family, pattern, match: { family, route: pattern.text }, slashVariant: f.strictSlashes !== true });
    }
  });
  entries.sort((a, b) => compareSpecificity(a.pattern, b.pattern));
  return {
    match(method, path) {
      const segments = path === '/' || path === '' ? [] : path.slice(1).split('/');
      for (const e of entries) if (matchesPattern(e.pattern, method, segments)) return e.match;
      if (segments.length === 0 || segments[segments.length - 1] !== '') return undefined;
      const variant = segments.slice(0, -1);
      for (const e of entries) if (e.slashVariant && matchesPattern(e.pattern, method, variant)) return e.match;
      return undefined;
    },
  };
}
