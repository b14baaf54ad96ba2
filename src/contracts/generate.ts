/**
 * Cases generated from the new service's OpenAPI: every GET operation of the family gets a case,
 * with path parameters taken from existing (recorded or hand-written) cases or from the
 * document's examples. Unsafe operations are listed, not generated: replaying a POST blindly could
 * change data. Marked `source: generated`.
 */
import { parseRoutePattern, patternContains } from '../plan/route-pattern.js';
import type { ContractCaseInput, LoadedCase } from './cases.js';
import { toRouterPath } from './inventory.js';

export interface GenerateResult {
  cases: ContractCaseInput[];
  /** Operations without a case, and why. */
  skipped: { operation: string; why: string }[];
}

type Operation = { parameters?: { name?: string; in?: string; example?: unknown; schema?: { example?: unknown; default?: unknown } }[] };

function inFamily(routes: readonly string[], method: string, path: string): boolean {
  const p = parseRoutePattern(`${method} ${path}`);
  if (typeof p === 'string') return false;
  return routes.some((r) => {
    const q = parseRoutePattern(r);
    return typeof q !== 'string' && patternContains(q, p);
  });
}

export function generateCases(doc: unknown, family: { name: string; routes: readonly string[] }, existing: readonly LoadedCase[]): GenerateResult {
  const paths = ((doc as { paths?: Record<string, Record<string, Operation>> })?.paths ?? {}) as Record<string, Record<string, Operation>>;
  const out: GenerateResult = { cases: [], skipped: [] };
  const names = new Set(existing.map((c) => c.name));
  for (const [rawPath, ops] of Object.entries(paths)) {
    const routerPath = toRouterPath(rawPath);
    for (const [m, op] of Object.entries(ops ?? {})) {
      const method = m.toUpperCase();
      if (!['GET', 'POST', 'PUT', 'PATCH', 'DELETE'].includes(method) || !inFamily(family.routes, method, routerPath)) continue;
      const operation = `${method} ${routerPath}`;
      if (method !== 'GET') {
        out.skipped.push({ operation, why: 'not a safe method: record it from traffic or write it by hand' });
        continue;
      }
      const pattern = parseRoutePattern(operation);
      if (typeof pattern === 'string') continue;
      let concrete: string | undefined;
      if (!pattern.segments.some((s) => s.kind !== 'literal')) concrete = routerPath;
      if (!concrete) {
        const seen = existing.find((c) => {
          const p = parseRoutePattern(`${c.request.method} ${c.request.path}`);
          return typeof p !== 'string' && patternContains(pattern, p);
        });
        concrete = seen?.request.path;
      }
      if (!concrete) {
        let ok = true;
        concrete = rawPath.replace(/\{([^}]+)\}/g, (_m, name: string) => {
          const param = (op.parameters ?? []).find((x) => x.in === 'path' && x.name === name);
          const v = param?.example ?? param?.schema?.example ?? param?.schema?.default;
          if (v === undefined) ok = false;
          return encodeURIComponent(String(v));
        });
        if (!ok) {
          out.skipped.push({ operation, why: 'no value for its path parameters in recorded cases or OpenAPI examples' });
          continue;
        }
      }
      const name = `generated: GET ${concrete}`;
      if (names.has(name)) continue;
      names.add(name);
      out.cases.push({ name, source: 'generated', request: { method: 'GET', path: concrete }, expect: { parity: true } });
    }
  }
  return out;
}
