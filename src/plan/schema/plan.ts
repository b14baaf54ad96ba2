/** The whole plan: router settings, plan-level defaults and families; the types the loader returns. */
import type { TriageEntry } from '../../parity/signature.js';
import { z } from 'zod';
import { diffOverrideSchema } from './diff-rules.js';
import { familySchema } from './family.js';
import { approverName, familyName, url } from './primitives.js';
import { routerSettingsSchema } from './router.js';
import { dataPlaneSchema } from './data-plane.js';

const planObjectSchema = z.strictObject({
  /** Plan format version. */
  version: z.literal(1, 'expected version: 1'),
  /** The plan's name (becomes `PhoenixPlan` and part of the program workflow id). */
  name: familyName,
  /** Default legacy upstream; also where requests matching no family go. */
  legacy: url,
  /** The router's settings. @default every field's own default */
  router: routerSettingsSchema.default(routerSettingsSchema.parse({})),
  /**
   * Which traffic provider carries the families' requests: the built-in router (`phoenix`) or
   * the operator's nginx (`nginx`, see docs/nginx.md). @default { kind: "phoenix" }
   */
  dataPlane: dataPlaneSchema.default(dataPlaneSchema.parse({ kind: 'phoenix' })),
  /** Who may approve for every family (families may name their own). @default [] */
  approvers: z.array(approverName).default([]),
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
