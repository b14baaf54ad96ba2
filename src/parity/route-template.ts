/**
 * Route templates: the key under which noise is learned and comparisons are counted. A plan
 * pattern with a wildcard (`/api/things/*`, or no method) covers many routes; keying by it would
 * let `$body` noise learned on one text route hide a body regression on another. So the part of
 * the path the wildcard matched is turned into a template: id-like segments become `:id`, other
 * segments stay literal (`GET /api/things/:id/history`). Pure; run off the router's hot path.
 */
import { parseRoutePattern, type RoutePattern } from '../plan/route-pattern.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const ULID = /^[0-7][0-9A-HJKMNP-TV-Z]{25}$/i;
const INTEGER = /^-?\d+$/;
const HEX = /^[0-9a-f]{16,}$/i;
/** A slug-like token with digits (`ord_8f3K2x9Q`, `INV-2024-0001`): an identifier, not a word. */
const TOKEN = /^(?=.*\d)(?=.*[A-Za-z])[A-Za-z0-9_.~-]{8,}$/;
/** Segments longer than this are never route names. */
const LONG_SEGMENT = 64;

/** True for a path segment that names a record rather than a route: integers, UUIDs, ULIDs, long hex, tokens. */
export function isIdSegment(seg: string): boolean {
  if (seg.length === 0) return false;
  if (seg.length > LONG_SEGMENT) return true;
  return INTEGER.test(seg) || UUID.test(seg) || ULID.test(seg) || HEX.test(seg) || TOKEN.test(seg);
}

/**
 * The template of a request under the plan pattern it matched.
 *
 * - A pattern without a wildcard (one named method and no trailing `*`) is returned as it is.
 * - A pattern naming several methods (`GET|POST /login`) takes the request's: noise a page's GET
 *   teaches (its CSRF token, its session cookie) must not hide a regression in the form's POST.
 * - Otherwise the method becomes the request's (when the pattern names none), the pattern's own
 *   segments are kept (`:name` included), and each path segment the trailing `*` matched becomes
 *   `:id` when it is id-like and stays literal otherwise.
 * @param route the matched plan pattern (`GET /api/users/:id`, `/api/things/*`)
 * @param method the request's method
 * @param path the request path; a query string is dropped
 */
export function routeTemplate(route: string, method: string, path: string, parsed?: RoutePattern): string {
  const p = parsed ?? parseRoutePattern(route);
  if (typeof p === 'string') return route;
  const rest = p.segments.length > 0 && p.segments[p.segments.length - 1]!.kind === 'rest';
  if (p.methods !== null && !rest && !severalMethods(p)) return route;
  if (!rest) return patternKey(p, method);
  const q = path.indexOf('?');
  const actual = (q < 0 ? path : path.slice(0, q)).split('/').slice(1);
  let out = '';
  const fixed = p.segments.length - 1;
  for (let i = 0; i < fixed; i++) {
    const s = p.segments[i]!;
    out += '/' + (s.kind === 'literal' ? s.value : s.kind === 'param' ? ':' + s.name : '*');
  }
  for (let i = fixed; i < actual.length; i++) {
    const seg = actual[i]!;
    out += '/' + (isIdSegment(seg) ? ':id' : seg);
  }
  return `${methodOf(p, method)} ${out === '' ? '/' : out}`;
}

/** The pattern itself, with the request's method when the pattern names none. */
function patternKey(p: RoutePattern, method: string): string {
  const space = p.text.indexOf(' ');
  return `${methodOf(p, method)} ${space < 0 ? p.text : p.text.slice(space + 1).trim()}`;
}

function methodOf(p: RoutePattern, method: string): string {
  return p.methods === null || severalMethods(p) ? method : p.text.slice(0, p.text.indexOf(' '));
}

/** The pattern names more than one method (`GET|POST /login`), `HEAD` aside: a HEAD is its GET without the body. */
function severalMethods(p: RoutePattern): boolean {
  if (p.methods === null) return false;
  let n = 0;
  for (const m of p.text.slice(0, p.text.indexOf(' ')).split('|')) if (m.toUpperCase() !== 'HEAD') n++;
  return n > 1;
}

/**
 * Route keys for one family, with a bound: a wildcard pattern whose literal segments are really
 * free text (slugs, file names) would otherwise make a key per request. Past `maxPerPattern`
 * templates, a pattern's further templates fall back to the pattern itself (with the method).
 */
export class RouteKeys {
  private readonly patterns = new Map<string, { parsed: RoutePattern | string; keys: Set<string> }>();
  private readonly maxPerPattern: number;

  /** @param maxPerPattern most templates kept per plan pattern. @default 200 */
  constructor(maxPerPattern = 200) {
    this.maxPerPattern = maxPerPattern;
  }

  /** The key of a request that matched `route` (see {@link routeTemplate}). */
  keyFor(route: string, method: string, path: string): string {
    let e = this.patterns.get(route);
    if (e === undefined) this.patterns.set(route, (e = { parsed: parseRoutePattern(route), keys: new Set() }));
    const p = e.parsed;
    if (typeof p === 'string') return route;
    const key = routeTemplate(route, method, path, p);
    if (key === route || e.keys.has(key)) return key;
    if (e.keys.size >= this.maxPerPattern) return patternKey(p, method);
    e.keys.add(key);
    return key;
  }
}
