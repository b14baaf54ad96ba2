/**
 * Checks across families that the schema cannot make: unique names, known dependencies without
 * cycles, routes that do not overlap another family's; and what is valid but rarely meant.
 */
import type { z } from 'zod';
import type { planSchema } from './schema.js';
import { conflictingNginxFamilies } from './data-plane-of.js';
import { findCycle } from './migration-order.js';
import type { PlanProblem, ProblemAt } from './problems.js';
import {
  parseRoutePattern,
  patternContains,
  patternsCover,
  patternsOverlap,
  type RoutePattern,
} from './route-pattern.js';

/** A plan as the schema parsed it, before defaults are resolved per family. */
export type ParsedPlan = z.output<typeof planSchema>;

export function crossChecks(plan: ParsedPlan, problem: ProblemAt): PlanProblem[] {
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

  for (const i of conflictingNginxFamilies(plan))
    out.push(
      problem(
        ['families', i, 'dataPlane'],
        'every family on nginx must use the same nginx data plane (one include file, one admin API); give them the same dataPlane block, or set it once at the plan level',
      ),
    );

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

/**
 * A family owns the trailing-slash variant of its patterns (unless `strictSlashes`); when another
 * family's pattern matches that variant as written (`/x/*` claims `/x/`), the variant goes there.
 * Valid, but rarely meant: the two families split one path.
 */
export function slashVariantClaims(plan: ParsedPlan, problem: ProblemAt): PlanProblem[] {
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
