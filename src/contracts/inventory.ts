/**
 * The endpoint inventory: legacy endpoints from a Flask app (`flask routes` output or the JSON of
 * `scripts/flask-url-map.py`), the new side from a FastAPI `openapi.json`, grouped into families
 * with router patterns. Pure, apart from reading what it is given.
 */
import { z } from 'zod';
import { PhoenixError } from '../lib/errors.js';
import { createMatcher } from '../plan/route-match.js';
import { parseRoutePattern, patternContains } from '../plan/route-pattern.js';

/** One endpoint: a method and a router path pattern (`/api/users/:id`). */
export interface InventoryEndpoint {
  method: string;
  path: string;
  /** Flask blueprint or endpoint name, when known. */
  blueprint?: string;
  endpoint?: string;
}

const IGNORED_METHODS = new Set(['HEAD', 'OPTIONS']);

/**
 * `<int:user_id>` → `:user_id`, `<path:rest>` → `*`, `{id}` (OpenAPI) → `:id`. A trailing slash
 * is dropped (`/api/categories/` → `/api/categories`): a family's pattern owns both slash
 * variants unless the family sets `strictSlashes`.
 */
export function toRouterPath(rule: string): string {
  return rule
    .replace(/<path:[^>]+>/g, '*')
    .replace(/<(?:[a-z]+:)?([A-Za-z_][A-Za-z0-9_]*)>/g, ':$1')
    .replace(/\{([A-Za-z_][A-Za-z0-9_]*)\}/g, ':$1')
    .replace(/\/\*.*$/, '/*')
    .replace(/(.)\/+$/, '$1');
}

/**
 * The new service's origin as its OpenAPI document tells it: `servers[0].url` (resolved against
 * the URL the document was read from when relative), else the origin of that URL. Undefined when
 * neither says (a local file without absolute `servers`).
 */
export function openApiServerUrl(doc: unknown, source: string): string | undefined {
  const from = /^https?:\/\//.test(source) ? source : undefined;
  const servers = (doc as { servers?: unknown } | null)?.servers;
  const first = Array.isArray(servers) ? (servers[0] as { url?: unknown } | undefined)?.url : undefined;
  if (typeof first === 'string' && first !== '') {
    try {
      const u = new URL(first, from);
      if (u.protocol === 'http:' || u.protocol === 'https:') return u.origin;
    } catch {
      // A relative server URL in a local file says nothing about the host.
    }
  }
  return from === undefined ? undefined : new URL(from).origin;
}

const urlMapSchema = z.array(
  z.object({
    endpoint: z.string(),
    methods: z.array(z.string()),
    rule: z.string().startsWith('/'),
    blueprint: z.string().nullable().optional(),
  }),
);

function invalid(file: string, message: string): PhoenixError {
  return new PhoenixError('PHX_ERR_INVENTORY_INVALID', `${file}: ${message}`, { file });
}

/** Reads `scripts/flask-url-map.py` JSON or `flask routes` text (detected by content). */
export function parseFlaskInventory(text: string, file: string): InventoryEndpoint[] {
  const trimmed = text.trim();
  if (trimmed.startsWith('[')) {
    let json: unknown;
    try {
      json = JSON.parse(trimmed);
    } catch (err) {
      throw invalid(file, `not valid JSON (${(err as Error).message})`);
    }
    const parsed = urlMapSchema.safeParse(json);
    if (!parsed.success) {
      const i = parsed.error.issues[0]!;
      throw invalid(
        file,
        `[${i.path.join('].')}${i.path.length > 1 ? '' : ']'}: ${i.message} (expected the output of scripts/flask-url-map.py)`,
      );
    }
    return parsed.data.flatMap((r) =>
      r.methods
        .filter((m) => !IGNORED_METHODS.has(m))
        .map((method) => ({
          method,
          path: toRouterPath(r.rule),
          endpoint: r.endpoint,
          ...(r.blueprint ? { blueprint: r.blueprint } : {}),
        })),
    );
  }
  // `flask routes`: a header line, a dashes line, then "endpoint  methods  rule".
  const lines = trimmed.split('\n');
  const header = lines.findIndex((l) => /^Endpoint\s+Methods\s+Rule/.test(l.trim()));
  if (header < 0)
    throw invalid(
      file,
      'neither the JSON of scripts/flask-url-map.py nor `flask routes` output (no "Endpoint  Methods  Rule" header)',
    );
  const out: InventoryEndpoint[] = [];
  lines.slice(header + 2).forEach((line, k) => {
    if (!line.trim()) return;
    const m = /^(\S+)\s+([A-Z, ]+?)\s+(\/\S*)\s*$/.exec(line.trim());
    if (!m) throw invalid(`${file}:${header + 3 + k}`, `cannot read the route line "${line.trim()}"`);
    const endpoint = m[1]!;
    if (endpoint === 'static') return;
    for (const method of m[2]!
      .split(',')
      .map((x) => x.trim())
      .filter((x) => x && !IGNORED_METHODS.has(x))) {
      out.push({
        method,
        path: toRouterPath(m[3]!),
        endpoint,
        ...(endpoint.includes('.') ? { blueprint: endpoint.split('.')[0]! } : {}),
      });
    }
  });
  return out;
}

/** Endpoints of an OpenAPI document (`paths` → methods). */
export function parseOpenApi(doc: unknown, file: string): InventoryEndpoint[] {
  const paths = (doc as { paths?: Record<string, Record<string, unknown>> } | null)?.paths;
  if (!paths || typeof paths !== 'object')
    throw invalid(file, 'no "paths" object: expected an OpenAPI document such as FastAPI\'s /openapi.json');
  const out: InventoryEndpoint[] = [];
  for (const [p, ops] of Object.entries(paths)) {
    for (const method of Object.keys(ops ?? {})) {
      const m = method.toUpperCase();
      if (['GET', 'POST', 'PUT', 'PATCH', 'DELETE'].includes(m)) out.push({ method: m, path: toRouterPath(p) });
    }
  }
  return out;
}

/** A family proposed from the inventory. */
export interface ProposedFamily {
  name: string;
  routes: string[];
}

function familyName(raw: string): string {
  const n = raw
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-')
    .replace(/^-+|-+$/g, '');
  return /^[a-z]/.test(n) ? n.slice(0, 63) : `f-${n}`.slice(0, 63);
}

/**
 * Groups endpoints into families: by Flask blueprint, or by the first path segment after a
 * common `/api`-like prefix. Routes are written as `METHOD /pattern`.
 */
export function groupIntoFamilies(
  endpoints: readonly InventoryEndpoint[],
  by: 'blueprint' | 'prefix' = 'blueprint',
): ProposedFamily[] {
  const groups = new Map<string, Set<string>>();
  for (const e of endpoints) {
    let key: string | undefined = by === 'blueprint' ? e.blueprint : undefined;
    if (!key) {
      const segs = e.path.split('/').filter(Boolean);
      key = segs[0] === 'api' || /^v\d+$/.test(segs[0] ?? '') ? (segs[1] ?? segs[0] ?? 'root') : (segs[0] ?? 'root');
    }
    const name = familyName(key);
    if (!groups.has(name)) groups.set(name, new Set());
    groups.get(name)!.add(`${e.method} ${e.path}`);
  }
  return [...groups].map(([name, routes]) => ({ name, routes: [...routes].sort() }));
}

/**
 * The plan's families are the explicit mapping: an endpoint that one of their route patterns
 * covers belongs to that family (the most specific pattern wins, as in the router), whatever its
 * blueprint or prefix. Returns those, and the endpoints no family owns yet.
 */
export function mapByPlan(
  endpoints: readonly InventoryEndpoint[],
  families: readonly { name: string; routes: readonly string[] }[],
): { mapped: Map<string, InventoryEndpoint[]>; unmapped: InventoryEndpoint[] } {
  const usable = families.map((f) => ({
    name: f.name,
    routes: f.routes.filter((r) => typeof parseRoutePattern(r) !== 'string'),
  }));
  const matcher = createMatcher(usable);
  const mapped = new Map<string, InventoryEndpoint[]>();
  const unmapped: InventoryEndpoint[] = [];
  for (const e of endpoints) {
    const m = matcher.match(e.method, e.path);
    if (!m) {
      unmapped.push(e);
      continue;
    }
    const name = usable[m.family]!.name;
    mapped.set(name, [...(mapped.get(name) ?? []), e]);
  }
  return { mapped, unmapped };
}

/** Legacy endpoints the new side does not have (same method, a path its patterns cover). */
export function missingInNew(
  legacy: readonly InventoryEndpoint[],
  fresh: readonly InventoryEndpoint[],
): InventoryEndpoint[] {
  const patterns = fresh.map((e) => parseRoutePattern(`${e.method} ${e.path}`)).filter((p) => typeof p !== 'string');
  return legacy.filter((e) => {
    const p = parseRoutePattern(`${e.method} ${e.path}`);
    if (typeof p === 'string') return true;
    return !patterns.some((n) => patternContains(n, p) || patternContains(p, n));
  });
}
