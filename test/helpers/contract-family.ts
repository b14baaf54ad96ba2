/**
 * The setup the contract runner's tests share: a fresh folder holding one case file, and a
 * one-family plan whose contracts are that file, between two upstreams already running. The plan
 * goes through the real loader, so the case globs resolve as they do for a deployment.
 */
import { mkdtemp, mkdir, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { FamilyPlan } from '../../src/plan/index.js';
import { testPlan, writePlanFile } from './plan-builder.js';

/** What differs between the runner's test files: names, routes, the two upstreams and the cases. */
export interface ContractFamilyOptions {
  /** Start of the temporary folder's name, so a leftover folder names its test. */
  tmpPrefix: string;
  /** The plan's name. */
  plan: string;
  /** The family's name; its cases are written to `cases/<family>.yaml`. */
  family: string;
  routes: string[];
  legacy: string;
  candidate: string;
  /** The case file's YAML text. */
  cases: string;
}

/** Writes the case file and the plan, and returns the plan's one family as loaded. */
export async function contractFamily(o: ContractFamilyOptions): Promise<FamilyPlan> {
  const dir = await mkdtemp(path.join(os.tmpdir(), o.tmpPrefix));
  await mkdir(path.join(dir, 'cases'));
  await writeFile(path.join(dir, 'cases', `${o.family}.yaml`), o.cases);
  const plan = await writePlanFile(
    path.join(dir, 'plan.yaml'),
    testPlan({
      name: o.plan,
      legacy: o.legacy,
      families: [{ name: o.family, routes: o.routes, new: o.candidate, contracts: ['cases/*.yaml'] }],
    }),
  );
  return plan.families[0]!;
}
