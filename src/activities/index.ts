/**
 * Every side effect the workflows need, built from their dependencies so tests can point them at
 * real local endpoints.
 */
import path from 'node:path';
import { createRouterActivities, type RouterActivityDeps } from './router.js';
import { createContractActivities } from './contracts.js';
import { createChecklistActivities } from './checklist.js';
import { createReportActivities } from './report.js';
import { createSlackActivities, type SlackActivityDeps } from './slack.js';

export interface ActivityDeps extends RouterActivityDeps {
  /** Where final reports are written. @default ".phoenix/reports" */
  reportDir?: string;
  /** Slack client and secret; without a client the Slack activities do nothing. @default Slack off */
  slack?: SlackActivityDeps;
}

/** Builds the activity implementations registered on the worker. */
export function createActivities(deps: ActivityDeps = {}) {
  const router = createRouterActivities(deps);
  const contracts = createContractActivities();
  return {
    ...router,
    ...contracts,
    ...createChecklistActivities(router, contracts),
    ...createReportActivities({ reportDir: deps.reportDir ?? path.resolve('.phoenix/reports') }),
    ...createSlackActivities(deps.slack ?? {}),
  };
}

/** The activity interface the workflows proxy. */
export type Activities = ReturnType<typeof createActivities>;
export type { FamilyFigures, PreflightReport, RouteMode } from './router.js';
export type { ContractGateSummary } from './contracts.js';
export type { ReplayRoundResult } from './replay.js';
export type { CheckResult, ChecklistCheck } from './checklist.js';
export type { ReportPaths } from './report.js';
