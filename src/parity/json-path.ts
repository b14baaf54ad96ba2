/**
 * The small JSON path dialect used by diff rules and adapters: parsing, formatting and
 * normalising paths. The automaton that matches many patterns at once while the diff walks a
 * document lives in `path-automaton.ts`.
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
