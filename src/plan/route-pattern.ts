/**
 * Route patterns name the requests that belong to a family: `GET /api/users/:id`,
 * `GET|HEAD /api/users`, `/api/orders/*` (any method). `:name` matches one path segment and a
 * trailing `*` matches the rest of the path (zero or more segments). Pure; shared by plan
 * validation, the router's matcher and the inventory.
 */

/** One path segment of a compiled pattern. */
export type Segment = { kind: 'literal'; value: string } | { kind: 'param'; name: string } | { kind: 'rest' };

/** A parsed route pattern. */
export interface RoutePattern {
  /** The pattern as written. */
  text: string;
  /** Upper-case methods, or `null` for any method. */
  methods: readonly string[] | null;
  segments: readonly Segment[];
}

const METHOD = /^[A-Z]+$/;
const METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']);

/** Methods that do not change state on a well-behaved server (RFC 9110 §9.2.1). */
export const SAFE_METHODS: ReadonlySet<string> = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * Parses a pattern.
 * @returns the pattern, or a message saying what is wrong with it.
 */
export function parseRoutePattern(text: string): RoutePattern | string {
  const trimmed = text.trim();
  const space = trimmed.indexOf(' ');
  let methods: string[] | null = null;
  let path = trimmed;
  if (space > 0) {
    const methodPart = trimmed.slice(0, space);
    path = trimmed.slice(space + 1).trim();
    if (methodPart !== '*') {
      methods = methodPart.split('|');
      for (const m of methods) {
        if (!METHOD.test(m) || !METHODS.has(m)) {
          return `unknown method "${m}" (expected one of ${[...METHODS].join(', ')}, or * for any)`;
        }
      }
      if (methods.includes('GET') && !methods.includes('HEAD')) methods.push('HEAD');
    }
  }
  if (!path.startsWith('/')) return `path must start with "/" (got "${path}")`;
  const raw = path === '/' ? [] : path.slice(1).split('/');
  const segments: Segment[] = [];
  for (let i = 0; i < raw.length; i++) {
    const seg = raw[i] as string;
    if (seg === '*') {
      if (i !== raw.length - 1) return `"*" is only allowed as the last segment (in "${path}")`;
      segments.push({ kind: 'rest' });
    } else if (seg.startsWith(':')) {
      const name = seg.slice(1);
      if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) return `bad parameter name "${seg}" in "${path}"`;
      segments.push({ kind: 'param', name });
    } else if (seg === '' && i === raw.length - 1) {
      return `trailing "/" in "${path}" (write the path without it)`;
    } else if (seg === '' || seg === '.' || seg === '..' || /[\s?#*:]/.test(seg)) {
      return `bad path segment "${seg}" in "${path}"`;
    } else {
      segments.push({ kind: 'literal', value: seg });
    }
  }
  return { text: trimmed, methods, segments };
}

function methodsIntersect(a: RoutePattern, b: RoutePattern): boolean {
  if (a.methods === null || b.methods === null) return true;
  return a.methods.some((m) => (b.methods as readonly string[]).includes(m));
}

function pathsOverlap(a: readonly Segment[], b: readonly Segment[], i: number, j: number): boolean {
  const x = a[i];
  const y = b[j];
  if (x?.kind === 'rest' || y?.kind === 'rest') return true;
  if (x === undefined || y === undefined) return x === y;
  if (x.kind === 'literal' && y.kind === 'literal' && x.value !== y.value) return false;
  return pathsOverlap(a, b, i + 1, j + 1);
}

/** True when at least one request matches both patterns. */
export function patternsOverlap(a: RoutePattern, b: RoutePattern): boolean {
  return methodsIntersect(a, b) && pathsOverlap(a.segments, b.segments, 0, 0);
}

/** True when every request matching `specific` also matches `general`. */
export function patternContains(general: RoutePattern, specific: RoutePattern): boolean {
  if (general.methods !== null) {
    if (specific.methods === null) return false;
    if (!specific.methods.every((m) => (general.methods as readonly string[]).includes(m))) return false;
  }
  const g = general.segments;
  const s = specific.segments;
  for (let i = 0; ; i++) {
    const x = g[i];
    const y = s[i];
    if (x?.kind === 'rest') return true;
    if (x === undefined || y === undefined) return x === y;
    if (y.kind === 'rest') return false;
    if (x.kind === 'literal' && (y.kind !== 'literal' || y.value !== x.value)) return false;
  }
}

/** True when one of `patterns` contains `route` (all pattern text; unparseable ones contain nothing). */
export function patternsCover(patterns: readonly string[], route: string): boolean {
  const r = parseRoutePattern(route);
  if (typeof r === 'string') return false;
  return patterns.some((text) => {
    const p = parseRoutePattern(text);
    return typeof p !== 'string' && patternContains(p, r);
  });
}

/** Matches a concrete method and path (already split on "/", no query) against a pattern. */
export function matchesPattern(p: RoutePattern, method: string, segments: readonly string[]): boolean {
  if (p.methods !== null && !p.methods.includes(method)) return false;
  const segs = p.segments;
  for (let i = 0; i < segs.length; i++) {
    const s = segs[i] as Segment;
    if (s.kind === 'rest') return true;
    const v = segments[i];
    if (v === undefined) return false;
    if (s.kind === 'literal' && s.value !== v) return false;
  }
  return segments.length === segs.length;
}
