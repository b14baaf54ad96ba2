/**
 * The family's data plane as the activities take it. Workflow code only (pure).
 */
import type { Migration } from './migration-state.js';

/**
 * Every member's admin URL (`dataPlane.members`, filled in by the starter). Runs started before
 * fleets carry only `routerAdminUrl`: their one router.
 */
export function members(m: Migration): { adminUrls: string[] } {
  return { adminUrls: m.input.routerAdminUrls ?? [m.input.routerAdminUrl] };
}
