import { test } from 'node:test';
import assert from 'node:assert/strict';
import { computeCoverage } from '../../src/contracts/coverage.js';
import { generateCases } from '../../src/contracts/generate.js';
import { parseOpenApi } from '../../src/contracts/inventory.js';
import { buildPlan, testPlan } from '../helpers/plan-builder.js';

test('with the new service\'s OpenAPI, endpoints it has no operation for are "missing" before any case runs; deprecated still wins', async () => {
  const plan = await buildPlan(
    testPlan({
      legacy: 'http://127.0.0.1:5000',
      families: [
        {
          name: 'users',
          routes: ['GET /api/users/:id', 'GET /api/users/:id/avatar', 'POST /api/users', 'GET /api/users/export.csv'],
          deprecated: ['GET /api/users/export.csv'],
          new: 'http://127.0.0.1:8001',
        },
      ],
    }),
  );
  const openapi = {
    openapi: '3.1.0',
    paths: { '/api/users/{user_id}': { get: {} }, '/api/users': { post: {}, get: {} } },
  };
  const report = computeCoverage(plan.families, [], { newOperations: parseOpenApi(openapi, 'openapi.json') });
  assert.deepEqual(
    report.rows.map((r) => [r.pattern, r.status]),
    [
      ['GET /api/users/:id', 'untested'],
      ['GET /api/users/:id/avatar', 'missing'],
      ['POST /api/users', 'untested'],
      ['GET /api/users/export.csv', 'deprecated'],
    ],
  );
  const without = computeCoverage(plan.families, []);
  assert.equal(
    without.rows.find((r) => r.pattern === 'GET /api/users/:id/avatar')!.status,
    'untested',
    'without OpenAPI there is no evidence yet',
  );
});

test('generated cases: GETs always; POST/PUT/PATCH only with --include-unsafe and an example body; DELETE never', () => {
  const doc = {
    paths: {
      '/api/users': {
        get: {},
        post: {
          requestBody: {
            content: {
              'application/json': { examples: { ann: { value: { name: 'Ann', email: 'ann@example.com' } } } },
            },
          },
        },
      },
      '/api/users/{user_id}': {
        get: { parameters: [{ name: 'user_id', in: 'path', schema: { example: 3 } }] },
        patch: { requestBody: { content: { 'application/json': { schema: { type: 'object' } } } } },
        delete: {},
      },
    },
  };
  const family = { name: 'users', routes: ['/api/users/*', 'GET /api/users', 'POST /api/users'] };
  const safe = generateCases(doc, family, []);
  assert.deepEqual(
    safe.cases.map((c) => c.name),
    ['generated: GET /api/users', 'generated: GET /api/users/3'],
  );
  assert.deepEqual(
    safe.skipped.map((s) => s.operation),
    ['POST /api/users', 'PATCH /api/users/:user_id', 'DELETE /api/users/:user_id'],
  );
  const all = generateCases(doc, family, [], { includeUnsafe: true });
  const post = all.cases.find((c) => c.request.method === 'POST');
  assert.deepEqual(post?.request.body, { name: 'Ann', email: 'ann@example.com' });
  assert.deepEqual(
    all.skipped.map((s) => [s.operation, s.why]),
    [
      ['PATCH /api/users/:user_id', 'no example JSON body in the OpenAPI document'],
      ['DELETE /api/users/:user_id', 'DELETE is never generated: write it by hand against data made for it'],
    ],
  );
});
