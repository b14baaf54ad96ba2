/**
 * The parity gate's replay round (`parity.replay`): once the gate has waited `after` without
 * enough evidence, recorded safe requests are replayed through the router's shadow comparison,
 * as many as the gate lacks, within the plan's share and rate. Workflow code only.
 */
import type { ParityEvidence, EvidenceParityGate } from '../parity/gates.js';
import { replayBudget } from '../parity/replay-budget.js';
import type { Migration } from './migration-state.js';
import { act } from './proxies.js';
import { members } from './fleet-members.js';

/** A round paces its requests over at most this long (ms), even with a longer poll interval. */
const ROUND_MS = 60_000;

/**
 * Runs one replay round when the plan allows it and the gate lacks evidence after `after`.
 * @returns whether anything was replayed (then the gate reads its figures again at once)
 */
export async function maybeReplay(
  m: Migration,
  verdict: ParityEvidence,
  gate: EvidenceParityGate,
  waited: number,
): Promise<boolean> {
  const plan = m.family.parity.replay;
  if (!m.replay || !plan || verdict.outcome !== 'insufficient' || waited < plan.after) return false;
  const budget = replayBudget(verdict, gate, plan, Math.min(m.family.parity.pollInterval, ROUND_MS));
  if (budget.count === 0) return false;
  const before = m.openReplay();
  let r;
  try {
    r = await act('replay', 'replayForParity', `replay ${budget.count} recorded requests`, {
      ...members(m),
      family: m.family,
      count: budget.count,
      offset: before.next,
    });
  } catch (err) {
    // A failed round costs nothing but time: live traffic and the next round can still bring the evidence.
    m.record({ kind: 'stage', step: 'parity', detail: `replay round failed: ${(err as Error).message}` });
    return false;
  }
  const state = m.recordReplayRound(r, budget.count);
  const size = r.pool.contracts + r.pool.samples;
  // The first round is kept in the decisions; later ones only add to the totals in `progress.replay`.
  if (state.rounds === 1)
    m.record({
      kind: 'stage',
      step: 'parity',
      detail:
        size === 0
          ? `replay: no recorded safe request to replay (${state.skipped} skipped for credentials or captured values)`
          : `replayed ${r.submitted} of ${budget.count} (${r.pool.contracts} contract cases, ${r.pool.samples} samples; ` +
            `${r.dropped} dropped, ${r.failed} failed, ${state.skipped} skipped); gate lacks ${budget.wanted}, share allows ${budget.allowed === Infinity ? 'any' : budget.allowed}`,
    });
  return r.submitted > 0;
}
