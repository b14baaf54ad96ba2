/** What is wrong with a plan, said with the file, the line and the field path. */
import type { z } from 'zod';
import { PhoenixError } from '../lib/errors.js';

/** One thing wrong with a plan. */
export interface PlanProblem {
  file: string;
  /** 1-based line, when the field exists in the file. */
  line?: number;
  /** Field path such as `families[1].ramp.steps[2].percent`. */
  path: string;
  message: string;
}

/** Builds a problem at a field path (the file and line are filled in by the loader). */
export type ProblemAt = (segments: readonly PropertyKey[], message: string) => PlanProblem;

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

/** A zod issue in words a plan author can act on. */
export function describeIssue(issue: z.core.$ZodIssue): string {
  if (issue.code === 'unrecognized_keys') {
    return `unknown key${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => `"${k}"`).join(', ')} (check the spelling; docs/plan-reference.md lists every field)`;
  }
  if (issue.code === 'invalid_type' && issue.message.includes('received undefined')) {
    return `required field is missing (${issue.message.replace(/^Invalid input: /, '')})`;
  }
  return issue.message.replace(/^Invalid input: /, '');
}
