/**
 * What a migration run takes, carries through continue-as-new, and returns. All of it is plain
 * data so it can travel in Temporal payloads.
 */
import type { FamilyPlan } from '../plan/schema.js';
import type { ReportPaths } from '../activities/report.js';
import type { SlackMessageRef } from '../activities/slack.js';
import type { MigrationProgress } from './messages.js';
import type { CarriedPosition } from './resume-point.js';

/** An undo, as data so it survives continue-as-new. */
export type Compensation =
  { kind: 'route-legacy' } | { kind: 'close-approval'; ref: SlackMessageRef; step: string; label: string };

/** The undo that rewrites a posted Slack approval request. */
export type CloseApproval = Extract<Compensation, { kind: 'close-approval' }>;

/** A person's decision on the pending step, as the workflow acts on it. */
export interface Decision {
  outcome: 'approved' | 'rejected';
  step: string;
  by: string;
  reason?: string;
}

/** Why a run stops early: an abort, or a rollback an approver asked for (`type` says which). */
export interface StopRequest {
  reason: string;
  by?: string;
  type?: string;
}

/** The input of `migrateFamily`. */
export interface MigrateFamilyInput {
  /** Plan name (`PhoenixPlan`). */
  plan: string;
  /** The router's admin API (`router.adminUrl`); the data plane when `routerAdminUrls` is absent. */
  routerAdminUrl: string;
  /**
   * The admin API of every member of the family's data plane (`dataPlane.members`). Absent from
   * runs started before fleets. @default [routerAdminUrl]
   */
  routerAdminUrls?: string[];
  /**
   * The worker's timeout for one admin API call to a member (`dataPlane.adminTimeout`, ms).
   * Absent from runs started before it: the worker's own default. @default 3000 (ms)
   */
  adminTimeoutMs?: number;
  temporalUiUrl: string;
  family: FamilyPlan;
  /** History length past which long waits continue as new. @default 1500 (events) */
  historyLimit?: number;
  /** @internal State carried across continue-as-new. */
  carry?: CarriedState;
}

/** The state a run hands to the next one through continue-as-new. */
export interface CarriedState {
  progress: MigrationProgress;
  position: CarriedPosition;
  undo: Compensation[];
  versionBase: number;
  versionCounter: number;
  lastVersion: number;
  thread?: SlackMessageRef;
  paused: boolean;
}

/** What `migrateFamily` returns (and, for a rolled-back run, carries in its failure's details). */
export interface MigrationResult {
  family: string;
  outcome: 'completed' | 'rolled-back';
  reason?: string;
  type?: string;
  report?: ReportPaths;
  progress: MigrationProgress;
}
