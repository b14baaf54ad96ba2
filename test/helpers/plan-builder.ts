/**
 * Plans for tests built from typed values and loaded through the real loader and schema. A field
 * that does not exist is a type error, and also a `PHX_ERR_PLAN_INVALID` naming the field. A value
 * the schema refuses fails the same way. Editing YAML text with `.replace` cannot do this: it does
 * nothing when the text it looks for has changed.
 */
import { writeFile } from 'node:fs/promises';
import { stringify } from 'yaml';
import { loadPlan, validatePlan, type FamilyPlanInput, type LoadedPlan, type PlanInput } from '../../src/plan/index.js';

/** The family's settings objects, which overrides change field by field. */
const SECTIONS = ['parity', 'ramp', 'slo', 'guard', 'approval', 'decommission', 'diff', 'breachDecision'] as const;
type Section = (typeof SECTIONS)[number];

/**
 * Changes to a family. A settings object (`parity`, `ramp`, `slo`, `guard`, `approval`,
 * `decommission`, `diff`, `breachDecision`) changes field by field: `{ parity: { timeout: '3s' } }`
 * keeps the other parity fields. Every other field, and every array (`ramp.steps`), is replaced
 * whole.
 */
export type FamilyOverrides = Omit<Partial<FamilyPlanInput>, Section> & {
  [K in Section]?: Partial<Exclude<FamilyPlanInput[K], undefined>>;
};

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** `base` with each of `layers` applied in turn, as {@link FamilyOverrides} describes. */
export function mergeFamily<T extends FamilyOverrides>(base: T, ...layers: FamilyOverrides[]): T {
  const out: Record<string, unknown> = { ...base };
  for (const layer of layers) {
    for (const [key, value] of Object.entries(layer)) {
      if (value === undefined) continue;
      const prev = out[key];
      const section = (SECTIONS as readonly string[]).includes(key);
      out[key] = section && isRecord(prev) && isRecord(value) ? { ...prev, ...value } : value;
    }
  }
  return out as T;
}

/**
 * Writes `plan` as YAML to `file` and loads it with `loadPlan`: the schema with its defaults,
 * the cross-family checks, and contract globs relative to the file's folder.
 * @throws {PlanError} `PHX_ERR_PLAN_INVALID`, naming each wrong field
 */
export async function writePlanFile(file: string, plan: PlanInput): Promise<LoadedPlan> {
  await writeFile(file, stringify(plan));
  return loadPlan(file);
}

/** A test plan: every plan field, with `version`, `name` and `approvers` optional (see {@link testPlan}). */
export type TestPlanInput = Omit<PlanInput, 'version' | 'name'> & Partial<Pick<PlanInput, 'version' | 'name'>>;

/** `plan` with `version: 1`, the name `shop` and the approver `alice`, unless it says otherwise. */
export function testPlan(plan: TestPlanInput): PlanInput {
  return { version: 1, name: 'shop', approvers: ['alice'], ...plan };
}

/**
 * Validates `plan` in memory with the loader's own schema and cross-checks, for a plan that needs
 * no folder: it names no contract files (an inline plan's globs would be read from the working
 * directory) and has no triage baseline unless it names one. Use {@link writePlanFile} otherwise.
 * @throws {PlanError} `PHX_ERR_PLAN_INVALID`, naming each wrong field
 */
export async function buildPlan(plan: PlanInput): Promise<LoadedPlan> {
  const withCases = plan.families.find((f) => f.contracts !== undefined);
  if (withCases) throw new Error(`family "${withCases.name}" names contract files: write the plan with writePlanFile`);
  return validatePlan(plan);
}

/** The test family's last ramp step: 100%, baking 1 s, after an approval. */
const FULL = { percent: 100, bake: '1s', approval: true };

/**
 * Short durations so a whole migration runs in seconds. A step's bake is short and its evidence
 * extension long: a step ends as soon as the test's traffic has brought enough requests and users
 * on new, however fast the machine is.
 */
export const TEST_FAMILY = {
  parity: { minSamples: 20, maxMismatchRate: 0, sampleRate: 1, timeout: '20s', pollInterval: '300ms' },
  ramp: {
    analysisInterval: '250ms',
    evidenceTimeout: '20s',
    steps: [{ percent: 25, bake: '1500ms' }, FULL],
  },
  slo: { minRequests: 5, maxErrorRate: 0.05, maxP95Ratio: 20, maxMismatchRate: 0.05 },
  guard: { window: '2s', minRequests: 5, maxErrorRate: 0.5, consecutiveFailures: 3, timeout: '2s' },
  approval: { timeout: '30s', remindBefore: '10s' },
  decommission: { noLegacyTrafficFor: '1s', evidenceTimeout: '10s' },
} satisfies FamilyOverrides;

/** {@link TEST_FAMILY}'s ramp with the 25% step baking `bake` (`'8s'`, `'5m'`) instead of 1.5 s. */
export function bake25(bake: string): FamilyOverrides {
  return { ramp: { steps: [{ percent: 25, bake }, FULL] } };
}
