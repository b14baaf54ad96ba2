import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { MigrationProgress } from '../../src/workflows/messages.js';
import { progressLine } from '../../src/report/render-progress.js';

function progress(stage: MigrationProgress['stage'], percent: number): MigrationProgress {
  return {
    workflowId: 'phoenix-users',
    family: 'users',
    plan: 'p',
    stage,
    percent,
    paused: false,
    startedAt: '2026-01-01T00:00:00.000Z',
    stageStartedAt: '2026-01-01T00:00:00.000Z',
    parity: {
      status: 'met',
      outcome: 'pass',
      reasons: [],
      samples: 120,
      mismatchRate: 0,
      p95Ratio: 1,
      legacyP95: 10,
      newP95: 10,
    },
    decisions: [],
    checklist: [],
    stageTimings: [],
    attempt: 1,
  };
}

test('the one-line progress names parity once, in the parity stage and after it', () => {
  const inParity = progressLine(progress('parity', 0));
  assert.match(inParity, / 0% parity pass \(120 samples, mismatch 0\.00%\)$/);
  assert.doesNotMatch(inParity, /parity parity/);
  assert.match(progressLine(progress('ramp', 25)), / 25% ramp parity pass \(120 samples/);
});
