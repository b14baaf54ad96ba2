/** One endpoint family: its routes, upstreams, rules, gates, approvals and decommission checklist. */
import { z } from 'zod';
import { diffOverrideSchema, diffRulesSchema } from './diff-rules.js';
import { adapterSchema } from './adapters.js';
import { identitySchema, preserveHostSchema } from './identity.js';
import { guardSchema, parityGateSchema, rampSchema, sloSchema } from './gates.js';
import { approverName, duration, familyName, routePattern, url } from './primitives.js';
import { dataPlaneSchema } from './data-plane.js';

export const stickySchema = z.union([
  z.strictObject({ header: z.string().min(1) }),
  z.strictObject({ cookie: z.string().min(1) }),
  z.literal('ip'),
]);
export type StickyKey = z.infer<typeof stickySchema>;

export const approvalSchema = z.strictObject({
  /** Who may approve or reject (CLI user names, Slack user ids `U…`, or emails). Falls back to the plan's. */
  approvers: z.array(approverName).optional(),
  /** How long an approval may wait. @default 24h */
  timeout: duration.default(86_400_000),
  /** What an approval timeout does: `reject` rolls back, `wait` keeps waiting and reminds. @default reject */
  onTimeout: z.enum(['reject', 'wait']).default('reject'),
  /** Remind this long before the timeout (and every `timeout` while waiting). @default 1h */
  remindBefore: duration.default(3_600_000),
});

const checklistCheck = z.enum(['no-legacy-traffic', 'contracts-green-on-new', 'route-pinned-new']);

export const decommissionSchema = z.strictObject({
  /** Automated checks. @default all three */
  checks: z.array(checklistCheck).default(['no-legacy-traffic', 'contracts-green-on-new', 'route-pinned-new']),
  /** The window without legacy traffic for the family that `no-legacy-traffic` requires. @default 10m */
  noLegacyTrafficFor: duration.default(600_000),
  /**
   * How long that window is extended while it saw no request on new (no traffic is not
   * evidence); then the migration fails with `NotEnoughEvidence`. @default the window itself
   */
  evidenceTimeout: duration.optional(),
  /** Items a named person signs off (`phoenix approve <family> --step decommission:<id>`). @default [] */
  manual: z
    .array(
      z.strictObject({
        id: z.string().regex(/^[a-z0-9-]+$/, 'expected an id of lower-case letters, digits and "-"'),
        description: z.string().min(1),
        owner: z.string().min(1),
      }),
    )
    .default([]),
});

export const familySchema = z.strictObject({
  name: familyName,
  description: z.string().optional(),
  /** Route patterns owned by the family (`GET /api/users/:id`, `/api/users/*`). */
  routes: z.array(routePattern).min(1, 'a family needs at least one route pattern'),
  /** Legacy upstream for this family. @default the plan's `legacy` */
  legacy: url.optional(),
  /** The new service's base URL. */
  new: url,
  /** Families that must finish their migration first. @default [] */
  dependsOn: z.array(familyName).default([]),
  /** Globs of contract case files, relative to the plan file. @default [] */
  contracts: z.array(z.string().min(1)).default([]),
  /** Endpoints declared deprecated: they have no replacement in the new service. @default [] */
  deprecated: z.array(routePattern).default([]),
  diff: diffRulesSchema.default(diffRulesSchema.parse({})),
  /** Rule overrides by route pattern (keys are patterns of this family). @default {} */
  routeDiff: z.record(routePattern, diffOverrideSchema).default({}),
  adapters: z.array(adapterSchema).default([]),
  parity: parityGateSchema.default(parityGateSchema.parse({})),
  ramp: rampSchema.default(rampSchema.parse({})),
  slo: sloSchema.default(sloSchema.parse({})),
  guard: guardSchema.default(guardSchema.parse({})),
  /** What keeps a user on one backend during canary. @default "ip" */
  sticky: stickySchema.default('ip'),
  /**
   * Whether `/x/` is a different path from `/x`. By default a family owns both slash variants of
   * each of its patterns, so a client that adds a trailing slash cannot reach legacy after the
   * family moved. @default false
   */
  strictSlashes: z.boolean().default(false),
  /**
   * Request headers each side gets instead of the client's (its own credential, from an
   * environment variable or a token exchange). @default {} (both sides get the client's headers)
   */
  identity: identitySchema.default({}),
  /** Forward the client's `Host` header to an upstream instead of the upstream's own. @default both false */
  preserveHost: preserveHostSchema.default(preserveHostSchema.parse({})),
  approval: approvalSchema.default(approvalSchema.parse({})),
  /** Approve the start of the ramp (after parity) before any traffic moves. @default true */
  approveRampStart: z.boolean().default(true),
  /** After a rollback: `end` the workflow, or `wait-for-retry` (signal `retry`). @default end */
  onRollback: z.enum(['end', 'wait-for-retry']).default('end'),
  /**
   * What an SLO breach or a parity regression found by a ramp step's analysis does: `rollback`
   * at once, or `hold` the route at the current step and ask for a decision (pending step
   * `hold:ramp:<percent>`: approve continues, reject rolls back). A tripped router guard (hard
   * errors) always rolls back at once. @default rollback
   */
  onBreach: z.enum(['rollback', 'hold']).default('rollback'),
  /** A held breach's decision: how long it waits (duration) and what the timeout decides. @default { timeout: 1h, onTimeout: rollback } */
  breachDecision: z
    .strictObject({
      /** How long a held breach waits for a decision. @default 1h */
      timeout: duration.default(3_600_000),
      /** What the timeout decides: `rollback`, or `continue` the ramp. @default rollback */
      onTimeout: z.enum(['rollback', 'continue']).default('rollback'),
    })
    .prefault({}),
  decommission: decommissionSchema.default(decommissionSchema.parse({})),
  /**
   * The data plane carrying this family, instead of the plan's `dataPlane` (same fields). The
   * built-in router serves only the families on `phoenix`, the nginx data plane process only
   * those on `nginx`. @default the plan's `dataPlane`
   */
  dataPlane: dataPlaneSchema.optional(),
  /** Slack channel for this family. @default the plan's `slack.channel` */
  slackChannel: z.string().optional(),
});
export type FamilyPlanInput = z.input<typeof familySchema>;
