/**
 * The plan: the single source of truth for what Phoenix is told by its users. Everything a team
 * writes (families, upstreams, thresholds, ramp, approvals, checklist) is validated here, and
 * every optional field gets its default here; `docs/plan-reference.md` documents the same fields.
 *
 * Durations are written as `30s`, `10m`, `1h30m` or milliseconds and resolved to milliseconds.
 */
import type { TriageEntry } from '../parity/signature.js';
import { z } from 'zod';
import { parseCidr } from './cidr.js';
import { parseDuration } from './duration.js';
import { parseRoutePattern } from './route-pattern.js';

const duration = z.union([z.string(), z.number()]).transform((v, ctx) => {
  const ms = parseDuration(v);
  if (ms === undefined) {
    ctx.addIssue({
      code: 'custom',
      message: `expected a duration such as "30s", "10m", "1h" or milliseconds, got ${JSON.stringify(v)}`,
    });
    return z.NEVER;
  }
  return ms;
});

const url = z.string().refine((v) => {
  try {
    const u = new URL(v);
    return u.protocol === 'http:' || u.protocol === 'https:';
  } catch {
    return false;
  }
}, 'expected an http(s) URL such as "http://127.0.0.1:5000"');

const ratio = z.number().min(0, 'expected a ratio between 0 and 1').max(1, 'expected a ratio between 0 and 1');
/** What a family name may be: it becomes part of workflow ids, metrics labels and file names. */
export const FAMILY_NAME = /^[a-z][a-z0-9-]{0,62}$/;

const familyName = z
  .string()
  .regex(FAMILY_NAME, 'expected a lower-case name of letters, digits and "-" (it becomes part of the workflow id)');

const routePattern = z.string().superRefine((v, ctx) => {
  const p = parseRoutePattern(v);
  if (typeof p === 'string') ctx.addIssue({ code: 'custom', message: `bad route pattern: ${p}` });
});

const httpStatus = z
  .number()
  .int()
  .min(100, 'expected an HTTP status (100–599)')
  .max(599, 'expected an HTTP status (100–599)');

/** How arrays at one JSON path are compared. */
export const arrayRuleSchema = z.strictObject({
  /** `ordered` compares by index; `set` ignores order; `keyed` matches items by `key`. @default ordered */
  mode: z.enum(['ordered', 'set', 'keyed']).default('ordered'),
  /** Field that identifies an item when `mode` is `keyed`. */
  key: z.string().optional(),
});

/** Comparison rules for responses (shadow parity, contract tests, reports). */
export const diffRulesSchema = z.strictObject({
  /** Response headers compared (case-insensitive names). @default ["content-type"] */
  headers: z.array(z.string().min(1)).default(['content-type']),
  /** JSON paths whose differences are ignored: `$.meta.generated_at`, `$..request_id`, `$.items[*].updated_at`. @default [] */
  ignore: z.array(z.string().startsWith('$', 'JSON paths start with "$"')).default([]),
  /** Absolute tolerance for numbers. @default 0 */
  numericTolerance: z.number().min(0).default(0),
  /** Relative tolerance for numbers (0.01 = 1%). @default 0 */
  relativeTolerance: z.number().min(0).default(0),
  /** Array comparison per JSON path (`$.items`, `$..tags`). @default {} (ordered everywhere) */
  arrays: z.record(z.string().startsWith('$', 'JSON paths start with "$"'), arrayRuleSchema).default({}),
  /** How non-JSON bodies compare: `exact` bytes or `normalized` (trimmed, whitespace collapsed). @default exact */
  text: z.enum(['exact', 'normalized']).default('exact'),
  /**
   * Informational difference kinds that count as mismatches for this family (`format`: the same
   * value written another way; `redirect`: different redirect chains to equal final answers).
   * @default [] (both informational)
   */
  blocking: z.array(z.enum(['format', 'redirect'])).default([]),
  /**
   * Value classes the diff recognises in differing values: `uuid`, `ulid`, `timestamp` (RFC 3339 /
   * ISO 8601 / HTTP dates, compared as instants), `epoch` (seconds or milliseconds near the
   * request time), `hex` (≥ 16 hex digits), `base64` (≥ 20 characters, mixed case and digits),
   * `jwt`. The same instant in another format is a `format` difference; where a request cannot be
   * resampled on legacy (unsafe methods, contract runs, a route's first samples), two different
   * values of one class at the same place are noise. `[]` switches all of this off.
   * @default ["uuid","ulid","timestamp","epoch","hex","base64","jwt"]
   */
  valueClasses: z
    .array(z.enum(['uuid', 'ulid', 'timestamp', 'epoch', 'hex', 'base64', 'jwt']))
    .default(['uuid', 'ulid', 'timestamp', 'epoch', 'hex', 'base64', 'jwt']),
  /**
   * Gap between the two legacy samples of a safe contract case (noise learning), ms: long enough
   * for second-resolution timestamps to tick, so they are learned as noise.
   * @default 1100
   */
  resampleGapMs: z.number().int().min(0).max(60_000).default(1100),
  /** Per-route latency in contract runs: each safe case is timed on both sides and judged per route. */
  latency: z
    .strictObject({
      /** Largest acceptable slowdown of new on one route (Hodges–Lehmann shift), ms. @default 50 */
      maxShiftMs: z.number().min(0).default(50),
      /** Timed repetitions of each safe case on each side; 0 switches the comparison off. @default 5 */
      repetitions: z.number().int().min(0).max(100).default(5),
      /**
       * Confidence needed that new is slower (one-sided Mann–Whitney U). Higher than the shadow
       * gate's: a contract run times a route only a few times, and a busy machine can make five
       * timings look slower by chance. @default 0.99
       */
      confidence: z
        .number()
        .gt(0.5, 'expected a confidence above 0.5')
        .lt(1, 'expected a confidence below 1')
        .default(0.99),
    })
    .default({ maxShiftMs: 50, repetitions: 5, confidence: 0.99 }),
  /**
   * JSON paths whose value may differ but must exist on both sides with the same JSON type
   * (null, boolean, number, string, array, object): a generated token, a count that moves.
   * Absent on one side, or another type, is still a difference. @default []
   */
  present: z.array(z.string().startsWith('$', 'JSON paths start with "$"')).default([]),
  /**
   * JSON paths compared by shape only: the same JSON type at the path and, inside objects and
   * arrays, the same keys with the same types (array lengths may differ; items are compared by
   * type pairwise). @default []
   */
  type: z.array(z.string().startsWith('$', 'JSON paths start with "$"')).default([]),
  /**
   * JSON paths holding timestamps whose format is known to have changed: the same instant written
   * another way (`+00:00` vs `Z`, another precision of zeros) is equal, not even informational.
   * Different instants still differ. @default []
   */
  format: z.array(z.string().startsWith('$', 'JSON paths start with "$"')).default([]),
  /**
   * Status codes that compare equal: legacy's status → new's (or a list of them), for an intended
   * change such as `{ 200: 201 }` on a create or `{ 200: 204 }` on a delete. Usually set per route
   * in `routeDiff`. @default {}
   */
  status: z
    .record(
      z.string().regex(/^[1-5]\d\d$/, 'expected an HTTP status such as 200 as the key'),
      z.union([httpStatus, z.array(httpStatus).min(1)]),
    )
    .default({}),
  /** Learn noise by asking legacy twice for a share of sampled safe requests. @default true */
  learnNoise: z.boolean().default(true),
  /** Share of sampled safe requests sent to legacy a second time to learn noise. @default 0.1 */
  noiseSampleRate: ratio.default(0.1),
});
export type DiffRules = z.infer<typeof diffRulesSchema>;
export type DiffRulesInput = z.input<typeof diffRulesSchema>;

type DiffShape = typeof diffRulesSchema.shape;
type OverrideShape = {
  [K in keyof DiffShape]: z.ZodOptional<DiffShape[K] extends z.ZodDefault<infer T> ? T : DiffShape[K]>;
};

/**
 * Per-route rule overrides (and the plan-level defaults); any field given replaces the family's
 * value. Fields take no defaults here, so a field left out keeps what the family (or plan) says.
 */
const diffOverrideSchema = z.strictObject(
  Object.fromEntries(
    Object.entries(diffRulesSchema.shape).map(([k, v]) => [k, (v instanceof z.ZodDefault ? v.unwrap() : v).optional()]),
  ) as unknown as OverrideShape,
);

/**
 * Which answers of new an adapter op applies to: one status (`404`), a class (`"4xx"`) or a range
 * (`"400-499"`), judged on the status as it is when the op runs (after earlier `status` ops).
 */
export const STATUS_CONDITION = /^(?:[1-5]\d\d|[1-5]xx|[1-5]\d\d-[1-5]\d\d)$/;
const onStatus = {
  /** Apply this op only to answers with this status, class or range (`404`, `"4xx"`, `"400-499"`). @default every answer */
  onStatus: z
    .union([
      httpStatus,
      z.string().regex(STATUS_CONDITION, 'expected a status (404), a class ("4xx") or a range ("400-499")'),
    ])
    .optional(),
};

/** A declarative change applied to the new service's response so legacy clients keep their contract. */
export const adapterOpSchema = z.discriminatedUnion('op', [
  z.strictObject({
    op: z.literal('rename'),
    from: z.string().startsWith('$'),
    to: z.string().startsWith('$'),
    ...onStatus,
  }),
  z.strictObject({ op: z.literal('unwrap'), path: z.string().startsWith('$'), ...onStatus }),
  z.strictObject({ op: z.literal('wrap'), key: z.string().min(1), ...onStatus }),
  z.strictObject({ op: z.literal('remove'), path: z.string().startsWith('$'), ...onStatus }),
  z.strictObject({ op: z.literal('set'), path: z.string().startsWith('$'), value: z.unknown(), ...onStatus }),
  z.strictObject({
    op: z.literal('status'),
    from: z.number().int().min(100).max(599),
    to: z.number().int().min(100).max(599),
  }),
  z.strictObject({ op: z.literal('header'), name: z.string().min(1), value: z.string(), ...onStatus }),
]);
export type AdapterOp = z.infer<typeof adapterOpSchema>;

export const adapterSchema = z.strictObject({
  /** The endpoint it applies to, as a route pattern (`GET /api/orders/:id`). */
  route: routePattern,
  /** Operations, applied in order. */
  ops: z.array(adapterOpSchema).min(1),
});
export type Adapter = z.infer<typeof adapterSchema>;

/** An IPv4 or IPv6 range (`10.0.0.0/8`, `fd00::/8`) or a single address. */
const cidr = z.string().superRefine((v, ctx) => {
  const p = parseCidr(v);
  if (typeof p === 'string')
    ctx.addIssue({ code: 'custom', message: `expected a CIDR such as "10.0.0.0/8" or "fd00::/8": ${p}` });
});

/** Which upstream of a family gets the client's `Host` header instead of its own. */
export const preserveHostSchema = z.strictObject({
  /** Forward the client's `Host` to the legacy upstream. @default false */
  legacy: z.boolean().default(false),
  /** Forward the client's `Host` to the new upstream. @default false */
  new: z.boolean().default(false),
});

const envName = z
  .string()
  .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'expected an environment variable name such as NEW_API_TOKEN');

/** Exchanges the client's credential for one the side accepts; the result is cached per credential. */
export const tokenExchangeSchema = z
  .strictObject({
    /** Endpoint that answers a POST carrying the client's credential (in the `from` header) with a token. */
    url: url.optional(),
    /**
     * Command (argv, no shell) that prints a token; the client's credential is in its environment
     * as `PHOENIX_CLIENT_CREDENTIAL`.
     */
    command: z.array(z.string().min(1)).min(1).optional(),
    /** Request header of the client that holds its credential. @default "authorization" */
    from: z.string().min(1).default('authorization'),
    /** Field of a JSON answer (or printed JSON) that holds the token; a plain-text answer is the token itself. @default "token" */
    field: z.string().min(1).default('token'),
    /** How long an exchanged token is reused for the same client credential. @default 5m */
    ttl: duration.default(300_000),
    /** Timeout of one exchange. @default 5s */
    timeout: duration.default(5_000),
  })
  .refine((v) => (v.url === undefined) !== (v.command === undefined), {
    message: 'a token exchange needs exactly one of url or command',
  });

/** Where one request header's value for a side comes from. */
export const identityHeaderSchema = z
  .strictObject({
    /** Environment variable of the router holding the value (read once at start). */
    env: envName.optional(),
    /** A token exchange for the client's credential. */
    exchange: tokenExchangeSchema.optional(),
    /** Text put before the value (`"Bearer "`). @default "" */
    prefix: z.string().default(''),
  })
  .refine((v) => (v.env === undefined) !== (v.exchange === undefined), {
    message: 'an identity header needs exactly one of env or exchange',
  });

/** Request headers one upstream gets instead of the client's (its own credential). */
export const identitySideSchema = z.strictObject({
  /** Header name (any case) → where its value comes from. @default {} */
  headers: z
    .record(z.string().regex(/^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/, 'expected an HTTP header name'), identityHeaderSchema)
    .default({}),
});

/** Identity per side: the credentials each upstream accepts (see docs/identity.md). */
export const identitySchema = z.strictObject({
  /** Headers set on every request to legacy (client requests and the shadow's second legacy samples). @default none */
  legacy: identitySideSchema.optional(),
  /** Headers set on every request to new (canary, `new` mode and shadow mirrors). @default none */
  new: identitySideSchema.optional(),
});
export type IdentityPlan = z.infer<typeof identitySchema>;
export type IdentitySidePlan = z.infer<typeof identitySideSchema>;

const confidence = z
  .number()
  .min(0.5, 'expected a confidence between 0.5 and 0.9999 (0.95 = 95%)')
  .max(0.9999, 'expected a confidence between 0.5 and 0.9999 (0.95 = 95%)');

/** When new is slower than legacy with evidence (see docs/verdicts.md). */
export const latencyToleranceSchema = z.strictObject({
  /** Largest acceptable slowdown of new against legacy (Hodges–Lehmann shift). @default 25 (ms) */
  maxShiftMs: z.number().min(0).default(25),
  /** Latencies needed on each side before latency is judged. @default 20 (requests) */
  minSamples: z.number().int().min(2).default(20),
});

/**
 * Replay of recorded safe requests through the shadow comparison while live traffic is too thin
 * for the parity gate (see docs/verdicts.md, "Replay"). Only GET, HEAD and OPTIONS are replayed.
 */
export const parityReplaySchema = z.strictObject({
  /** Where replayed requests come from: the family's safe contract cases, the router's captured samples. @default ["contracts", "samples"] */
  from: z
    .array(z.enum(['contracts', 'samples'], 'expected "contracts" or "samples"'))
    .min(1, 'expected at least one source')
    .default(['contracts', 'samples']),
  /** Replay starts once the parity gate has waited this long without enough evidence. @default 5m */
  after: duration.default(300_000),
  /** Replayed requests sent per second at most. @default 5 (requests/s) */
  maxPerSecond: z.number().positive('expected a number of requests per second above 0').max(1000).default(5),
  /**
   * Largest share of the samples the gate counts that may be replayed (1: replay alone may reach
   * the sample size), so live traffic stays the main evidence. @default 0.5
   */
  maxShare: z
    .number()
    .gt(0, 'expected a ratio above 0 and at most 1')
    .max(1, 'expected a ratio above 0 and at most 1')
    .default(0.5),
});
export type ParityReplayPlan = z.output<typeof parityReplaySchema>;

export const parityGateSchema = z.strictObject({
  /** Shadow comparisons needed before parity can be judged. @default 100 */
  minSamples: z.number().int().min(1).default(100),
  /** Largest share of compared requests that may differ. @default 0.01 */
  maxMismatchRate: ratio.default(0.01),
  /** Largest new p95 ÷ legacy p95. @default 1.2 */
  maxP95Ratio: z.number().positive().default(1.2),
  /** Share of requests mirrored in shadow mode. @default 1 */
  sampleRate: ratio.default(1),
  /** Give up (and roll back) when parity is not reached within this time. @default 1h */
  timeout: duration.default(3_600_000),
  /** How often the router's statistics are read while waiting. @default 30s */
  pollInterval: duration.default(30_000),
  /** Mirror POST/PUT/PATCH/DELETE too (they carry `x-phoenix-shadow: 1`). @default false */
  mirrorUnsafe: z.boolean().default(false),
  /**
   * Mirrored unsafe requests are sent to new one at a time, in the order legacy answered them,
   * per partition: the whole family by default, or per value of this request header (for
   * instance a tenant or account id). Safe mirrors stay concurrent. @default the whole family
   */
  mirrorPartition: z.strictObject({ header: z.string().min(1) }).optional(),
  /** Confidence of the mismatch-rate bound and of the latency tests, per route and family. @default 0.95 */
  confidence: confidence.default(0.95),
  /** Compared latency (same requests on both) per family and per route. @default { maxShiftMs: 25, minSamples: 20 } */
  latency: latencyToleranceSchema.default(latencyToleranceSchema.parse({})),
  /** Replay recorded safe requests when live traffic is too thin (see {@link parityReplaySchema}). @default off */
  replay: parityReplaySchema.optional(),
});

export const rampStepSchema = z.strictObject({
  /** Share of the family's traffic sent to the new service, 0–100. */
  percent: z.number().min(0, 'percent must be between 0 and 100').max(100, 'percent must be between 0 and 100'),
  /** How long to hold this step while analysing. @default 5m */
  bake: duration.default(300_000),
  /** Wait for an approval before moving to this step. @default false */
  approval: z.boolean().default(false),
});
export type RampStep = z.infer<typeof rampStepSchema>;

export const rampSchema = z.strictObject({
  /** Steps in order; percents must increase. @default 1, 5, 25, 50, 100 */
  steps: z
    .array(rampStepSchema)
    .min(1)
    .default(
      [{ percent: 1 }, { percent: 5 }, { percent: 25 }, { percent: 50 }, { percent: 100, approval: true }].map((s) =>
        rampStepSchema.parse(s),
      ),
    ),
  /** How often the family's figures are checked during a bake. @default 30s */
  analysisInterval: duration.default(30_000),
  /**
   * How long a step's bake is extended while its analysis lacks evidence (too few requests on
   * new or too few users); then the migration fails with `NotEnoughEvidence`.
   * @default each step's own bake (a step waits at most twice its bake)
   */
  evidenceTimeout: duration.optional(),
});

export const sloSchema = z.strictObject({
  /** Largest share of new-backend requests that may fail (5xx, timeouts, connection errors). @default 0.01 */
  maxErrorRate: ratio.default(0.01),
  /** Largest new p95 ÷ legacy p95 while ramping. @default 1.5 */
  maxP95Ratio: z.number().positive().default(1.5),
  /** Largest share of shadow comparisons that may differ while ramping. @default 0.02 */
  maxMismatchRate: ratio.default(0.02),
  /** New-backend requests needed in an analysis before its rates are judged. @default 20 */
  minRequests: z.number().int().min(1).default(20),
  /**
   * Distinct users (sticky keys) needed at a step strictly between 0% and 100%: fewer make the
   * split meaningless, so the step lacks evidence. @default 20 (users)
   */
  minUsers: z.number().int().min(1).default(20),
  /** Confidence of the error- and mismatch-rate bounds and the latency test. @default 0.95 */
  confidence: confidence.default(0.95),
  /** Client-path latency, legacy-served against new-served. @default { maxShiftMs: 25, minSamples: 20 } */
  latency: latencyToleranceSchema.default(latencyToleranceSchema.parse({})),
});

export const guardSchema = z.strictObject({
  /** Sliding window the router watches. @default 10s */
  window: duration.default(10_000),
  /** Requests to the new backend in the window before the guard may trip. @default 5 */
  minRequests: z.number().int().min(1).default(5),
  /** Failure share in the window that trips the guard. @default 0.5 */
  maxErrorRate: ratio.default(0.5),
  /** Consecutive failures that trip the guard at once, whatever the window says. @default 3 */
  consecutiveFailures: z.number().int().min(1).default(3),
  /** Timeout for one request to the new backend. @default 5s */
  timeout: duration.default(5_000),
});

export const stickySchema = z.union([
  z.strictObject({ header: z.string().min(1) }),
  z.strictObject({ cookie: z.string().min(1) }),
  z.literal('ip'),
]);
export type StickyKey = z.infer<typeof stickySchema>;

export const approvalSchema = z.strictObject({
  /** Who may approve or reject (CLI user names, Slack user ids `U…`, or emails). Falls back to the plan's. */
  approvers: z.array(z.string().min(1)).optional(),
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
  preserveHost: preserveHostSchema.default({ legacy: false, new: false }),
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
  /** Slack channel for this family. @default the plan's `slack.channel` */
  slackChannel: z.string().optional(),
});
export type FamilyPlanInput = z.input<typeof familySchema>;

const planObjectSchema = z.strictObject({
  /** Plan format version. */
  version: z.literal(1, 'expected version: 1'),
  /** The plan's name (becomes `PhoenixPlan` and part of the program workflow id). */
  name: familyName,
  /** Default legacy upstream; also where requests matching no family go. */
  legacy: url,
  router: z
    .strictObject({
      /** Admin API the control plane uses. @default http://127.0.0.1:9090 */
      adminUrl: url.default('http://127.0.0.1:9090'),
      /** Public URL of the router (used by reports and the demo). @default http://127.0.0.1:8080 */
      publicUrl: url.default('http://127.0.0.1:8080'),
      /** Where the router keeps flag state. @default .phoenix/router-state.json */
      stateFile: z.string().default('.phoenix/router-state.json'),
      /** Shadow mirror queue bound; mirrors beyond it are dropped and counted. @default 1000 */
      mirrorQueue: z.number().int().min(1).default(1000),
      /** Mirrors in flight at once. @default 32 */
      mirrorConcurrency: z.number().int().min(1).default(32),
      /** Largest body buffered for a shadow comparison; larger ones are not compared. @default 1048576 (bytes) */
      maxCompareBytes: z.number().int().min(1024).default(1_048_576),
      /**
       * Scheduling priority (nice) of the thread that mirrors and compares: 19 lets it use only
       * CPU the proxy leaves idle, so under saturation samples are dropped instead of slowing
       * clients; 0 gives it the proxy's own priority. @default 19
       */
      shadowNice: z.number().int().min(0).max(19).default(19),
      /**
       * Share of time the router's own thread may be busy before new shadow samples are dropped:
       * mirrors are sent from that thread, so they only use the headroom below this. Measured
       * over the last 100 ms; 1 never drops for load. @default 0.7
       */
      shadowMaxBusy: z.number().gt(0).max(1).default(0.7),
      /**
       * Proxies (CIDRs, IPv4 or IPv6) whose `X-Forwarded-For` / `Forwarded: for=` the router
       * believes: from such a peer, the canary's client address is the rightmost forwarded
       * address that is not itself a trusted proxy. From any other peer the headers are ignored.
       * @default [] (the socket's address is the client address)
       */
      trustedProxies: z.array(cidr).default([]),
      /** How many recent records the router keeps per family (oldest dropped first). */
      records: z
        .strictObject({
          /** Mismatch records kept per family. @default 100 */
          mismatches: z.number().int().min(1).max(100_000).default(100),
          /** Sampled requests kept per family. @default 200 */
          samples: z.number().int().min(1).max(100_000).default(200),
        })
        .default({ mismatches: 100, samples: 200 }),
    })
    .default({
      adminUrl: 'http://127.0.0.1:9090',
      publicUrl: 'http://127.0.0.1:8080',
      stateFile: '.phoenix/router-state.json',
      mirrorQueue: 1000,
      mirrorConcurrency: 32,
      maxCompareBytes: 1_048_576,
      shadowNice: 19,
      shadowMaxBusy: 0.7,
      trustedProxies: [],
      records: { mismatches: 100, samples: 200 },
    }),
  /** Who may approve for every family (families may name their own). @default [] */
  approvers: z.array(z.string().min(1)).default([]),
  slack: z
    .strictObject({
      /** Channel for approval requests and notices. */
      channel: z.string().min(1),
    })
    .optional(),
  /**
   * Diff rules every family inherits: each field given here is the default for a family's own
   * `diff` (a field the family sets replaces it, it is not merged). @default {} (the built-in defaults)
   */
  diff: diffOverrideSchema.optional(),
  /** Temporal Web UI base used in links. @default http://localhost:8233 */
  temporalUiUrl: url.default('http://localhost:8233'),
  /**
   * The triage baseline: decisions (accept, noise, block) about difference signatures, per
   * family, written by `phoenix parity accept|noise|block`. Relative to the plan's folder; a
   * missing file means no decisions. @default "<plan file name>.baseline.yaml" next to the plan
   */
  baseline: z.string().min(1).optional(),
  families: z.array(familySchema).min(1, 'a plan needs at least one family'),
});
/**
 * Puts the plan-level `diff` under each family's own `diff` (field by field) before validation,
 * so defaults, errors and line numbers stay the family's. A plan-level `diff` that is itself
 * invalid is not spread (its own errors are reported once, at `diff`).
 */
function inheritDiff(input: unknown): unknown {
  if (!isRecord(input) || !isRecord(input.diff) || !Array.isArray(input.families)) return input;
  if (!diffOverrideSchema.safeParse(input.diff).success) return input;
  const base = input.diff;
  return {
    ...input,
    families: input.families.map((f: unknown) =>
      isRecord(f) && (f.diff === undefined || isRecord(f.diff)) ? { ...f, diff: { ...base, ...f.diff } } : f,
    ),
  };
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export const planSchema = z.preprocess(inheritDiff, planObjectSchema);
export type PlanInput = z.input<typeof planObjectSchema>;
type ParsedPlan = z.output<typeof planObjectSchema>;
type ParsedFamily = ParsedPlan['families'][number];

/** A family with every default applied and inherited values resolved. */
export interface FamilyPlan extends Omit<ParsedFamily, 'legacy' | 'approval' | 'slackChannel'> {
  legacy: string;
  approval: Omit<ParsedFamily['approval'], 'approvers'> & { approvers: string[] };
  slackChannel: string | undefined;
  /** Absolute paths of the contract case files matched by `contracts`. Filled by the loader. */
  contractFiles: string[];
  /** The family's triage decisions from the plan's baseline. Filled by the loader. @default [] */
  triage?: TriageEntry[];
}

/** A loaded, valid plan. */
export interface Plan extends Omit<ParsedPlan, 'families'> {
  /** Absolute path of the file it came from (or `<inline>`). */
  file: string;
  /** Absolute path of the triage baseline (whether it exists or not); absent for inline plans without `baseline`. */
  baselineFile?: string;
  families: FamilyPlan[];
}
