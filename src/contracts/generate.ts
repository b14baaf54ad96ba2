/**
 * Cases generated from the new service's OpenAPI: every GET operation of the family gets a case,
 * with path parameters taken from existing (recorded or hand-written) cases or from the
 * document's examples. POST/PUT/PATCH get one only when asked (`includeUnsafe`) and the document
 * gives an example JSON body: the case runs against legacy and new, so it changes data in both.
 * DELETE is never generated. Everything left out is listed with the reason. Marked
 * `source: generated`.
 */
import { parseRoutePattern, patternContains, patternsCover } from '../plan/route-pattern.js';
import type { ContractCaseInput, LoadedCase } from './cases.js';
import { toRouterPath } from './inventory.js';

export interface GenerateResult {
  cases: ContractCaseInput[];
  /** Operations without a case, and why. */
  skipped: { operation: string; why: string }[];
}

type Media = {
  example?: unknown;
  examples?: Record<string, { value?: unknown }>;
  schema?: { example?: unknown; examples?: unknown[] };
};
type Operation = {
  parameters?: { name?: string; in?: string; example?: unknown; schema?: { example?: unknown; default?: unknown } }[];
  requestBody?: { content?: Record<string, Media> };
};

/** The operation's example JSON body, if the document gives one. */
function exampleBody(op: Operation): { found: true; body: unknown } | { found: false } {
  const media = op.requestBody?.content?.['application/json'];
  if (!op.requestBody) return { found: true, body: undefined };
  if (!media) return { found: false };
  const fromExamples = media.examples
    ? Object.values(media.examples).find((e) => e?.value !== undefined)?.value
    : undefined;
  const body = media.example ?? fromExamples ?? media.schema?.example ?? media.schema?.examples?.[0];
  return body === undefined ? { found: false } : { found: true, body };
}

export function generateCases(
  doc: unknown,
  family: { name: string; routes: readonly string[] },
  existing: readonly LoadedCase[],
  options: { includeUnsafe?: boolean } = {},
): GenerateResult {
  const paths = (doc as { paths?: Record<string, Record<string, Operation>> })?.paths ?? {};
  const out: GenerateResult = { cases: [], skipped: [] };
  const names = new Set(existing.map((c) => c.name));
  for (const [rawPath, ops] of Object.entries(paths)) {
    const routerPath = toRouterPath(rawPath);
    for (const [m, op] of Object.entries(ops ?? {})) {
      const method = m.toUpperCase();
      if (
        !['GET', 'POST', 'PUT', 'PATCH', 'DELETE'].includes(method) ||
        !patternsCover(family.routes, `${method} ${routerPath}`)
      )
        continue;
      const operation = `${method} ${routerPath}`;
      let body: unknown;
      if (method !== 'GET') {
        if (method === 'DELETE' || !options.includeUnsafe) {
          out.skipped.push({
            operation,
            why:
              method === 'DELETE'
                ? 'DELETE is never generated: write it by hand against data made for it'
                : 'changes data: pass --include-unsafe to generate it from an OpenAPI example body, or record it from traffic',
          });
          continue;
        }
        const ex = exampleBody(op);
        if (!ex.found) {
          out.skipped.push({ operation, why: 'no example JSON body in the OpenAPI document' });
          continue;
        }
        body = ex.body;
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
          out.skipped.push({
            operation,
            why: 'no value for its path parameters in recorded cases or OpenAPI examples',
          });
          continue;
        }
      }
      const name = `generated: ${method} ${concrete}`;
      if (names.has(name)) continue;
      names.add(name);
      out.cases.push({
        name,
        source: 'generated',
        request: { method, path: concrete, ...(body !== undefined ? { body } : {}) },
        expect: { parity: true },
      });
    }
  }
  return out;
}
