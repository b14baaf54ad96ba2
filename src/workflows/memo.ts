/**
 * What a migration keeps in its memo, for the Temporal UI's Memo tab: the plan, the family, its
 * routes and upstreams. Upstream URLs lose any user info and query, which may carry credentials.
 */
import type { ReportPaths } from '../activities/report.js';
import type { FamilyPlan } from '../plan/schema.js';

/** The memo of a family's migration (the report's location is added once it is written). */
export type MigrationMemo = {
  plan: string;
  family: string;
  routes: string[];
  upstreams: { legacy: string; new: string };
  report?: ReportPaths;
};

/** `url` without `user:password@`, query or fragment; pure string work, as the workflow sandbox needs. */
export function withoutCredentials(url: string): string {
  return url.replace(/^([a-z][a-z0-9+.-]*:\/\/)[^/@?#]*@/i, '$1').replace(/[?#].*$/, '');
}

/** The memo at the start of a run. */
export function migrationMemo(
  plan: string,
  family: Pick<FamilyPlan, 'name' | 'routes' | 'legacy' | 'new'>,
): MigrationMemo {
  return {
    plan,
    family: family.name,
    routes: [...family.routes],
    upstreams: { legacy: withoutCredentials(family.legacy), new: withoutCredentials(family.new) },
  };
}
