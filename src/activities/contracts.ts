/**
 * The contract gate as an activity: runs the family's suite against legacy and new (or new
 * alone), heartbeating progress, and returns a summary small enough for workflow history.
 */
import { ApplicationFailure, Context } from '@temporalio/activity';
import type { FamilyPlan } from '../plan/schema.js';
import path from 'node:path';
import { runContractSuite } from '../contracts/runner.js';
import { PhoenixError } from '../lib/errors.js';
import { FailureType } from '../workflows/failures.js';

/** At most this many failing cases travel back into workflow history. */
const MAX_FAILURES_REPORTED = 20;

export interface ContractGateSummary {
  mode: 'parity' | 'new-only';
  total: number;
  passed: number;
  failed: number;
  durationMs: number;
  failures: { name: string; file: string; endpoint: string; messages: string[] }[];
  /** Teardown steps that failed (a failed setup fails its file's cases instead). */
  failedSteps?: string[];
}

export function createContractActivities() {
  return {
    async runContractSuite(input: { family: FamilyPlan; mode: 'parity' | 'new-only' }): Promise<ContractGateSummary> {
      const ctx = Context.current();
      let result;
      try {
        result = await runContractSuite({
          family: input.family,
          mode: input.mode,
          signal: ctx.cancellationSignal,
          onProgress: (done, total) => ctx.heartbeat({ done, total }),
        });
      } catch (err) {
        if (err instanceof PhoenixError && err.code.startsWith('PHX_ERR_CASE')) {
          throw ApplicationFailure.create({ type: FailureType.InvalidInput, nonRetryable: true, message: err.message });
        }
        throw err;
      }
      const failing = result.cases.filter((c) => !c.passed);
      // A failed setup already fails its file's cases; a failed teardown leaves a side's data
      // in an unknown state for what follows, so it fails the gate as `phoenix contracts run` does.
      const teardowns = result.steps.filter((x) => !x.ok && x.phase === 'teardown');
      return {
        mode: input.mode,
        total: result.total,
        passed: result.passed,
        failed: result.failed,
        durationMs: result.durationMs,
        failures: failing.slice(0, MAX_FAILURES_REPORTED).map((c) => ({
          name: c.name,
          file: c.file,
          endpoint: c.endpoint,
          messages: c.failures.map((f) => f.message).slice(0, 5),
        })),
        ...(teardowns.length > 0
          ? {
              failedSteps: teardowns
                .slice(0, MAX_FAILURES_REPORTED)
                .map((x) => `teardown of ${path.basename(x.file)} on ${x.side}: ${x.step} ${x.message ?? 'failed'}`),
            }
          : {}),
      };
    },
  };
}
