/**
 * Loads a plan file: YAML → schema → cross-family checks → resolved defaults. Every problem is
 * reported with the file, the line and the field path, all at once.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { LineCounter, parseDocument, isNode } from 'yaml';
import type { TriageEntry } from '../parity/signature.js';
import { baselinePath, loadBaseline, type Baseline } from './baseline.js';
import { crossChecks, slashVariantClaims } from './cross-checks.js';
import { expandGlobs } from './glob.js';
import { describeIssue, formatPath, PlanError, type PlanProblem } from './problems.js';
import { planSchema, type FamilyPlan, type Plan } from './schema.js';

/** A valid plan, with what is valid but probably not meant (`phoenix plan validate` prints them). */
export type LoadedPlan = Plan & { warnings: readonly PlanProblem[] };

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
