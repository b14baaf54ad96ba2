/**
 * Which data plane members carry a family: the admin API URLs the control plane drives for it.
 * Pure: the starter puts the answer into the workflow's input.
 */
import { adminUrlOf, dataPlaneOf } from './data-plane-of.js';
import type { Plan } from './schema.js';

/**
 * The admin API URLs of every member of the data plane that carries `familyName` (its own
 * `dataPlane`, else the plan's): that data plane's `members`, or its one admin API when it lists
 * none (the nginx data plane's `adminUrl`, else `router.adminUrl`).
 * @throws {Error} when the plan has no such family
 */
export function dataPlaneMembers(plan: Pick<Plan, 'router' | 'dataPlane' | 'families'>, familyName: string): string[] {
  if (!plan.families.some((f) => f.name === familyName))
    throw new Error(
      `the plan has no family "${familyName}" (families: ${plan.families.map((f) => f.name).join(', ')})`,
    );
  return [...(dataPlaneOf(plan, familyName).members ?? [adminUrlOf(plan, familyName)])];
}
