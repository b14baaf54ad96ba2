/**
 * Usage errors, `--version` and a router that cannot start, as scripts see them: `phoenix` as a
 * child process, exit codes and `PHX_ERR_*` codes first on stderr.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { closestCommands } from '../../src/cli/program.js';
import { fakeUpstream, type FakeUpstream } from '../helpers/fake-upstream.js';
import { writePlanFile } from '../helpers/plan-builder.js';

const ROOT = path.resolve(import.meta.dirname, '..', '..');

function phoenix(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [path.join(ROOT, 'bin/phoenix.mjs'), ...args],
      { env: { ...process.env, PHOENIX_LOG_LEVEL: 'warn' }, timeout: 30_000 },
      (err, stdout, stderr) => resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

let dir: string;
let busy: FakeUpstream;
let busyPort: number;
let plan: string;

before(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'phx-usage-'));
  busy = await fakeUpstream((_req, res) => res.end('taken'));
  busyPort = busy.port;
  plan = path.join(dir, 'plan.yaml');
  await writePlanFile(plan, {
    version: 1,
    name: 'usage',
    legacy: `http://127.0.0.1:${busyPort}`,
    approvers: ['alice'],
    families: [{ name: 'users', routes: ['GET /api/users/*'], new: 'http://127.0.0.1:9' }],
  });
});
after(async () => {
  await busy?.close();
  await rm(dir, { recursive: true, force: true });
});

test('usage errors exit 2 with a PHX_ERR code first, and name what was expected', async () => {
  const cases: [string[], RegExp][] = [
    [['stat'], /^PHX_ERR_USAGE_UNKNOWN_COMMAND: unknown command 'stat' \(did you mean status\?\)/],
    [['strat'], /^PHX_ERR_USAGE_UNKNOWN_COMMAND: unknown command 'strat' \(did you mean start\?\)/],
    [['status', '--bogus'], /^PHX_ERR_USAGE_UNKNOWN_OPTION: unknown option '--bogus'/],
    [['plan', 'validate'], /^PHX_ERR_USAGE_MISSING_ARGUMENT: missing required argument 'file'/],
    [['router', '--plan'], /^PHX_ERR_USAGE_MISSING_OPTION_VALUE: option '--plan <file>' argument missing/],
    [['approve', 'users', '--step', 'ramp:5'], /^PHX_ERR_USAGE_MISSING_OPTION: required option '--as <user>'/],
  ];
  for (const [args, expected] of cases) {
    const r = await phoenix(...args);
    assert.equal(r.code, 2, args.join(' '));
    assert.match(r.stderr, expected);
    assert.match(r.stderr, /\(run with --help for usage\)\n$/);
  }
});

test('--version prints the package version', async () => {
  const pkg = JSON.parse(await readFile(path.join(ROOT, 'package.json'), 'utf8')) as { version: string };
  for (const flag of ['--version', '-V']) {
    const r = await phoenix(flag);
    assert.equal(r.code, 0);
    assert.equal(r.stdout.trim(), pkg.version);
  }
});

test('suggestions prefer the command the typed word begins, then the nearest by edits', () => {
  const names = ['start', 'status', 'approve', 'abort', 'router'];
  assert.deepEqual(closestCommands('stat', names), ['status']);
  assert.deepEqual(closestCommands('st', names), ['start', 'status']);
  assert.deepEqual(closestCommands('aprove', names), ['approve']);
  assert.deepEqual(closestCommands('deploy', names), []);
});

test('a router whose port is taken exits 1 at once and names the port', async () => {
  for (const args of [
    ['--port', String(busyPort), '--admin-port', '0'],
    ['--port', '0', '--admin-port', String(busyPort)],
  ]) {
    const r = await phoenix(
      'router',
      '--plan',
      plan,
      '--insecure-admin',
      '--state-file',
      path.join(dir, 's.json'),
      ...args,
    );
    assert.equal(r.code, 1, r.stderr);
    const which = args[1] === String(busyPort) ? 'public' : 'admin';
    assert.match(
      r.stderr,
      new RegExp(
        `^PHX_ERR_ROUTER_LISTEN: cannot listen on the ${which} port 127\\.0\\.0\\.1:${busyPort} \\(EADDRINUSE\\)`,
        'm',
      ),
    );
  }
});
