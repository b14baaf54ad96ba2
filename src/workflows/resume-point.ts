/**
 * Where a run resumes, in the one vocabulary of the migration's position: `Stage`, the same
 * names the `progress` query, the CLI, Slack and the `PhoenixStage` search attribute show.
 * Continue-as-new carries the position under its original wire names, so runs carried before
 * and after this module resume alike.
 */
import { Stage } from './messages.js';

/**
 * The stages a run can resume at (after continue-as-new or a retry), in the order it passes them.
 * Here `awaiting-approval` is the approval that opens the ramp; an approval inside the ramp or
 * the decommission checklist resumes at that stage, with `Position.approval` set.
 */
export const RESUME_ORDER = [
  Stage.ContractGate,
  Stage.Shadow,
  Stage.Parity,
  Stage.AwaitingApproval,
  Stage.Ramp,
  Stage.Decommission,
] as const;

/** A stage the run can resume at. */
export type ResumeStage = (typeof RESUME_ORDER)[number];

/** An approval being waited for, carried so the wait resumes with the time it has left. */
export interface ApprovalWait {
  step: string;
  remainingMs: number;
  reminded: boolean;
}

/** Where in the plan the migration stands, precisely enough to resume there. */
export interface Position {
  stage: ResumeStage;
  stepIndex: number;
  /** Time already held at this step (bake, parity wait, no-legacy window), ms. */
  bakedMs: number;
  /** The step's route change has been applied. */
  applied?: boolean;
  /** An approval being waited for. */
  approval?: ApprovalWait;
}

/** The names continue-as-new carries; fixed, since carried runs are read back by later code. */
const WIRE_NAME = {
  [Stage.ContractGate]: 'contract-gate',
  [Stage.Shadow]: 'shadow',
  [Stage.Parity]: 'parity',
  [Stage.AwaitingApproval]: 'ramp-start',
  [Stage.Ramp]: 'ramp',
  [Stage.Decommission]: 'decommission',
} as const satisfies Record<ResumeStage, string>;

/** A resume stage as continue-as-new carries it. */
export type WireResumeStage = (typeof WIRE_NAME)[ResumeStage];

const FROM_WIRE = Object.fromEntries(RESUME_ORDER.map((s) => [WIRE_NAME[s], s])) as Record<
  WireResumeStage,
  ResumeStage
>;

/** `Position` as continue-as-new carries it. */
export interface CarriedPosition extends Omit<Position, 'stage'> {
  phase: WireResumeStage;
}

/** The position to carry through continue-as-new. */
export function carryPosition(p: Position): CarriedPosition {
  const { stage, ...rest } = p;
  return { phase: WIRE_NAME[stage], ...rest };
}

/** The position a carried run resumes at. */
export function resumePosition(c: CarriedPosition): Position {
  const { phase, ...rest } = c;
  return { stage: FROM_WIRE[phase], ...rest };
}

/** True when a run resuming at `from` should (re)enter `stage`. */
export function reaches(stage: ResumeStage, from: ResumeStage): boolean {
  return RESUME_ORDER.indexOf(stage) >= RESUME_ORDER.indexOf(from);
}

/** Where the run resumes at within a stage: the step, the time held there, its route change applied. */
export interface ResumeOptions {
  /** The ramp step (index into `ramp.steps`). @default 0 */
  stepIndex?: number;
  /** Time already held at this step (bake, parity wait, no-legacy window), ms. @default 0 */
  heldMs?: number;
  /** The step's route change has been applied. @default false */
  applied?: boolean;
}
