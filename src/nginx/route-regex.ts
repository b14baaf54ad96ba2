/**
 * A family's route patterns as the regular expressions nginx matches against
 * `"$request_method $uri"`, in the order the built-in router tries them (most specific first,
 * then the trailing-slash variants), so a request reaches the same family through nginx. Pure.
 */
import { PhoenixError } from '../lib/errors.js';
import { compareSpecificity } from '../plan/route-match.js';
import { parseRoutePattern, type RoutePattern } from '../plan/route-pattern.js';

/** One map entry: the regex and the family's index. */
export interface RouteRegex {
  family: number;
  /** The pattern as written in the plan. */
  route: string;
  regex: string;
}

/**
 * Characters a literal segment may hold here. nginx matches the decoded, normalised `$uri`, so a
 * `%` escape in a pattern would never match as written; quotes, `\`, `$`, `{}` and `;` would
 * need escaping in nginx's own syntax. Such patterns are refused rather than approximated.
 */
const LITERAL = /^[A-Za-z0-9._~!&'()+,=@-]+$/;

function escapeRegex(s: string): string {
  // Of the characters LITERAL allows, only these mean something in PCRE outside a class.
  return s.replace(/[.+()]/g, '\\$&');
}

function pathRegex(p: RoutePattern): string {
  let out = '';
  for (const s of p.segments) {
    if (s.kind === 'rest') return `${out}(?:/.*)?`;
    // A parameter matches one segment, even an empty one, as in `matchesPattern`.
    out += s.kind === 'param' ? '/[^/]*' : `/${escapeRegex(s.value)}`;
  }
  return out === '' ? '/' : out;
}

function methodRegex(p: RoutePattern): string {
  return p.methods === null ? '[A-Z]+' : `(?:${p.methods.join('|')})`;
}

/**
 * The ordered regexes of every family's patterns.
 * @throws PhoenixError `PHX_ERR_NGINX_PATTERN` naming the family and pattern nginx cannot express.
 */
export function routeRegexes(
  families: readonly { name: string; routes: readonly string[]; strictSlashes?: boolean }[],
): RouteRegex[] {
  const entries: { family: number; pattern: RoutePattern; slash: boolean }[] = [];
  families.forEach((f, family) => {
    for (const text of f.routes) {
      const pattern = parseRoutePattern(text);
      if (typeof pattern === 'string') {
        throw new PhoenixError('PHX_ERR_NGINX_PATTERN', `family "${f.name}": bad route pattern "${text}": ${pattern}`);
      }
      for (const s of pattern.segments) {
        if (s.kind === 'literal' && !LITERAL.test(s.value)) {
          throw new PhoenixError(
            'PHX_ERR_NGINX_PATTERN',
            `family "${f.name}": route pattern "${text}" cannot be expressed in nginx: segment "${s.value}" ` +
              `holds characters outside letters, digits and ._~!&'()+,=@- (nginx matches the decoded path, ` +
              `so %-escapes never match; quotes, "\\", "$", "{}" and ";" are nginx syntax)`,
            { family: f.name, pattern: text },
          );
        }
      }
      entries.push({ family, pattern, slash: f.strictSlashes !== true });
    }
  });
  entries.sort((a, b) => compareSpecificity(a.pattern, b.pattern));
  const out: RouteRegex[] = [];
  for (const e of entries) {
    out.push({ family: e.family, route: e.pattern.text, regex: `^${methodRegex(e.pattern)} ${pathRegex(e.pattern)}$` });
  }
  // The router tries trailing-slash variants only after no pattern matched as written.
  for (const e of entries) {
    if (!e.slash || e.pattern.segments.length === 0) continue;
    out.push({
      family: e.family,
      route: e.pattern.text,
      regex: `^${methodRegex(e.pattern)} ${pathRegex(e.pattern)}/$`,
    });
  }
  return out;
}
