/**
 * The text `phoenix init` writes, on inputs the example apps do not give: endpoints the new
 * service lacks, a family whose routes all need parameters, approvers given.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isCollection, parseDocument, visit } from 'yaml';
import { caseSkeletonText, initPlanText, type InitPlanInput } from '../../src/cli/init-plan.js';
import { parseCaseFile } from '../../src/contracts/cases.js';
import { parsePlan, PlanError } from '../../src/plan/index.js';

const input: InitPlanInput = {
  name: 'shop',
  legacy: 'http://legacy.internal:5000',
  new: 'https://new.internal',
  legacySource: 'app.py (Flask URL map)',
  openApiSource: 'openapi.json',
  groupBy: 'prefix',
  router: { publicUrl: 'http://127.0.0.1:8080', adminUrl: 'http://127.0.0.1:9090', stateFile: 'state.json' },
  approvers: [],
  families: [
    {
      name: 'accounts',
      routes: ['GET /v2/accounts/:id', 'PUT /v2/accounts/:id'],
      missingInNew: ['DELETE /v2/accounts/:id'],
    },
  ],
  notInNew: [{ method: 'GET', path: '/admin/stats' }],
  contractsGlob: (f) => `contracts/${f}/*.yaml`,
};

function blockStyle(text: string): void {
  const doc = parseDocument(text);
  assert.deepEqual(doc.errors, []);
  visit(doc, (_k, node) => {
    if (isCollection(node)) assert.ok(!node.flow, `flow style: ${String(node)}`);
  });
}

test('endpoints the new service lacks are comments, not routes; the placeholder is the only problem', async () => {
  const text = initPlanText(input);
  blockStyle(text);
  assert.match(text, /#\s+GET \/admin\/stats\n/);
  assert.match(text, /# +- "DELETE \/v2\/accounts\/:id"\n/);
  const err = await parsePlan(text, '/tmp/phoenix.yaml').catch((e: unknown) => e);
  assert.ok(err instanceof PlanError);
  assert.deepEqual(
    err.problems.map((p) => p.path),
    ['approvers[0]'],
  );
  const plan = await parsePlan(initPlanText({ ...input, approvers: ['alice', 'U0BOB'] }), '/tmp/phoenix.yaml');
  assert.deepEqual(plan.approvers, ['alice', 'U0BOB']);
  assert.deepEqual(plan.families[0]!.routes, ['GET /v2/accounts/:id', 'PUT /v2/accounts/:id']);
  assert.equal(plan.router.stateFile, 'state.json');
  assert.equal(plan.families[0]!.legacy, 'http://legacy.internal:5000');
});

test('a family whose routes all need values gets no case file; otherwise the skeleton is a valid case file', () => {
  assert.equal(
    caseSkeletonText({ name: 'accounts', routes: ['GET /v2/accounts/:id', 'POST /v2/accounts'] }),
    undefined,
  );
  const text = caseSkeletonText({ name: 'files', routes: ['GET /files', 'GET /files/*', 'POST /files'] })!;
  blockStyle(text);
  const cases = parseCaseFile(text, 'files.yaml', 'files');
  assert.deepEqual(
    cases.map((c) => [c.request.method, c.request.path, c.expect.status]),
    [['GET', '/files', 200]],
  );
  assert.match(text, /# +path: "\/files\/\*"\n/);
  assert.match(text, /# +method: POST\n\s+# +path: "\/files"\n\s+# +body:/);
});
