/**
 * Which data plane carries a family: its own `dataPlane`, else the plan's. Pure: used by the
 * built-in router and the nginx data plane process (each serves only its own families), by the
 * CLI to find a family's admin URL, and by the plan's cross-checks.
 */
import type { DataPlane, NginxDataPlane } from './schema/data-plane.js';

/** What the helpers read of a plan (parsed or loaded). */
export interface DataPlanePlan {
  dataPlane: DataPlane;
  router: { adminUrl: string };
  families: readonly { name: string; dataPlane?: DataPlane }[];
}

/** The family's effective data plane; the plan's for a family the plan does not have. */
export function dataPlaneOf(plan: Pick<DataPlanePlan, 'dataPlane' | 'families'>, family: string): DataPlane {
  return plan.families.find((f) => f.name === family)?.dataPlane ?? plan.dataPlane;
}

/** The admin API that drives the family: the nginx data plane process's, else the built-in router's. */
export function adminUrlOf(plan: DataPlanePlan, family: string): string {
  const dp = dataPlaneOf(plan, family);
  return (dp.kind === 'nginx' ? dp.adminUrl : undefined) ?? plan.router.adminUrl;
}

/**
 * The worker's timeout for one admin API call to the family's data plane (`dataPlane.adminTimeout`,
 * ms). A data plane built without the schema's defaults (a test's literal) gets the default.
 */
export function adminTimeoutOf(plan: Pick<DataPlanePlan, 'dataPlane' | 'families'>, family: string): number {
  return dataPlaneOf(plan, family).adminTimeout ?? DEFAULT_ADMIN_TIMEOUT_MS;
}

/** `dataPlane.adminTimeout`'s default, ms. */
export const DEFAULT_ADMIN_TIMEOUT_MS = 3000;

/** The families whose effective data plane is of `kind`, in plan order. */
export function familiesOn<F extends { name: string; dataPlane?: DataPlane }>(
  plan: { dataPlane: DataPlane; families: readonly F[] },
  kind: DataPlane['kind'],
): F[] {
  return plan.families.filter((f) => (f.dataPlane ?? plan.dataPlane).kind === kind);
}

/**
 * The one nginx that carries the plan's nginx families, or undefined when none is on nginx.
 * Families on nginx with differing blocks are refused by the plan's cross-checks, so the first
 * one's block is every one's.
 */
export function nginxDataPlaneOf(plan: Pick<DataPlanePlan, 'dataPlane' | 'families'>): NginxDataPlane | undefined {
  const f = familiesOn(plan, 'nginx')[0];
  if (f === undefined) return undefined;
  return (f.dataPlane ?? plan.dataPlane) as NginxDataPlane;
}

/** Indexes of families on nginx whose block differs from the first such family's (one nginx per plan). */
export function conflictingNginxFamilies(plan: Pick<DataPlanePlan, 'dataPlane' | 'families'>): number[] {
  let first: string | undefined;
  const out: number[] = [];
  plan.families.forEach((f, i) => {
    const dp = f.dataPlane ?? plan.dataPlane;
    if (dp.kind !== 'nginx') return;
    const text = JSON.stringify(dp);
    first ??= text;
    if (text !== first) out.push(i);
  });
  return out;
}
