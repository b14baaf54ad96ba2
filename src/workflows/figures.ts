/**
 * Reading the router's figures for a family, and the plan's SLOs as the step verdict reads them.
 * Workflow code only.
 */
import { ApplicationFailure } from '@temporalio/workflow';
import type { FamilyFigures } from '../activities/index.js';
import type { EvidenceSlo } from '../parity/gates.js';
import { FailureType } from './failures.js';
import type { Migration } from './migration-state.js';
import { act } from './proxies.js';

/** Reads the family's figures; a router that cannot answer is treated as unsafe. */
export async function readFigures(m: Migration, summary: string): Promise<FamilyFigures> {
  try {
    return await act('analysis', 'readFamilyFigures', summary, {
      adminUrl: m.input.routerAdminUrl,
      family: m.family.name,
    });
  } catch (err) {
    throw ApplicationFailure.nonRetryable(
      `cannot read ${m.family.name}'s figures from the router (${(err as Error).message}); rolling back to stay safe`,
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
