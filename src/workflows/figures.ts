/**
 * Reading the router's figures for a family, and the plan's SLOs as the step verdict reads them.
 * Workflow code only.
 */
import { ActivityFailure, ApplicationFailure } from '@temporalio/workflow';
import type { FamilyFigures } from '../activities/index.js';
import type { EvidenceSlo } from '../parity/gates.js';
import { FailureType } from './failures.js';
import type { Migration } from './migration-state.js';
import { act } from './proxies.js';
import { members } from './fleet-members.js';

/** Reads the family's figures; a router that cannot answer is treated as unsafe. */
export async function readFigures(m: Migration, summary: string): Promise<FamilyFigures> {
  try {
    return await act('analysis', 'readFamilyFigures', summary, {
      ...members(m),
      family: m.family.name,
    });
  } catch (err) {
    // The activity's own failure says which router (or fleet member) did not answer.
    const cause = err instanceof ActivityFailure && err.cause ? err.cause : err;
    throw ApplicationFailure.nonRetryable(
      `cannot read ${m.family.name}'s figures from the router (${(cause as Error).message}); rolling back to stay safe`,
      FailureType.SloBreached,
    );
  }
}

/** The plan's SLOs with their evidence settings (defaults for plans written before they existed). */
export function sloOf(m: Migration): EvidenceSlo {
  const slo = m.family.slo as Partial<EvidenceSlo> & typeof m.family.slo;
  return {
    ...slo,
    minUsers: slo.minUsers ?? 20,
    confidence: slo.confidence ?? 0.95,
    latency: slo.latency ?? { maxShiftMs: 25, minSamples: 20 },
  };
}
