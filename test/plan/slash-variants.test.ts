import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { parsePlan } from '../../src/plan/index.js';
import { createMatcher } from '../../src/plan/route-match.js';

/** Both plan tests start alike, with family `tags` on `tagsRoutes`; `more` is YAML for further families. */
const slashPlan = (tagsRoutes: string, more = ''): string => `version: 1
name: slashes
legacy: http://127.0.0.1:5000
approvers: [alice]
families:
  - name: tags
    routes: [${tagsRoutes}]
    new: http://127.0.0.1:8001
${more}`;

describe('trailing-slash variants', () => {
  test('a family owns both slash variants of its patterns', () => {
    const m = createMatcher([{ routes: ['GET /api/tags', 'GET /api/articles/:slug'] }]);
    assert.equal(m.match('GET', '/api/tags')?.route, 'GET /api/tags');
    assert.equal(m.match('GET', '/api/tags/')?.route, 'GET /api/tags');
    assert.equal(m.match('GET', '/api/articles/hello/')?.route, 'GET /api/articles/:slug');
    assert.equal(m.match('GET', '/api/tags//'), undefined, 'only one trailing slash is a variant');
    assert.equal(m.match('GET', '/'), undefined);
  });

  test('strictSlashes keeps /x/ a different path', () => {
    const m = createMatcher([{ routes: ['GET /api/tags'], strictSlashes: true }]);
    assert.equal(m.match('GET', '/api/tags')?.family, 0);
    assert.equal(m.match('GET', '/api/tags/'), undefined);
  });

  test("a pattern that matches the variant as written wins over another family's variant", () => {
    const m = createMatcher([{ routes: ['GET /api/tags'] }, { routes: ['/api/tags/*'] }]);
    assert.equal(m.match('GET', '/api/tags')?.family, 0);
    assert.equal(m.match('GET', '/api/tags/')?.family, 1);
  });

  test('validation warns when two families would split one path by its trailing slash', async () => {
    const plan = await parsePlan(
      slashPlan(
        '"GET /api/tags"',
        `  - name: everything
    routes: ["/api/tags/*"]
    new: http://127.0.0.1:8002
  - name: strict
    routes: ["GET /api/strict"]
    new: http://127.0.0.1:8003
    strictSlashes: true
`,
      ),
      '/tmp/plan.yaml',
      'plan.yaml',
    );
    assert.equal(plan.warnings.length, 1);
    assert.equal(plan.warnings[0]!.path, 'families[0].routes[0]');
    assert.equal(plan.warnings[0]!.line, 7);
    assert.match(plan.warnings[0]!.message, /claimed by "\/api\/tags\/\*" of family "everything"/);
  });

  test('a plan whose families do not meet at a slash has no warnings', async () => {
    const plan = await parsePlan(slashPlan('"GET /api/tags", "GET /api/tags/:id"'), '/tmp/plan.yaml');
    assert.deepEqual(plan.warnings, []);
  });
});
