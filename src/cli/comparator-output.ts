/** What `phoenix comparator` prints: the `--json` shape (docs/cli.md) and the text lines. */
import type { ComparedRequestInput, RequestVerdict } from '../contracts/compare-request.js';
import type { Difference } from '../parity/index.js';

/** Per route template: how many requests were compared and how many differed, by kind. */
export interface RouteSummary {
  route: string;
  total: number;
  equal: number;
  differing: number;
  kinds: Record<string, number>;
}

/** The verdict's JSON shape (see docs/cli.md): `candidate` is called `new` as everywhere in the CLI. */
function differenceJson(d: Difference): Record<string, unknown> {
  return {
    kind: d.kind,
    path: d.path,
    ...(d.legacy !== undefined ? { legacy: d.legacy } : {}),
    ...(d.candidate !== undefined ? { new: d.candidate } : {}),
    ...(d.valueClass !== undefined ? { valueClass: d.valueClass } : {}),
  };
}

export function verdictJson(v: RequestVerdict): Record<string, unknown> {
  return {
    method: v.method,
    target: v.target,
    route: v.route,
    equal: v.equal,
    adapted: v.adapted,
    legacy: v.legacy,
    new: v.new,
    differences: v.differences.map(differenceJson),
    informational: v.informational.map(differenceJson),
    noise: v.noise.map((d) => d.path),
  };
}

/** Verdicts grouped by route template, in first-seen order. */
export function summarizeByRoute(verdicts: readonly RequestVerdict[]): RouteSummary[] {
  const out = new Map<string, RouteSummary>();
  for (const v of verdicts) {
    let s = out.get(v.route);
    if (s === undefined) out.set(v.route, (s = { route: v.route, total: 0, equal: 0, differing: 0, kinds: {} }));
    s.total++;
    if (v.equal) s.equal++;
    else s.differing++;
    for (const d of v.differences) s.kinds[d.kind] = (s.kinds[d.kind] ?? 0) + 1;
  }
  return [...out.values()];
}

function show(v: unknown): string {
  const s = JSON.stringify(v);
  return s === undefined ? '(absent)' : s.length > 120 ? `${s.slice(0, 117)}...` : s;
}

function side(a: RequestVerdict['legacy']): string {
  const hops = a.chain.length > 0 ? ` after ${a.chain.join(' → ')}` : '';
  return `${a.status}${a.ms === null ? '' : ` in ${a.ms} ms`}${hops}`;
}

function verdictText(v: RequestVerdict): string[] {
  const lines = [
    `${v.method} ${v.target} (${v.route}): ${v.equal ? 'equal' : `${v.differences.length} difference${v.differences.length === 1 ? '' : 's'}`}`,
    `  legacy ${side(v.legacy)}; new ${side(v.new)}${v.adapted ? ' (adapted)' : ''}`,
  ];
  for (const d of v.differences)
    lines.push(`  ${d.kind} at ${d.path}: legacy ${show(d.legacy)}, new ${show(d.candidate)}`);
  for (const d of v.informational)
    lines.push(`  (informational) ${d.kind} at ${d.path}: legacy ${show(d.legacy)}, new ${show(d.candidate)}`);
  if (v.noise.length > 0) lines.push(`  noise ignored at ${[...new Set(v.noise.map((d) => d.path))].join(', ')}`);
  return lines;
}

/** The text output: each verdict, the skipped requests, a summary by route for a list, the total. */
export function comparatorText(
  family: string,
  verdicts: readonly RequestVerdict[],
  routes: readonly RouteSummary[],
  skipped: readonly ComparedRequestInput[],
): string {
  const lines = verdicts.flatMap(verdictText);
  for (const r of skipped) lines.push(`skipped ${r.method} ${r.target}: not a route of family "${family}"`);
  if (verdicts.length > 1) {
    lines.push('', 'by route:');
    for (const s of routes) {
      const kinds = Object.entries(s.kinds).map(([k, n]) => `${k} ${n}`);
      lines.push(`  ${s.route}: ${s.equal}/${s.total} equal${kinds.length ? ` (${kinds.join(', ')})` : ''}`);
    }
  }
  const differing = verdicts.filter((v) => !v.equal).length;
  lines.push(differing === 0 ? 'all equal' : `${differing} of ${verdicts.length} differ`);
  return lines.join('\n');
}
