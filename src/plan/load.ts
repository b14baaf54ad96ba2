/**
 * Loads a plan file: YAML → schema → cross-family checks → resolved defaults. Every problem is
 * reported with the file, the line and the field path, all at once.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { LineCounter, parseDocument, isNode } from 'yaml';
import { PhoenixError } from '../lib/errors.js';
import type { z } from 'zod';
import type { TriageEntry } from '../parity/signature.js';
import { planSchema, type FamilyPlan, type Plan } from './schema.js';
import {
  parseRoutePattern,
  patternContains,
  patternsCover,
  patternsOverlap,
  type RoutePattern,
} from './route-pattern.js';
import { expandGlobs } from './glob.js';
import { baselinePath, loadBaseline, type Baseline } from './baseline.js';

/** One thing wrong with a plan. */
export interface PlanProblem {
  file: string;
  /** 1-based line, when the field exists in the file. */
  line?: number;
  /** Field path such as `families[1].ramp.steps[2].percent`. */
  path: string;
  message: string;
}

/** A valid plan, with what is valid but probably not meant (`phoenix plan validate` prints them). */
export type LoadedPlan = Plan & { warnings: readonly PlanProblem[] };

/**
 * Raised for an invalid plan; `problems` lists everything found.
 * `code` is `PHX_ERR_PLAN_INVALID` (or `PHX_ERR_PLAN_READ` when the file cannot be read).
 */
export class PlanError extends PhoenixError {
  readonly problems: PlanProblem[];
  constructor(problems: PlanProblem[], code = 'PHX_ERR_PLAN_INVALID') {
    super(
      code,
      `${code}: ${problems.length} problem${problems.length === 1 ? '' : 's'} in the plan:\n` +
        problems.map(formatProblem).join('\n'),
    );
    this.name = 'PlanError';
    this.problems = problems;
  }
}

/** `plan.yaml:12 families[0].ramp.steps[1].percent: percents must increase …` */
export function formatProblem(p: PlanProblem): string {
  return `${p.file}${p.line ? `:${p.line}` : ''} ${p.path || '(root)'}: ${p.message}`;
}

/** Formats a zod/field path as `families[1].ramp.steps[2]`. */
export function formatPath(segments: readonly PropertyKey[]): string {
  let out = '';
  for (const s of segments) {
    if (typeof s === 'number') out += `[${s}]`;
    else out += out === '' ? String(s) : `.${String(s)}`;
  }
  return out;
}

/**
 * Reads and validates a plan file.
 * @throws {PlanError} `PHX_ERR_PLAN_READ` or `PHX_ERR_PLAN_INVALID`
 */
export async function loadPlan(file: string): Promise<LoadedPlan> {
  const abs = path.resolve(file);
  let text: string;
  try {
    text = await readFile(abs, 'utf8');
  } catch (err) {
    throw new PlanError(
      [
        {
          file,
          path: '',
          message: `cannot read the plan (${(err as NodeJS.ErrnoException).code ?? String(err)}); check the path`,
        },
      ],
      'PHX_ERR_PLAN_READ',
    );
  }
  return parsePlan(text, abs, file);
}

/**
 * Validates plan text. `displayName` is what messages call the file.
 * @throws {PlanError} `PHX_ERR_PLAN_INVALID`
 */
export async function parsePlan(text: string, file: string, displayName = file): Promise<LoadedPlan> {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, uniqueKeys: true, prettyErrors: false });
  if (doc.errors.length > 0) {
    throw new PlanError(
      doc.errors.map((e) => ({
        file: displayName,
        line: e.linePos?.[0]?.line,
        path: '',
        message: `YAML syntax: ${e.message.split('\n')[0]}`,
      })),
    );
  }
  const lineOf = (segments: readonly PropertyKey[]): number | undefined => {
    for (let n = segments.length; n >= 0; n--) {
      const node = doc.getIn(segments.slice(0, n) as unknown[], true);
      if (isNode(node) && node.range) return lineCounter.linePos(node.range[0]).line;
    }
    return undefined;
  };
  let input: unknown;
  try {
    input = doc.toJS();
  } catch (err) {
    // e.g. an alias whose anchor is missing: syntax the parser accepts but cannot resolve.
    throw new PlanError([{ file: displayName, path: '', message: `YAML: ${(err as Error).message}` }]);
  }
  return validatePlan(input, file, displayName, lineOf);
}

/**
 * Validates a plan given as an object (tests, programmatic use).
 * @throws {PlanError} `PHX_ERR_PLAN_INVALID`
 */
export async function validatePlan(
  input: unknown,
  file = '<inline>',
  displayName = file,
  lineOf: (segments: readonly PropertyKey[]) => number | undefined = () => undefined,
): Promise<LoadedPlan> {
  const problem = (
    segments: readonly PropertyKey[],
    message: string,
    at: readonly PropertyKey[] = segments,
  ): PlanProblem => ({
    file: displayName,
    line: lineOf(at) ?? lineOf(segments),
    path: formatPath(segments),
    message,
  });
  const parsed = planSchema.safeParse(input);
  if (!parsed.success)
    throw new PlanError(
      parsed.error.issues.map((i) =>
        problem(i.path, describeIssue(i), i.code === 'unrecognized_keys' ? [...i.path, i.keys[0] ?? ''] : i.path),
      ),
    );
  const data = parsed.data;
  const problems = crossChecks(data, problem);
  if (problems.length > 0) throw new PlanError(problems);

  const dir = file === '<inline>' ? process.cwd() : path.dirname(file);
  // An inline plan has no folder to find a baseline next to, unless it names one.
  const baselineFile =
    file === '<inline>'
      ? data.baseline
        ? path.resolve(dir, data.baseline)
        : undefined
      : baselinePath(file, data.baseline);
  const baseline: Baseline = baselineFile ? await loadBaseline(baselineFile) : new Map<string, TriageEntry[]>();
  for (const name of baseline.keys()) {
    if (!data.families.some((f) => f.name === name))
      throw new PlanError([
        {
          file: baselineFile!,
          path: `families.${name}`,
          message: `unknown family "${name}" (the plan's families are: ${data.families.map((f) => f.name).join(', ')})`,
        },
      ]);
  }
  const families: FamilyPlan[] = [];
  for (const [i, f] of data.families.entries()) {
    const contractFiles = await contractFilesOf(f.contracts, dir, (j, message) =>
      problem(['families', i, 'contracts', j], message),
    );
    families.push({
      ...f,
      legacy: f.legacy ?? data.legacy,
      approval: { ...f.approval, approvers: f.approval.approvers ?? data.approvers },
      slackChannel: f.slackChannel ?? data.slack?.channel,
      contractFiles,
      triage: baseline.get(f.name) ?? [],
    });
  }
  return { ...data, file, baselineFile, families, warnings: slashVariantClaims(data, problem) };
}

/** Expands a family's contract globs; a pattern the glob library refuses (`a//b`) is a plan error at its entry. */
async function contractFilesOf(
  globs: readonly string[],
  dir: string,
  problem: (index: number, message: string) => PlanProblem,
): Promise<string[]> {
  const refused: PlanProblem[] = [];
  const files = new Set<string>();
  for (const [j, g] of globs.entries()) {
    try {
      for (const f of await expandGlobs([g], dir)) files.add(f);
    } catch (err) {
      refused.push(
        problem(
          j,
          `"${g}" is not a usable file pattern (${(err as Error).message}); expected a path or glob such as contracts/users/*.yaml`,
        ),
      );
    }
  }
  if (refused.length > 0) throw new PlanError(refused);
  return [...files].sort();
}

/**
 * A family owns the trailing-slash variant of its patterns (unless `strictSlashes`); when another
 * family's pattern matches that variant as written (`/x/*` claims `/x/`), the variant goes there.
 * Valid, but rarely meant: the two families split one path.
 */
function slashVariantClaims(plan: ParsedPlan, problem: ProblemAt): PlanProblem[] {
  const out: PlanProblem[] = [];
  const patterns = plan.families.flatMap((f, i) =>
    f.routes.map((r, j) => ({ family: i, route: j, p: parseRoutePattern(r) as RoutePattern })),
  );
  for (const x of patterns) {
    const last = x.p.segments[x.p.segments.length - 1];
    if (plan.families[x.family]!.strictSlashes || last?.kind === 'rest') continue;
    const variant: RoutePattern = { ...x.p, segments: [...x.p.segments, { kind: 'literal', value: '' }] };
    for (const y of patterns) {
      if (y.family === x.family || !patternsOverlap(variant, y.p)) continue;
      out.push(
        problem(
          ['families', x.family, 'routes', x.route],
          `the trailing-slash variant of "${x.p.text}" (family "${plan.families[x.family]!.name}") is claimed by "${y.p.text}" of family "${plan.families[y.family]!.name}"; requests with and without the slash would go to different families (set strictSlashes: true if that is meant)`,
        ),
      );
    }
  }
  return out;
}

function describeIssue(issue: z.core.$ZodIssue): string {
  if (issue.code === 'unrecognized_keys') {
    return `unknown key${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => `"${k}"`).join(', ')} (check the spelling; docs/plan-reference.md lists every field)`;
  }
  if (issue.code === 'invalid_type' && issue.message.includes('received undefined')) {
    return `required field is missing (${issue.message.replace(/^Invalid input: /, '')})`;
  }
  return issue.message.replace(/^Invalid input: /, '');
}

type ProblemAt = (segments: readonly PropertyKey[], message: string) => PlanProblem;
type ParsedPlan = z.output<typeof planSchema>;

function crossChecks(plan: ParsedPlan, problem: ProblemAt): PlanProblem[] {
  const out: PlanProblem[] = [];
  const byName = new Map<string, number>();
  plan.families.forEach((f, i) => {
    const first = byName.get(f.name);
    if (first !== undefined)
      out.push(problem(['families', i, 'name'], `duplicate family name "${f.name}" (also families[${first}])`));
    else byName.set(f.name, i);
  });

  plan.families.forEach((f, i) => {
    f.dependsOn.forEach((d, j) => {
      if (!byName.has(d))
        out.push(
          problem(
            ['families', i, 'dependsOn', j],
            `unknown family "${d}" (families are: ${[...byName.keys()].join(', ')})`,
          ),
        );
      if (d === f.name) out.push(problem(['families', i, 'dependsOn', j], `family "${d}" cannot depend on itself`));
    });
    let prev = -1;
    f.ramp.steps.forEach((s, j) => {
      if (s.percent <= prev)
        out.push(
          problem(
            ['families', i, 'ramp', 'steps', j, 'percent'],
            `ramp percents must increase (${prev} then ${s.percent})`,
          ),
        );
      prev = s.percent;
    });
    for (const [p, rule] of Object.entries(f.diff.arrays)) {
      if (rule.mode === 'keyed' && !rule.key)
        out.push(problem(['families', i, 'diff', 'arrays', p, 'key'], 'mode "keyed" needs a "key" field name'));
    }
    const ownedBy = (text: string): boolean => patternsCover(f.routes, text);
    for (const key of Object.keys(f.routeDiff)) {
      if (!ownedBy(key))
        out.push(problem(['families', i, 'routeDiff', key], `route "${key}" is not inside this family's routes`));
    }
    f.adapters.forEach((a, j) => {
      if (!ownedBy(a.route))
        out.push(
          problem(['families', i, 'adapters', j, 'route'], `route "${a.route}" is not inside this family's routes`),
        );
    });
    const needsApproval = f.approveRampStart || f.ramp.steps.some((s) => s.approval);
    if (needsApproval && (f.approval.approvers ?? plan.approvers).length === 0) {
      out.push(
        problem(
          ['families', i, 'approval', 'approvers'],
          'this family has approval steps but nobody may approve them; list approvers here or in the plan\'s top-level "approvers"',
        ),
      );
    }
    f.deprecated.forEach((d, j) => {
      if (!ownedBy(d))
        out.push(problem(['families', i, 'deprecated', j], `route "${d}" is not inside this family's routes`));
    });
  });

  const cycle = findCycle(plan.families.map((f) => ({ name: f.name, deps: f.dependsOn })));
  if (cycle) {
    const i = byName.get(cycle[0] as string) ?? 0;
    out.push(problem(['families', i, 'dependsOn'], `dependency cycle: ${cycle.join(' → ')}`));
  }

  const patterns = plan.families.flatMap((f, i) =>
    f.routes.map((r, j) => ({ family: i, route: j, p: parseRoutePattern(r) as RoutePattern })),
  );
  for (let a = 0; a < patterns.length; a++) {
    for (let b = a + 1; b < patterns.length; b++) {
      const x = patterns[a]!;
      const y = patterns[b]!;
      if (x.family === y.family || !patternsOverlap(x.p, y.p)) continue;
      const nested = patternContains(x.p, y.p) !== patternContains(y.p, x.p);
      if (nested) continue;
      out.push(
        problem(
          ['families', y.family, 'routes', y.route],
          `route "${y.p.text}" overlaps "${x.p.text}" of family "${plan.families[x.family]!.name}"; make one pattern strictly more specific than the other, or split them`,
        ),
      );
    }
  }
  return out;
}

/** Returns one dependency cycle as a list of names (first repeated at the end), or undefined. */
export function findCycle(nodes: readonly { name: string; deps: readonly string[] }[]): string[] | undefined {
  const deps = new Map(nodes.map((n) => [n.name, n.deps]));
  const state = new Map<string, 'visiting' | 'done'>();
  const stack: string[] = [];
  const visit = (name: string): string[] | undefined => {
    const s = state.get(name);
    if (s === 'done') return undefined;
    if (s === 'visiting') return [...stack.slice(stack.indexOf(name)), name];
    state.set(name, 'visiting');
    stack.push(name);
    for (const d of deps.get(name) ?? []) {
      if (!deps.has(d)) continue;
      const c = visit(d);
      if (c) return c;
    }
    stack.pop();
    state.set(name, 'done');
    return undefined;
  };
  for (const n of nodes) {
    const c = visit(n.name);
    if (c) return c;
  }
  return undefined;
}

/**
 * Orders families so each comes after the families it depends on (stable: plan order otherwise).
 * The plan loader has already rejected cycles.
 */
export function migrationOrder<T extends { name: string; dependsOn: readonly string[] }>(families: readonly T[]): T[] {
  const done = new Set<string>();
  const out: T[] = [];
  const pending = [...families];
  while (pending.length > 0) {
    const i = pending.findIndex((f) => f.dependsOn.every((d) => done.has(d) || !families.some((x) => x.name === d)));
    if (i < 0) throw new Error(`dependency cycle among: ${pending.map((f) => f.name).join(', ')}`);
    const [f] = pending.splice(i, 1) as [T];
    done.add(f.name);
    out.push(f);
  }
  return out;
}
