/** Plan text for tests of one field: a one-family plan, and the problems validation finds. */
import assert from 'node:assert/strict';
import { parsePlan, PlanError } from '../../src/plan/index.js';

/** A valid plan with family `users`; `family` is YAML appended to the family (4-space indent). */
export const oneFamilyPlan = (family: string): string => `version: 1
name: shop
legacy: http://127.0.0.1:5000
approvers: [alice]
families:
  - name: users
    routes: ["GET /api/users/*"]
    new: http://127.0.0.1:8001
${family}`;

/** The problems of a plan validation must refuse (`PHX_ERR_PLAN_INVALID`); fails if it is accepted. */
export async function planProblems(text: string): Promise<{ path: string; message: string; line?: number }[]> {
  try {
    await parsePlan(text, '/tmp/plan.yaml', 'plan.yaml');
  } catch (err) {
    assert.ok(err instanceof PlanError, `expected a PlanError, got ${String(err)}`);
    assert.equal(err.code, 'PHX_ERR_PLAN_INVALID');
    return err.problems;
  }
  assert.fail('the plan was accepted');
}
