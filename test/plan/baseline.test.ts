import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { hasCode } from '../../src/lib/errors.js';
import { baselinePath, loadBaseline, writeDecision } from '../../src/plan/baseline.js';
import { loadPlan, PlanError } from '../../src/plan/index.js';

const dirs: string[] = [];
after(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});
async function tmp(): Promise<string> {
  const d = await mkdtemp(path.join(tmpdir(), 'phx-baseline-'));
  dirs.push(d);
  return d;
}

const AT = '2026-12-01T12:00:00.000Z';
const PLAN = `version: 1
name: shop
legacy: http://127.0.0.1:5001
approvers: [alice]
families:
  - name: things
    routes: ["GET /api/things/*"]
    new: http://127.0.0.1:5002
`;

describe('triage baseline', () => {
  test('sits next to the plan by default, or where the plan says', () => {
    assert.equal(baselinePath('/x/plans/shop.yaml'), '/x/plans/shop.baseline.yaml');
    assert.equal(baselinePath('/x/plans/shop.yaml', 'triage/b.yaml'), '/x/plans/triage/b.yaml');
  });

  test('a missing file is no decisions; writing creates it, then adds and updates in place keeping comments', async () => {
    const dir = await tmp();
    const file = path.join(dir, 'plan.baseline.yaml');
    assert.equal((await loadBaseline(file)).size, 0);
    await writeDecision(file, 'things', { id: 'aaaaaaaaaaaa', decision: 'noise', by: 'alice', at: AT });
    let text = await readFile(file, 'utf8');
    assert.doesNotMatch(text, /\{|\[/, 'block style');
    await writeFile(file, text.replace('families:', '# reviewed in PR 42\nfamilies:') + '  # orders come later\n');
    await writeDecision(file, 'things', {
      id: 'bbbbbbbbbbbb',
      decision: 'accept',
      reason: 'new answers 201 on create',
      by: 'alice',
      at: AT,
      text: 'POST /api/things status 200→201',
    });
    await writeDecision(file, 'things', { id: 'aaaaaaaaaaaa', decision: 'block', by: 'bob', at: AT });
    text = await readFile(file, 'utf8');
    assert.match(text, /# reviewed in PR 42\nfamilies:/);
    assert.match(text, /# orders come later/);
    assert.ok(text.indexOf('aaaaaaaaaaaa') < text.indexOf('bbbbbbbbbbbb'), 'updated entry keeps its place');
    const b = await loadBaseline(file);
    assert.deepEqual(
      b.get('things')!.map((e) => [e.id, e.decision, e.by, e.reason]),
      [
        ['aaaaaaaaaaaa', 'block', 'bob', undefined],
        ['bbbbbbbbbbbb', 'accept', 'alice', 'new answers 201 on create'],
      ],
    );
  });

  test('bad entries are refused naming the file, line and field', async () => {
    const dir = await tmp();
    const file = path.join(dir, 'b.yaml');
    await writeFile(
      file,
      `version: 1\nfamilies:\n  things:\n    - id: aaaaaaaaaaaa\n      decision: accept\n      by: alice\n      at: ${AT}\n    - id: nope\n      decision: maybe\n      by: bob\n      at: ${AT}\n`,
    );
    await assert.rejects(loadBaseline(file), (e: unknown) => {
      assert.ok(e instanceof PlanError && hasCode(e, 'PHX_ERR_PLAN_INVALID'));
      const msg = e.message;
      assert.match(msg, /b\.yaml:\d+ families\.things\[0\]\.reason: an accepted signature needs a reason/);
      assert.match(msg, /b\.yaml:8 families\.things\[1\]\.id: expected a 12-hex-digit signature id/);
      assert.match(msg, /families\.things\[1\]\.decision: expected one of "accept", "noise", "block"/);
      return true;
    });
  });

  test('the plan loader gives each family its decisions and refuses unknown families', async () => {
    const dir = await tmp();
    const plan = path.join(dir, 'shop.yaml');
    await writeFile(plan, PLAN);
    assert.deepEqual((await loadPlan(plan)).families[0]!.triage, []);
    await writeDecision(path.join(dir, 'shop.baseline.yaml'), 'things', {
      id: 'cccccccccccc',
      decision: 'noise',
      by: 'alice',
      at: AT,
    });
    const loaded = await loadPlan(plan);
    assert.equal(loaded.baselineFile, path.join(dir, 'shop.baseline.yaml'));
    assert.deepEqual(
      loaded.families[0]!.triage?.map((e) => e.id),
      ['cccccccccccc'],
    );
    await writeDecision(path.join(dir, 'shop.baseline.yaml'), 'orders', {
      id: 'cccccccccccc',
      decision: 'noise',
      by: 'alice',
      at: AT,
    });
    await assert.rejects(loadPlan(plan), /families\.orders: unknown family "orders"/);
  });
});
