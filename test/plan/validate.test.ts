import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { parsePlan, PlanError, migrationOrder } from '../../src/plan/index.js';
import { planProblems } from '../helpers/plan-text.js';

const run = promisify(execFile);

const base = `version: 1
name: shop
legacy: http://127.0.0.1:5000
families:
  - name: users
    routes: ["GET /api/users/*", "POST /api/users"]
    new: http://127.0.0.1:8001
  - name: orders
    routes: ["/api/orders/*"]
    new: http://127.0.0.1:8002
    dependsOn: [users]
approvers: [alice]
`;

describe('plan validation', () => {
  test('approval steps without anyone allowed to approve are refused', async () => {
    const found = await planProblems(base.replace('approvers: [alice]\n', ''));
    assert.deepEqual(
      found.map((p) => p.path),
      ['families[0].approval.approvers', 'families[1].approval.approvers'],
    );
    assert.match(found[0]!.message, /nobody may approve/);
  });

  test('a valid plan gets every default', async () => {
    const plan = await parsePlan(base, '/tmp/plan.yaml');
    const users = plan.families[0]!;
    assert.equal(users.legacy, 'http://127.0.0.1:5000');
    assert.deepEqual(
      users.ramp.steps.map((s) => s.percent),
      [1, 5, 25, 50, 100],
    );
    assert.equal(users.parity.minSamples, 100);
    assert.deepEqual(users.diff.headers, ['content-type']);
    assert.equal(plan.router.adminUrl, 'http://127.0.0.1:9090');
    assert.deepEqual(
      migrationOrder(plan.families).map((f) => f.name),
      ['users', 'orders'],
    );
  });

  test('an unknown key is named with its line', async () => {
    const p = await planProblems(
      base.replace('    new: http://127.0.0.1:8001', '    new: http://127.0.0.1:8001\n    nwe: oops'),
    );
    assert.equal(p.length, 1);
    assert.equal(p[0]!.path, 'families[0]');
    assert.match(p[0]!.message, /unknown key "nwe"/);
    assert.equal(p[0]!.line, 8);
  });

  test('a dependency cycle is named', async () => {
    const p = await planProblems(
      base.replace('    new: http://127.0.0.1:8001', '    new: http://127.0.0.1:8001\n    dependsOn: [orders]'),
    );
    assert.ok(
      p.some((x) => /dependency cycle: (users → orders → users|orders → users → orders)/.test(x.message)),
      JSON.stringify(p),
    );
  });

  test('duplicate family names are refused', async () => {
    const p = await planProblems(
      base.replace('name: orders', 'name: users').replace('dependsOn: [users]', 'dependsOn: []'),
    );
    assert.ok(
      p.some((x) => x.path === 'families[1].name' && /duplicate family name "users"/.test(x.message)),
      JSON.stringify(p),
    );
  });

  test('overlapping route patterns between families are refused', async () => {
    const nested = await parsePlan(
      base.replace('routes: ["/api/orders/*"]', 'routes: ["GET /api/users/:id/orders"]'),
      '/tmp/plan.yaml',
    );
    assert.equal(nested.families.length, 2, 'a strictly more specific pattern is allowed');
    const q = await planProblems(base.replace('routes: ["/api/orders/*"]', 'routes: ["GET /api/:kind/1"]'));
    assert.ok(
      q.some((x) => x.path === 'families[1].routes[0]' && /overlaps "GET \/api\/users\/\*"/.test(x.message)),
      JSON.stringify(q),
    );
  });

  test('percentages outside 0–100 are refused', async () => {
    const p = await planProblems(
      base.replace(
        '    dependsOn: [users]',
        '    dependsOn: [users]\n    ramp: { steps: [{ percent: 10 }, { percent: 150 }] }',
      ),
    );
    assert.ok(
      p.some((x) => x.path === 'families[1].ramp.steps[1].percent' && /between 0 and 100/.test(x.message)),
      JSON.stringify(p),
    );
  });

  test('percentages that do not increase are refused', async () => {
    const p = await planProblems(
      base.replace(
        '    dependsOn: [users]',
        '    dependsOn: [users]\n    ramp: { steps: [{ percent: 50 }, { percent: 25 }] }',
      ),
    );
    assert.ok(
      p.some((x) => x.path === 'families[1].ramp.steps[1].percent' && /must increase/.test(x.message)),
      JSON.stringify(p),
    );
  });

  test('a bad duration and a bad URL say what was expected', async () => {
    const p = await planProblems(
      base.replace('new: http://127.0.0.1:8002', 'new: ftp://x\n    parity: { timeout: soon }'),
    );
    assert.ok(
      p.some((x) => x.path === 'families[1].new' && /http\(s\) URL/.test(x.message)),
      JSON.stringify(p),
    );
    assert.ok(
      p.some((x) => x.path === 'families[1].parity.timeout' && /duration/.test(x.message)),
      JSON.stringify(p),
    );
  });

  test('an unknown dependency is named', async () => {
    const p = await planProblems(base.replace('dependsOn: [users]', 'dependsOn: [billing]'));
    assert.ok(
      p.some((x) => x.path === 'families[1].dependsOn[0]' && /unknown family "billing"/.test(x.message)),
      JSON.stringify(p),
    );
  });

  test('YAML syntax errors name the file and line', async () => {
    await assert.rejects(parsePlan('version: 1\nfamilies: [\n', '/tmp/p.yaml', 'p.yaml'), (err: unknown) => {
      assert.ok(err instanceof PlanError);
      assert.match(err.message, /p\.yaml/);
      return true;
    });
  });
});

describe('phoenix plan validate', () => {
  test('exits 0 on a valid plan and 1 with every problem on a bad one', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'phx-plan-'));
    const good = path.join(dir, 'good.yaml');
    const bad = path.join(dir, 'bad.yaml');
    await writeFile(good, base);
    await writeFile(
      bad,
      base.replace('dependsOn: [users]', 'dependsOn: [billing]').replace('name: shop', 'name: Shop'),
    );
    const ok = await run(process.execPath, ['bin/phoenix.mjs', 'plan', 'validate', good]);
    assert.match(ok.stdout, /^OK: .*2 families: users, orders/);
    const res = await run(process.execPath, ['bin/phoenix.mjs', 'plan', 'validate', bad, '--json']).catch(
      (e: { code: number; stdout: string }) => e,
    );
    assert.equal((res as { code: number }).code, 1);
    const out = JSON.parse((res as { stdout: string }).stdout) as { ok: boolean; problems: { path: string }[] };
    assert.equal(out.ok, false);
    assert.deepEqual(out.problems.map((x) => x.path).sort(), ['name']);
    const usage = await run(process.execPath, ['bin/phoenix.mjs', 'plan', 'validate']).catch(
      (e: { code: number }) => e,
    );
    assert.equal((usage as { code: number }).code, 2);
  });
});
