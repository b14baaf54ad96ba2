/**
 * The parity gate: read the router's figures every poll interval while shadow traffic is
 * compared, until the gate passes or its timeout ends the migration. Workflow code only.
 */
import { ApplicationFailure, condition } from '@temporalio/workflow';
import type { EvidenceParityGate, ParityEvidence } from '../parity/gates.js';
import { evaluateParityEvidence } from '../parity/parity-evidence.js';
import { evaluateParity } from '../parity/thresholds.js';
import { parityText } from '../parity/verdict-text.js';
import { formatDuration } from '../plan/duration.js';
import { FailureType } from './failures.js';
import { Stage } from './messages.js';
import type { ParityGateVerdict } from './migration-records.js';
import type { Migration } from './migration-state.js';
import { maybeReplay } from './parity-replay.js';
import { readFigures } from './figures.js';
import { announceTriage, pushTriage } from './triage.js';
import { maybeContinueAsNew, waitOrAbort } from './waits.js';

/** The plan's parity gate with its evidence settings (defaults for plans written before they existed). */
function parityGateOf(m: Migration): EvidenceParityGate {
  const gate = m.family.parity as Partial<EvidenceParityGate> & typeof m.family.parity;
  return {
    ...gate,
    confidence: gate.confidence ?? 0.95,
    latency: gate.latency ?? { maxShiftMs: 25, minSamples: 20 },
  };
}

export async function waitForParity(m: Migration): Promise<void> {
  const gate = m.family.parity;
  m.setStage(Stage.Parity, `parity: ≥ ${gate.minSamples} samples, mismatch ≤ ${gate.maxMismatchRate * 100}%`);
  let waited = m.position.stage === Stage.Parity ? m.position.bakedMs : 0;
  for (;;) {
    await pushTriage(m, { resetWindow: true });
    const f = await readFigures(m, 'read parity figures');
    m.setTriageWaiting(f.stats.parity.triage?.untriaged ?? 0);
    await announceTriage(m, f);
    const verdict: ParityGateVerdict = m.evidence
      ? evaluateParityEvidence(f.stats, parityGateOf(m))
      : evaluateParity(f.stats, gate);
    m.recordParity(verdict, f.stats);
    if (f.guard.tripped)
      throw ApplicationFailure.nonRetryable(
        `router guard tripped during shadow: ${f.guard.reason ?? ''}`,
        FailureType.GuardTripped,
      );
    if (verdict.status === 'met') {
      m.record({
        kind: 'stage',
        step: 'parity',
        detail: m.evidence
          ? parityText(verdict)
          : `met: ${verdict.samples} samples, mismatch ${(verdict.mismatchRate * 100).toFixed(2)}%`,
      });
      m.resumeAt(Stage.AwaitingApproval);
      return;
    }
    if (waited >= gate.timeout && m.evidence && verdict.outcome === 'insufficient') {
      const why =
        verdict.status === 'no-samples'
          ? 'no shadow samples at all — is traffic reaching the router for this family?'
          : verdict.reasons.join('; ');
      throw ApplicationFailure.nonRetryable(
        `not enough evidence for parity within ${formatDuration(gate.timeout)}: ${why}`,
        FailureType.NotEnoughEvidence,
        verdict,
      );
    }
    if (waited >= gate.timeout) {
      const why =
        verdict.status === 'no-samples'
          ? 'no shadow samples at all — is traffic reaching the router for this family?'
          : verdict.reasons.join('; ');
      throw ApplicationFailure.nonRetryable(
        `parity not reached within ${formatDuration(gate.timeout)}: ${why}`,
        FailureType.ParityNotReached,
        verdict,
      );
    }
    if (m.evidence && m.family.parity.replay) {
      const from = Date.now();
      const replayed = await maybeReplay(m, verdict as ParityEvidence, parityGateOf(m), waited);
      m.throwIfAborted();
      if (replayed) {
        // Judge again at once: the replayed comparisons are in the router's figures.
        waited += Date.now() - from;
        m.resumeAt(Stage.Parity, { heldMs: waited });
        await maybeContinueAsNew(m);
        continue;
      }
    }
    m.setWaiting(`parity (${verdict.status}: ${verdict.reasons.join('; ') || 'waiting for samples'})`);
    const slice = Math.min(gate.pollInterval, gate.timeout - waited);
    if (m.triage) {
      // A triage decision wakes the gate: it is pushed and judged at once.
      const from = Date.now();
      await condition(() => m.abortRequested !== undefined || m.triageDirty, Math.max(slice, 1), {
        summary: 'wait for parity',
      });
      m.throwIfAborted();
      waited += m.holdsByClock ? Date.now() - from : Math.min(slice, Date.now() - from);
    } else {
      const from = Date.now();
      await waitOrAbort(m, slice, 'wait for parity');
      waited += m.holdsByClock ? Date.now() - from : slice;
    }
    m.resumeAt(Stage.Parity, { heldMs: waited });
    await maybeContinueAsNew(m);
  }
}
