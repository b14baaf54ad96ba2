/**
 * Activity proxies grouped by profile. Every profile has a start-to-close timeout and a bounded
 * retry, except rollback: it keeps trying (with capped back-off) because losing a rollback is
 * worse than waiting for the router to come back; the router's guard protects users meanwhile.
 */
import { proxyActivities, type ActivityOptions } from '@temporalio/workflow';
import type { Activities } from '../activities/index.js';
import { forAdminTimeout } from './admin-timeout.js';

const PROFILES = {
  /** Route changes and reads of the router's state. */
  control: {
    startToCloseTimeout: '10s',
    retry: { initialInterval: '200ms', backoffCoefficient: 2, maximumInterval: '2s', maximumAttempts: 5 },
  },
  /** Reading figures while analysing: short, so a stuck router shows up as a failed analysis. */
  analysis: {
    startToCloseTimeout: '5s',
    retry: { initialInterval: '200ms', backoffCoefficient: 2, maximumInterval: '1s', maximumAttempts: 3 },
  },
  /** Contract suites and checklist checks: long, so they heartbeat. */
  suites: {
    startToCloseTimeout: '15m',
    heartbeatTimeout: '1m',
    retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '10s', maximumAttempts: 3 },
  },
  /**
   * The parity gate's replay rounds: a round lasts up to a minute of paced requests plus the
   * router's wait for their comparisons; one retry, since the next poll plans a new round anyway.
   */
  replay: {
    startToCloseTimeout: '3m',
    heartbeatTimeout: '1m',
    retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '5s', maximumAttempts: 2 },
  },
  /**
   * Compensations: run non-cancellable and never give up. Each attempt is one admin call, so a
   * short timeout lets an attempt lost with a dead worker be retried by the next one in seconds.
   */
  rollback: {
    startToCloseTimeout: '3s',
    retry: { initialInterval: '100ms', backoffCoefficient: 2, maximumInterval: '2s' },
  },
  /** Slack and reports: failures here never stop a migration. */
  notify: {
    startToCloseTimeout: '15s',
    retry: { initialInterval: '500ms', backoffCoefficient: 2, maximumInterval: '5s', maximumAttempts: 4 },
  },
} satisfies Record<string, ActivityOptions>;

export type Profile = keyof typeof PROFILES;

/** Profiles whose attempts are admin calls to the data plane: they stretch with `dataPlane.adminTimeout`. */
const ADMIN_PROFILES: ReadonlySet<Profile> = new Set(['control', 'analysis', 'rollback']);

const proxies = {
  control: proxyActivities<Activities>(PROFILES.control),
  analysis: proxyActivities<Activities>(PROFILES.analysis),
  suites: proxyActivities<Activities>(PROFILES.suites),
  replay: proxyActivities<Activities>(PROFILES.replay),
  rollback: proxyActivities<Activities>(PROFILES.rollback),
  notify: proxyActivities<Activities>(PROFILES.notify),
};

/**
 * Runs activity `name` with `profile`'s options and a one-line summary, so the event history
 * in the Temporal UI reads like the plan ("canary 25%", "route to legacy").
 */
export function act<K extends keyof Activities>(
  profile: Profile,
  name: K,
  summary: string,
  ...args: Parameters<Activities[K]>
): Promise<Awaited<ReturnType<Activities[K]>>> {
  const fn = proxies[profile][name] as unknown as {
    executeWithOptions(o: ActivityOptions, a: Parameters<Activities[K]>): Promise<Awaited<ReturnType<Activities[K]>>>;
  };
  const options = ADMIN_PROFILES.has(profile) ? forAdminTimeout(PROFILES[profile], args[0]) : PROFILES[profile];
  return fn.executeWithOptions({ ...options, summary }, args);
}
