/**
 * Contract coverage and the compatibility matrix, computed from contract suite results. Pure.
 *
 * - Coverage: inventoried legacy endpoints with at least one passing case ÷ all inventoried
 *   endpoints, per family and overall. Without an inventory the family's route patterns are the
 *   endpoints.
 * - Matrix, per endpoint: `unchanged` (passes without an adapter), `adapted` (passes only with
 *   one), `deprecated` (declared so in the plan), `missing` (no counterpart in the new service),
 *   `failing`, or `untested` (no case yet).
 */
import { parseRoutePattern, patternContains, patternsCover, patternsOverlap } from '../plan/route-pattern.js';
import type { FamilyPlan } from '../plan/schema.js';
import type { CaseResult, ContractSuiteResult } from './runner.js';
import { esc, page } from '../report/page.js';

/** One endpoint of a family, as a route pattern (`GET /api/users/:id`). */
export interface Endpoint {
  family: string;
  pattern: string;
}

export type Compatibility = 'unchanged' | 'adapted' | 'deprecated' | 'missing' | 'failing' | 'untested';

export interface EndpointRow extends Endpoint {
  status: Compatibility;
  cases: number;
  passing: number;
}

export interface FamilyCoverage {
  family: string;
  endpoints: number;
  covered: number;
  /** covered ÷ endpoints, 0–1 (1 when the family has no endpoints). */
  coverage: number;
}

export interface CoverageReport {
  families: FamilyCoverage[];
  endpoints: number;
  covered: number;
  coverage: number;
  rows: EndpointRow[];
}

/** The endpoints of the families: their route patterns (or an inventory's, when given). */
export function endpointsOf(families: readonly FamilyPlan[], inventory?: readonly Endpoint[]): Endpoint[] {
  if (inventory) return [...inventory];
  return families.flatMap((f) => f.routes.map((pattern) => ({ family: f.name, pattern })));
}

function covers(endpoint: string, c: CaseResult): boolean {
  const e = parseRoutePattern(endpoint);
  const path = c.target.split('?')[0]!;
  const concrete = parseRoutePattern(`${c.method} ${path}`);
  if (typeof e === 'string' || typeof concrete === 'string') return c.endpoint === endpoint;
  return patternContains(e, concrete);
}

/**
 * True when the new service's operations (`{ method, path }` from its OpenAPI) answer some
 * request of the endpoint pattern.
 */
function hasCounterpart(pattern: string, operations: readonly { method: string; path: string }[]): boolean {
  const e = parseRoutePattern(pattern);
  if (typeof e === 'string') return true;
  return operations.some((op) => {
    const n = parseRoutePattern(`${op.method} ${op.path}`);
    return typeof n !== 'string' && patternsOverlap(e, n);
  });
}

/**
 * Coverage and matrix rows from suite results (parity mode).
 * @param sources count only cases from these sources (e.g. `['hand']` for "before recording"). @default all
 */
export function computeCoverage(
  families: readonly FamilyPlan[],
  suites: readonly ContractSuiteResult[],
  options: {
    inventory?: readonly Endpoint[];
    sources?: readonly CaseResult['source'][];
    /** The new service's operations (from its OpenAPI): endpoints without one are `missing`. @default inferred from 404/405 answers */
    newOperations?: readonly { method: string; path: string }[];
  } = {},
): CoverageReport {
  const cases = suites
    .flatMap((s) => s.cases.map((c) => ({ family: s.family, c })))
    .filter(({ c }) => !options.sources || options.sources.includes(c.source));
  const byName = new Map(families.map((f) => [f.name, f]));
  const rows: EndpointRow[] = endpointsOf(families, options.inventory).map((e) => {
    const mine = cases.filter((x) => x.family === e.family && covers(e.pattern, x.c)).map((x) => x.c);
    const passing = mine.filter((c) => c.passed);
    let status: Compatibility;
    if (patternsCover(byName.get(e.family)?.deprecated ?? [], e.pattern)) status = 'deprecated';
    else if (options.newOperations && !hasCounterpart(e.pattern, options.newOperations)) status = 'missing';
    else if (mine.length === 0) status = 'untested';
    else if (passing.length > 0 && passing.length === mine.length)
      status = passing.some((c) => c.adapted) ? 'adapted' : 'unchanged';
    else if (
      // With the new service's OpenAPI given, an endpoint it declares is never `missing`.
      !options.newOperations &&
      mine.every((c) => c.status.new === 404 || c.status.new === 405) &&
      mine.some((c) => c.status.legacy !== undefined && c.status.legacy !== 404 && c.status.legacy !== 405)
    )
      status = 'missing';
    else status = 'failing';
    return { ...e, status, cases: mine.length, passing: passing.length };
  });
  const covered = (r: EndpointRow): boolean => r.status === 'unchanged' || r.status === 'adapted';
  const per = families.map((f) => {
    const mine = rows.filter((r) => r.family === f.name);
    const n = mine.filter(covered).length;
    return { family: f.name, endpoints: mine.length, covered: n, coverage: mine.length === 0 ? 1 : n / mine.length };
  });
  const total = rows.length;
  const n = rows.filter(covered).length;
  return { families: per, endpoints: total, covered: n, coverage: total === 0 ? 1 : n / total, rows };
}

const pct = (x: number): string => `${(x * 100).toFixed(0)}%`;

/** The matrix as a Markdown table, with coverage per family. */
export function matrixMarkdown(r: CoverageReport): string {
  const lines = ['| family | endpoint | status | passing cases |', '|---|---|---|---|'];
  for (const row of r.rows)
    lines.push(`| ${row.family} | \`${row.pattern}\` | ${row.status} | ${row.passing}/${row.cases} |`);
  lines.push('', `Contract coverage: ${pct(r.coverage)} (${r.covered}/${r.endpoints} endpoints)`, '');
  for (const f of r.families) lines.push(`- ${f.family}: ${pct(f.coverage)} (${f.covered}/${f.endpoints})`);
  return lines.join('\n');
}

/** A self-contained page in the reports' look: overall and per-family coverage bars, then the matrix. */
export function matrixHtml(r: CoverageReport, title = 'Phoenix compatibility matrix'): string {
  const bars = r.families
    .map(
      (f) =>
        `<div class="phx-bar-row"><span class="name">${esc(f.family)}</span><span class="phx-bar"><span style="width:${(f.coverage * 100).toFixed(1)}%"></span></span><span>${pct(f.coverage)} (${f.covered}/${f.endpoints})</span></div>`,
    )
    .join('\n');
  const rows = r.rows
    .map(
      (x) =>
        `<tr><td>${esc(x.family)}</td><td><code>${esc(x.pattern)}</code></td><td><span class="phx-badge ${x.status}">${x.status}</span></td><td class="num">${x.passing}/${x.cases}</td></tr>`,
    )
    .join('\n');
  return page(
    title,
    `<h1>${esc(title)}</h1>
<p class="phx-sub">Contract coverage <b>${pct(r.coverage)}</b> (${r.covered}/${r.endpoints} endpoints)</p>
${bars}
<table class="phx-matrix"><thead><tr><th>family</th><th>endpoint</th><th>status</th><th>passing cases</th></tr></thead><tbody>
${rows}
</tbody></table>`,
  );
}
