/**
 * The plan: the single source of truth for what Phoenix is told by its users. Everything a team
 * writes (families, upstreams, thresholds, ramp, approvals, checklist) is validated here, and
 * every optional field gets its default here; `docs/plan-reference.md` documents the same fields.
 *
 * Durations are written as `30s`, `10m`, `1h30m` or milliseconds and resolved to milliseconds.
 * The schema lives in `schema/`, one file per part of the plan; this module is its public face.
 */
export { APPROVER_PLACEHOLDER, FAMILY_NAME } from './schema/primitives.js';
export { arrayRuleSchema, diffRulesSchema } from './schema/diff-rules.js';
export type { DiffRules, DiffRulesInput } from './schema/diff-rules.js';
export { adapterOpSchema, adapterSchema, STATUS_CONDITION } from './schema/adapters.js';
export type { Adapter, AdapterOp } from './schema/adapters.js';
export {
  identityHeaderSchema,
  identitySchema,
  identitySideSchema,
  preserveHostSchema,
  tokenExchangeSchema,
} from './schema/identity.js';
export type { IdentityPlan, IdentitySidePlan } from './schema/identity.js';
export {
  guardSchema,
  latencyToleranceSchema,
  parityGateSchema,
  parityReplaySchema,
  rampSchema,
  rampStepSchema,
  sloSchema,
} from './schema/gates.js';
export type { ParityReplayPlan, RampStep } from './schema/gates.js';
export { approvalSchema, decommissionSchema, familySchema, stickySchema } from './schema/family.js';
export type { FamilyPlanInput, StickyKey } from './schema/family.js';
export { planSchema } from './schema/plan.js';
export type { FamilyPlan, Plan, PlanInput } from './schema/plan.js';
export { dataPlaneSchema, nginxDataPlaneSchema } from './schema/data-plane.js';
export type { DataPlane, NginxDataPlane } from './schema/data-plane.js';
