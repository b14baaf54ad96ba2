/**
 * The contract runner judges a faithful port it has never seen (examples/faithful-port): the
 * fixture's case files, run the way `phoenix contracts run` runs them, fail on every regressed
 * route and on no equivalent one, and five runs in a row give the same verdict. (The runner's
 * stability on volatile fields alone is tested over ten runs in test/contracts/runner-stability.)
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { runContractSuite, type ContractSuiteResult } from '../../src/contracts/runner.js';
import type { FamilyPlan } from '../../src/plan/index.js';
import {
  contractVerdict,
  judgeVerdict,
  loadExpectations,
  loadFixturePlan,
  regressedRoutes,
  startFixtureApps,
  type Expectations,
  type FixtureApps,
  type Verdict,
} from './fixture.js';

const RUNS = 5;

let apps: FixtureApps | undefined;
let family: FamilyPlan;
let expectations: Expectations;

before(async () => {
  expectations = await loadExpectations();
  apps = await startFixtureApps('contracts');
  const plan = await loadFixturePlan(apps);
  family = plan.families.find((f) => f.name === expectations.family)!;
});
after(async () => {
  await apps?.stop();
});

function explain(v: Verdict, suite: ContractSuiteResult): string {
  const failing = suite.cases
    .filter((c) => !c.passed)
    .map((c) => `${c.name}: ${c.failures.map((f) => f.message).join(' | ')}`);
  return `verdict ${JSON.stringify(v)}; judged ${JSON.stringify(judgeVerdict(expectations, v))}; failing cases:\n${failing.join('\n')}`;
}

describe('contract runner on the faithful-port fixture', () => {
  test(`the case files cover every route; ${RUNS} runs each flag exactly the regressed routes, with the same verdict every time`, async () => {
    const verdicts: Verdict[] = [];
    const judged: ReturnType<typeof judgeVerdict>[] = [];
    let firstWrong: string | undefined;
    for (let run = 1; run <= RUNS; run++) {
      // The same entry `phoenix contracts run` uses, with its default concurrency.
      const suite = await runContractSuite({ family, mode: 'parity', concurrency: 8 });
      if (run === 1)
        assert.deepEqual(
          [...new Set(suite.cases.map((c) => c.endpoint))].sort(),
          Object.keys(expectations.routes).sort(),
          'the case files cover every route of the fixture',
        );
      const v = contractVerdict(expectations, suite);
      const j = judgeVerdict(expectations, v);
      verdicts.push(v);
      judged.push(j);
      if (firstWrong === undefined && j.falseAlarms.length + j.missed.length + j.wrongKind.length > 0)
        firstWrong = `run ${run}: ${explain(v, suite)}`;
    }
    const clean = { falseAlarms: [], missed: [], wrongKind: [] };
    assert.deepEqual(
      judged,
      Array.from({ length: RUNS }, () => clean),
      firstWrong,
    );
    for (const v of verdicts) assert.deepEqual(Object.keys(v), regressedRoutes(expectations));
    for (const v of verdicts.slice(1)) assert.deepEqual(v, verdicts[0]);
  });
});
