/**
 * The family's data plane as the activities take it. Workflow code only (pure).
 */
import type { Migration } from './migration-state.js';

/**
 * Every member's admin URL (`dataPlane.members`, filled in by the starter), and the timeout of
 * one admin call (`dataPlane.adminTimeout`). Runs started before fleets carry only
 * `routerAdminUrl`: their one router; runs started before the timeout leave it to the worker.
 */
export function members(m: Migration): { adminUrls: string[]; adminTimeoutMs?: number } {
  return {
    adminUrls: m.input.routerAdminUrls ?? [m.input.routerAdminUrl],
    ...(m.input.adminTimeoutMs !== undefined ? { adminTimeoutMs: m.input.adminTimeoutMs } : {}),
  };
}
