/**
 * `phoenix init` as a child process on the example Flask monolith (read in its own Python) and the
 * running FastAPI services' OpenAPI: the plan it writes is block-style YAML that loads through the
 * plan schema once the approvers placeholder is replaced, its case skeletons are valid case files,
 * an existing plan is kept, and bad input names what to fix.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { isCollection, parseDocument, visit } from 'yaml';
import { ensurePythonEnv, startPythonApp, type RunningPythonApp } from '../../scripts/python-env.js';
import { loadCaseFile } from '../../src/contracts/cases.js';
import { APPROVER_PLACEHOLDER, loadPlan, PlanError } from '../../src/plan/index.js';
import { freePort } from '../helpers/ports.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const APP = path.join(ROOT, 'examples/legacy-flask/app.py');
let python: string;
let fresh: RunningPythonApp;
let logs: string;
const dirs: string[] = [];

function phoenix(cwd: string, ...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [path.join(ROOT, 'bin/phoenix.mjs'), ...args],
      { cwd, timeout: 60_000 },
      (err, stdout, stderr) => resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

/** `init` from a Flask app read in `py`, as most tests run it; `rest` adds the flags a test varies. */
function initFlask(
  cwd: string,
  app: string,
  py: string,
  openapi: string,
  ...rest: string[]
): ReturnType<typeof phoenix> {
  return phoenix(cwd, 'init', '--flask-app', app, '--python', py, '--openapi', openapi, ...rest);
}

async function emptyDir(): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'phx-init-'));
  dirs.push(dir);
  return dir;
}

before(async () => {
  ({ python } = await ensurePythonEnv({ root: ROOT }));
  logs = await mkdtemp(path.join(os.tmpdir(), 'phx-init-logs-'));
  fresh = await startPythonApp(python, path.join(ROOT, 'examples/fastapi-services/main.py'), ['--service', 'all'], {
    logFile: path.join(logs, 'new.log'),
  });
});

after(async () => {
  await fresh?.stop();
  for (const d of [...dirs, logs]) if (d) await rm(d, { recursive: true, force: true });
});

test('init in an empty directory writes a block-style plan that loads once the approvers placeholder is replaced', async () => {
  const dir = await emptyDir();
  const r = await initFlask(dir, APP, python, `${fresh.url}/openapi.json`, '--legacy', 'http://127.0.0.1:5000');
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /wrote phoenix\.yaml: 5 families from 15 legacy endpoints/);
  assert.match(r.stdout, /Next steps.*\n\s+1\. edit phoenix\.yaml: replace the approvers placeholder/);
  assert.match(r.stdout, /\d\. phoenix plan validate phoenix\.yaml\n/);
  assert.match(r.stdout, /\d\. phoenix start catalog --plan phoenix\.yaml/);

  const file = path.join(dir, 'phoenix.yaml');
  const text = await readFile(file, 'utf8');
  assert.match(text, /^# /, 'the plan starts with comments');
  const doc = parseDocument(text);
  assert.deepEqual(doc.errors, []);
  visit(doc, (_key, node) => {
    if (isCollection(node)) assert.ok(!node.flow, `flow-style collection in the plan: ${String(node)}`);
  });

  // The placeholder is refused by the schema, at the field, until it is replaced.
  await assert.rejects(loadPlan(file), (err: unknown) => {
    assert.ok(err instanceof PlanError);
    assert.deepEqual(
      err.problems.map((p) => [p.path, p.line]),
      [['approvers[0]', text.split('\n').findIndex((l) => l.includes(APPROVER_PLACEHOLDER)) + 1]],
    );
    assert.match(err.problems[0]!.message, /replace the placeholder written by `phoenix init`/);
    return true;
  });
  const validate = await phoenix(dir, 'plan', 'validate', 'phoenix.yaml');
  assert.equal(validate.code, 1);
  assert.match(validate.stderr, /phoenix\.yaml:\d+ approvers\[0\]: replace the placeholder/);

  await writeFile(file, text.replace(JSON.stringify(APPROVER_PLACEHOLDER), 'alice'));
  const plan = await loadPlan(file);
  assert.deepEqual(plan.approvers, ['alice']);
  assert.deepEqual(
    plan.families.map((f) => f.name),
    ['catalog', 'orders', 'reports', 'users', 'healthz'],
  );
  const users = plan.families.find((f) => f.name === 'users')!;
  assert.deepEqual(users.routes, [
    'GET /api/users',
    'GET /api/users/:user_id',
    'GET /api/users/:user_id/recommendations',
    'POST /api/users',
  ]);
  assert.equal(users.new, fresh.url, 'new comes from the URL the OpenAPI document was read from');
  assert.equal(users.legacy, 'http://127.0.0.1:5000');
  assert.deepEqual(users.contractFiles, [path.join(dir, 'contracts/users/hand.yaml')]);

  // Each skeleton is a valid case file of its family: the parameterless GETs as cases, the rest commented.
  for (const f of plan.families) {
    assert.equal(f.contractFiles.length, 1, f.name);
    const cases = await loadCaseFile(f.contractFiles[0]!, f.name);
    assert.ok(cases.length > 0, f.name);
    for (const c of cases) assert.ok(f.routes.includes(`${c.request.method} ${c.request.path}`), c.name);
  }
  const usersCases = await readFile(path.join(dir, 'contracts/users/hand.yaml'), 'utf8');
  assert.match(usersCases, /# +path: "\/api\/users\/:user_id"/);
  const valid = await phoenix(dir, 'plan', 'validate', 'phoenix.yaml');
  assert.equal(valid.code, 0, valid.stderr);
});

test('an existing plan is kept unless --force; --json prints what was written', async () => {
  const dir = await emptyDir();
  const args = ['init', '--flask-app', APP, '--python', python, '--openapi', `${fresh.url}/openapi.json`];
  await writeFile(path.join(dir, 'phoenix.yaml'), '# mine\n');
  const refused = await phoenix(dir, ...args, '--legacy', 'http://127.0.0.1:5000');
  assert.equal(refused.code, 5, refused.stderr);
  assert.match(refused.stderr, /^PHX_ERR_INIT_PLAN_EXISTS: phoenix\.yaml already exists .*--force/);
  assert.equal(await readFile(path.join(dir, 'phoenix.yaml'), 'utf8'), '# mine\n');
  assert.deepEqual(await readdir(dir), ['phoenix.yaml'], 'nothing else written either');

  const forced = await phoenix(
    dir,
    ...args,
    '--legacy',
    'http://127.0.0.1:5000',
    '--approver',
    'alice',
    'U0BOB',
    '--name',
    'shop',
    '--force',
    '--json',
  );
  assert.equal(forced.code, 0, forced.stderr);
  const out = JSON.parse(forced.stdout) as {
    plan: string;
    name: string;
    new: string;
    approversPlaceholder: boolean;
    families: { name: string; routes: string[] }[];
    contracts: { family: string; file: string; written: boolean }[];
    nextSteps: string[];
  };
  assert.equal(out.plan, 'phoenix.yaml');
  assert.equal(out.name, 'shop');
  assert.equal(out.new, fresh.url);
  assert.equal(out.approversPlaceholder, false);
  assert.equal(out.families.length, 5);
  assert.deepEqual(
    out.contracts.map((c) => [c.file, c.written]),
    out.families.map((f) => [path.join('contracts', f.name, 'hand.yaml'), true]),
  );
  assert.equal(out.nextSteps[0], 'phoenix plan validate phoenix.yaml');
  const plan = await loadPlan(path.join(dir, 'phoenix.yaml'));
  assert.equal(plan.name, 'shop');
  assert.deepEqual(plan.approvers, ['alice', 'U0BOB']);

  // A case file the user already has is kept, even when the plan is written again.
  const mine = path.join(dir, 'contracts/users/hand.yaml');
  await writeFile(mine, 'family: users\ncases:\n  - name: mine\n    request:\n      path: /api/users/3\n');
  await rm(path.join(dir, 'phoenix.yaml'));
  const again = await phoenix(dir, ...args, '--legacy', 'http://127.0.0.1:5000', '--json');
  assert.equal(again.code, 0, again.stderr);
  const kept = (JSON.parse(again.stdout) as typeof out).contracts.find((c) => c.family === 'users');
  assert.deepEqual(kept, { family: 'users', file: path.join('contracts', 'users', 'hand.yaml'), written: false });
  assert.match(await readFile(mine, 'utf8'), /name: mine/);
});

test('saved `flask routes` output and an OpenAPI file work; a file that does not say where the new service runs needs --new', async () => {
  const dir = await emptyDir();
  const { stdout: routes } = await promisify(execFile)(python, ['-m', 'flask', '--app', APP, 'routes'], { cwd: dir });
  await writeFile(path.join(dir, 'routes.txt'), routes);
  const res = await fetch(`${fresh.url}/openapi.json`);
  await writeFile(path.join(dir, 'openapi.json'), await res.text());
  const base = ['init', '--flask-routes', 'routes.txt', '--openapi', 'openapi.json', '--legacy', 'http://legacy:5000'];
  const noNew = await phoenix(dir, ...base);
  assert.equal(noNew.code, 2, noNew.stderr);
  assert.match(noNew.stderr, /^PHX_ERR_INIT_NEW_REQUIRED: .*openapi\.json.*pass --new <url>/);

  const r = await phoenix(dir, ...base, '--new', 'http://new:8001', '--group-by', 'prefix', '--plan', 'plans/x.yaml');
  assert.equal(r.code, 0, r.stderr);
  const text = await readFile(path.join(dir, 'plans/x.yaml'), 'utf8');
  const plan = await loadPlan(path.join(dir, 'plans/x.yaml')).catch((err: unknown) => {
    assert.ok(err instanceof PlanError);
    assert.deepEqual(
      err.problems.map((p) => p.path),
      ['approvers[0]'],
    );
    return loadPlanAfterReplacing(path.join(dir, 'plans/x.yaml'), text);
  });
  assert.equal(plan.name, 'plans');
  assert.deepEqual(
    plan.families.map((f) => [f.name, f.new]).sort(),
    ['catalog', 'healthz', 'orders', 'reports', 'users'].map((n) => [n, 'http://new:8001']),
  );
  assert.ok(plan.families.every((f) => f.contractFiles[0]?.startsWith(path.join(dir, 'plans/contracts/'))));
});

async function loadPlanAfterReplacing(file: string, text: string): ReturnType<typeof loadPlan> {
  await writeFile(file, text.replace(JSON.stringify(APPROVER_PLACEHOLDER), 'alice'));
  return loadPlan(file);
}

test('bad input names what to fix: usage, an unreachable OpenAPI, a missing app, a Python that fails or does not exist', async () => {
  const dir = await emptyDir();
  const openapi = `${fresh.url}/openapi.json`;
  const legacy = ['--legacy', 'http://127.0.0.1:5000'];

  const neither = await phoenix(dir, 'init', '--openapi', openapi, ...legacy);
  assert.equal(neither.code, 2);
  assert.match(neither.stderr, /^PHX_ERR_CLI_BAD_FLAG: pass exactly one of --flask-app/);
  const noLegacy = await initFlask(dir, APP, python, openapi);
  assert.equal(noLegacy.code, 2);
  assert.match(noLegacy.stderr, /^PHX_ERR_USAGE_MISSING_OPTION: .*--legacy/);
  const badUrl = await phoenix(dir, 'init', '--flask-app', APP, '--openapi', openapi, '--legacy', 'localhost:5000');
  assert.equal(badUrl.code, 2);
  assert.match(badUrl.stderr, /^PHX_ERR_CLI_BAD_FLAG: --legacy expects an http\(s\) URL, got "localhost:5000"/);

  const port = await freePort();
  const unreachable = await initFlask(dir, APP, python, `http://127.0.0.1:${port}/openapi.json`, ...legacy);
  assert.equal(unreachable.code, 3, unreachable.stderr);
  assert.match(
    unreachable.stderr,
    new RegExp(
      `^PHX_ERR_INPUT_UNREACHABLE: cannot fetch the OpenAPI document \\(--openapi\\) from http://127.0.0.1:${port}/openapi.json`,
    ),
  );

  const missing = await initFlask(dir, 'app.py', python, openapi, ...legacy);
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /^PHX_ERR_FLASK_APP_NOT_FOUND: the Flask app "app.py" does not exist/);

  await writeFile(path.join(dir, 'broken.py'), 'import phoenix_no_such_module\n');
  const failing = await initFlask(dir, 'broken.py', python, openapi, ...legacy);
  assert.equal(failing.code, 1);
  assert.match(failing.stderr, /^PHX_ERR_FLASK_URL_MAP_FAILED: reading the URL map of broken\.py with /);
  assert.match(failing.stderr, /ModuleNotFoundError: No module named 'phoenix_no_such_module'/);
  assert.match(failing.stderr, /--python path\/to\/venv\/bin\/python/);

  const noPython = await initFlask(dir, APP, path.join(dir, 'no-python'), openapi, ...legacy);
  assert.equal(noPython.code, 1);
  assert.match(noPython.stderr, /^PHX_ERR_PYTHON_UNAVAILABLE: cannot run the Python .*no-python.*--python/);
  assert.deepEqual((await readdir(dir)).sort(), ['broken.py'], 'no plan is written on bad input');
});

test('an app never seen, imported as module:app: a family the new service lacks stays on legacy, a missing route is a comment', async () => {
  const dir = await emptyDir();
  await writeFile(
    path.join(dir, 'greenhouse.py'),
    [
      'from flask import Blueprint, Flask',
      'plants = Blueprint("plants", __name__)',
      '@plants.get("/v1/plants")',
      'def all_plants(): return []',
      '@plants.get("/v1/plants/<int:plant_id>")',
      'def one_plant(plant_id): return {}',
      'def make():',
      '    a = Flask(__name__)',
      '    a.register_blueprint(plants)',
      '    a.add_url_rule("/v1/admin/stats", "stats", lambda: {})',
      '    return a',
      'application = make()',
      '',
    ].join('\n'),
  );
  await writeFile(
    path.join(dir, 'openapi.json'),
    JSON.stringify({
      openapi: '3.1.0',
      servers: [{ url: 'http://new.internal:9000/' }],
      paths: { '/v1/plants': { get: {} } },
    }),
  );
  const r = await initFlask(
    dir,
    'greenhouse:application',
    python,
    'openapi.json',
    '--legacy',
    'http://legacy.internal:5000',
    '--approver',
    'alice',
    '--json',
  );
  assert.equal(r.code, 0, r.stderr);
  const out = JSON.parse(r.stdout) as { new: string; families: unknown[]; notInNew: string[] };
  assert.equal(out.new, 'http://new.internal:9000');
  assert.deepEqual(out.families, [
    { name: 'plants', routes: ['GET /v1/plants'], missingInNew: ['GET /v1/plants/:plant_id'] },
  ]);
  assert.deepEqual(out.notInNew, ['GET /v1/admin/stats']);
  const text = await readFile(path.join(dir, 'phoenix.yaml'), 'utf8');
  assert.match(text, /#\s+GET \/v1\/admin\/stats\n/);
  const plan = await loadPlan(path.join(dir, 'phoenix.yaml'));
  assert.deepEqual(
    plan.families.map((f) => [f.name, f.routes, f.new]),
    [['plants', ['GET /v1/plants'], 'http://new.internal:9000']],
  );
});
