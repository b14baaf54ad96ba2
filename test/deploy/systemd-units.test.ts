/**
 * The example systemd units in deploy/systemd/ (docs/production.md): each is a well-formed unit
 * that runs a real `phoenix` command line with flags the CLI takes, keeps secrets in the
 * environment file, restarts on failure, and passes `systemd-analyze verify` where it is installed.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { runPhoenix } from '../helpers/phoenix-cli.js';

const ROOT = path.resolve(import.meta.dirname, '..', '..');
const UNITS = path.join(ROOT, 'deploy', 'systemd');
const PREFIX = '/usr/bin/node /opt/phoenix/bin/phoenix.mjs ';
/** Variables that hold secrets: only the environment file may set them. */
const SECRETS = /^(PHOENIX_ADMIN_TOKEN|SLACK_[A-Z_]*|TEMPORAL_API_KEY|TEMPORAL_TLS_CLIENT_KEY[A-Z_]*)=/;

type Unit = Map<string, Map<string, string[]>>;

/** systemd's unit syntax: `[Section]`, `Key=value` (a key may repeat), `#`/`;` comments. */
function parseUnit(text: string, file: string): Unit {
  const unit: Unit = new Map();
  let section: Map<string, string[]> | undefined;
  text.split('\n').forEach((raw, i) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#') || line.startsWith(';')) return;
    const header = /^\[([A-Za-z]+)\]$/.exec(line);
    if (header) {
      unit.set(header[1]!, (section = new Map()));
      return;
    }
    const kv = /^([A-Za-z]+)=(.*)$/.exec(line);
    assert.ok(kv && section, `${file}:${i + 1}: expected [Section] or Key=value, got ${JSON.stringify(raw)}`);
    section.set(kv[1]!, [...(section.get(kv[1]!) ?? []), kv[2]!]);
  });
  return unit;
}

function one(unit: Unit, section: string, key: string, file: string): string {
  const v = unit.get(section)?.get(key);
  assert.ok(v && v.length === 1, `${file}: expected one ${key}= in [${section}]`);
  return v[0]!;
}

/** `phoenix …command --help`, as the CLI prints it. */
async function help(command: string[]): Promise<string> {
  const r = await runPhoenix('127.0.0.1:1', ...command, '--help');
  assert.equal(r.code, 0, `phoenix ${command.join(' ')} --help: ${r.stderr}`);
  return r.stdout;
}

async function units(): Promise<{ file: string; text: string; unit: Unit }[]> {
  const files = (await readdir(UNITS)).filter((f) => f.endsWith('.service')).sort();
  return Promise.all(
    files.map(async (file) => {
      const text = await readFile(path.join(UNITS, file), 'utf8');
      return { file, text, unit: parseUnit(text, file) };
    }),
  );
}

function hasSystemdAnalyze(): boolean {
  try {
    execFileSync('systemd-analyze', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

describe('the example systemd units', () => {
  test('one for the worker, the router, the nginx data plane and the comparator, each supervised', async () => {
    const all = await units();
    assert.deepEqual(
      all.map((u) => u.file),
      [
        'phoenix-comparator.service',
        'phoenix-nginx-data-plane.service',
        'phoenix-router.service',
        'phoenix-worker.service',
      ],
    );
    for (const { file, unit } of all) {
      assert.ok(unit.has('Unit') && unit.has('Service') && unit.has('Install'), file);
      assert.equal(one(unit, 'Service', 'Restart', file), 'always', file);
      assert.equal(one(unit, 'Service', 'KillSignal', file), 'SIGTERM', file);
      assert.equal(one(unit, 'Service', 'EnvironmentFile', file), '/etc/phoenix/phoenix.env', file);
      assert.equal(one(unit, 'Install', 'WantedBy', file), 'multi-user.target', file);
      for (const env of unit.get('Service')?.get('Environment') ?? [])
        assert.doesNotMatch(env, SECRETS, `${file}: a secret belongs in the environment file`);
    }
  });

  test('each runs a phoenix command line whose every flag the CLI takes', async () => {
    for (const { file, unit } of await units()) {
      const exec = one(unit, 'Service', 'ExecStart', file);
      assert.ok(exec.startsWith(PREFIX), `${file}: ExecStart runs ${PREFIX}…`);
      const args = exec.slice(PREFIX.length).split(/\s+/);
      const command = args.slice(
        0,
        args.findIndex((a) => a.startsWith('--')),
      );
      const text = await help(command);
      for (const flag of args.filter((a) => a.startsWith('--')))
        assert.match(text, new RegExp(`\\s${flag}[\\s,]`), `${file}: phoenix ${command.join(' ')} takes ${flag}`);
      if (args.includes('--plan')) assert.equal(args[args.indexOf('--plan') + 1], '/etc/phoenix/plan.yaml', file);
    }
  });

  test('systemd-analyze verify accepts them', async (t) => {
    if (!hasSystemdAnalyze()) return t.skip('systemd-analyze is not installed (Debian package systemd)');
    const dir = await mkdtemp(path.join(os.tmpdir(), 'phx-units-'));
    try {
      // The units as installed here: this checkout for /opt/phoenix, this node for /usr/bin/node.
      for (const { file, text } of await units())
        await writeFile(
          path.join(dir, file),
          text.replaceAll('/opt/phoenix', ROOT).replaceAll('/usr/bin/node', process.execPath),
        );
      const files = (await readdir(dir)).map((f) => path.join(dir, f));
      const out = await new Promise<{ code: number; output: string }>((resolve) =>
        execFile('systemd-analyze', ['verify', ...files], { timeout: 60_000 }, (err, stdout, stderr) =>
          resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, output: stdout + stderr }),
        ),
      );
      assert.equal(out.code, 0, out.output);
      // Unknown keys are only warned about: none may be left.
      assert.doesNotMatch(out.output, /Unknown (key|section)|ignoring/, out.output);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
