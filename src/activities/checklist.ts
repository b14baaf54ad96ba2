/**
 * Automated decommission checks. Each reads state and answers passed/failed with the evidence,
 * so running one twice is harmless.
 */
import type { FamilyPlan } from '../plan/schema.js';
import { formatDuration } from '../plan/duration.js';
import type { createRouterActivities } from './router.js';
import type { createContractActivities } from './contracts.js';
import type { FleetTarget } from './fleet-state.js';

/** The data plane part of an input, passed on as it came. */
function target(t: FleetTarget): FleetTarget {
  return {
    adminUrls: t.adminUrls,
    adminUrl: t.adminUrl,
    ...(t.adminTimeoutMs !== undefined ? { adminTimeoutMs: t.adminTimeoutMs } : {}),
  };
}

export type ChecklistCheck = FamilyPlan['decommission']['checks'][number];

export interface CheckResult {
  status: 'passed' | 'failed';
  detail: string;
}

export function createChecklistActivities(
  router: ReturnType<typeof createRouterActivities>,
  contracts: ReturnType<typeof createContractActivities>,
) {
  return {
    async runChecklistCheck(input: FleetTarget & { family: FamilyPlan; check: ChecklistCheck }): Promise<CheckResult> {
      const { family, check } = input;
      switch (check) {
        case 'no-legacy-traffic': {
          const { stats } = await router.readFamilyFigures({ ...target(input), family: family.name });
          const window = family.decommission.noLegacyTrafficFor;
          const observed = stats.at - stats.since;
          if (observed < window) {
            return {
              status: 'failed',
              detail: `only ${formatDuration(observed)} observed since the statistics were reset; ${formatDuration(window)} needed`,
            };
          }
          const legacy = stats.backends.legacy.requests;
          return legacy === 0 && stats.fallbacks === 0
            ? {
                status: 'passed',
                detail: `no legacy traffic for ${formatDuration(observed)} (${stats.backends.new.requests} requests on new)`,
              }
            : {
                status: 'failed',
                detail: `legacy still served ${legacy} requests (${stats.fallbacks} fallbacks) in the last ${formatDuration(observed)}`,
              };
        }
        case 'contracts-green-on-new': {
          const s = await contracts.runContractSuite({ family, mode: 'new-only' });
          if (s.total === 0)
            return {
              status: 'failed',
              detail: 'the family has no contract cases; add cases or drop this check from the plan',
            };
          return s.failed === 0
            ? { status: 'passed', detail: `${s.passed}/${s.total} contract cases pass against new alone` }
            : {
                status: 'failed',
                detail: `${s.failed}/${s.total} contract cases fail against new alone: ${s.failures.map((f) => f.name).join(', ')}`,
              };
        }
        case 'route-pinned-new': {
          const { route, guard } = await router.readFamilyFigures({ ...target(input), family: family.name });
          if (guard.tripped)
            return { status: 'failed', detail: `the guard is tripped (${guard.reason ?? 'no reason'})` };
          return route.mode === 'new'
            ? { status: 'passed', detail: `route is "new" (version ${route.version})` }
            : { status: 'failed', detail: `route is "${route.mode}" at ${route.percent}%` };
        }
      }
    },
  };
}
