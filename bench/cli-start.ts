/**
 * CLI start-up: wall time, CPU time and peak RSS of `phoenix` command lines as a user runs them
 * (`node bin/phoenix.mjs …`), against plain `node -e 0` measured in the same run as the yardstick
 * (what any Node program pays to start here). Runs are interleaved: each round runs every target
 * once, so drift of a shared machine hits all of them alike; medians over rounds. Bar (TARGETS.md):
 * `--help` and `status <family>` ≤ 150 ms wall.
 *
 * `status <family>` asks a real Temporal dev server (started here, in memory) for a family with no
 * migration, which costs the whole path of the command (client, connection, describe) and exits 4.
 * CPU and RSS come from each child itself: a preloaded probe writes `process.resourceUsage()` to
 * fd 3 when it exits. Writes `bench/results/cli-start.json` (or `--out`).
 *
 * `--baseline DIR` adds `--help` and `status <family>` of another built checkout (e.g. the main
 * branch exported with `git archive`) to the same rounds, for before/after ratios in one run.
 *
 *   npm run bench:cli-start [-- --rounds 15 --baseline DIR]
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { isCompiledFresh } from '../bin/compiled.mjs';
import { startDevServer } from '../src/lib/dev-server.js';
import { resolveTemporalCli } from '../src/lib/temporal-cli.js';
import { freePort } from '../test/helpers/ports.js';

const ROOT = path.resolve(import.meta.dirname, '..');
const BIN = path.join(ROOT, 'bin', 'phoenix.mjs');

const { values: args } = parseArgs({
  options: {
    rounds: { type: 'string', default: '15' },
    /** Another checkout (built) whose `--help` and `status <family>` run in the same rounds, e.g. main. */
    baseline: { type: 'string' },
    out: { type: 'string', default: path.join(import.meta.dirname, 'results', 'cli-start.json') },
  },
});
const rounds = Number(args.rounds);
if (!Number.isInteger(rounds) || rounds < 1)
  throw new Error(`--rounds: expected a whole number ≥ 1, got ${args.rounds}`);

/** Preloaded into every child: its own CPU and peak RSS, written to fd 3 as it exits. */
const PROBE = `process.on('exit', () => {
  const u = process.resourceUsage();
  require('node:fs').writeSync(3, JSON.stringify({ user: u.userCPUTime, sys: u.systemCPUTime, maxRss: u.maxRSS }));
});
`;

interface Target {
  name: string;
  argv: string[];
  /** The exit code the command must end with, or the run is wrong (not just slow). */
  exit: number;
  /** Added to the environment. */
  env?: Record<string, string>;
}

interface Run {
  wallMs: number;
  cpuMs: number;
  rssMb: number;
}

/** Runs one command line once; its wall time is taken from spawn to exit, as a shell sees it. */
function runOnce(probe: string, t: Target, env: NodeJS.ProcessEnv): Promise<Run> {
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    const child = spawn(process.execPath, ['--require', probe, ...t.argv], {
      cwd: ROOT,
      env: { ...env, ...t.env },
      stdio: ['ignore', 'ignore', 'pipe', 'pipe'],
    });
    let usage = '';
    let stderr = '';
    child.stdio[3]!.on('data', (d: Buffer) => (usage += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    child.once('error', reject);
    child.once('close', (code) => {
      const wallMs = Number(process.hrtime.bigint() - started) / 1e6;
      if (code !== t.exit) {
        reject(new Error(`${t.name}: exit ${code}, expected ${t.exit}\n${stderr}`));
        return;
      }
      const u = JSON.parse(usage) as { user: number; sys: number; maxRss: number };
      resolve({ wallMs, cpuMs: (u.user + u.sys) / 1000, rssMb: u.maxRss / 1024 });
    });
  });
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

async function main(): Promise<void> {
  if (!isCompiledFresh())
    process.stderr.write('note: dist/ does not match src/ (run `npm run build`): the CLI runs from source, slowly\n');
  const tmp = await mkdtemp(path.join(os.tmpdir(), 'phx-bench-cli-'));
  const probe = path.join(tmp, 'probe.cjs');
  await writeFile(probe, PROBE);
  const cli = await resolveTemporalCli({ log: (l) => process.stderr.write(`${l}\n`) });
  const server = await startDevServer({ cli, port: await freePort(), headless: true, dbFile: ':memory:' });
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    TEMPORAL_ADDRESS: server.address,
    TEMPORAL_NAMESPACE: server.namespace,
  };
  delete env.NODE_OPTIONS;
  const targets: Target[] = [
    { name: 'node -e 0', argv: ['-e', '0'], exit: 0 },
    { name: 'phoenix --help', argv: [BIN, '--help'], exit: 0 },
    { name: 'phoenix --version', argv: [BIN, '--version'], exit: 0 },
    { name: 'phoenix status --help', argv: [BIN, 'status', '--help'], exit: 0 },
    { name: 'phoenix status <family>', argv: [BIN, 'status', 'bench-no-such-family'], exit: 4 },
    {
      name: 'status, no code cache',
      argv: [BIN, 'status', 'bench-no-such-family'],
      exit: 4,
      env: { PHOENIX_CODE_CACHE: 'off' },
    },
    { name: 'phoenix plan validate', argv: [BIN, 'plan', 'validate', 'examples/plan.yaml'], exit: 0 },
  ];
  if (args.baseline) {
    const other = path.join(path.resolve(args.baseline), 'bin', 'phoenix.mjs');
    targets.push(
      { name: 'baseline --help', argv: [other, '--help'], exit: 0 },
      { name: 'baseline status <family>', argv: [other, 'status', 'bench-no-such-family'], exit: 4 },
    );
  }
  const runs = new Map<string, Run[]>(targets.map((t) => [t.name, []]));
  const loadBefore = os.loadavg();
  try {
    // One unrecorded run each: the page cache and the server's first connection.
    for (const t of targets) await runOnce(probe, t, env);
    for (let r = 0; r < rounds; r++) {
      for (let i = 0; i < targets.length; i++) {
        const t = targets[(i + r) % targets.length]!;
        runs.get(t.name)!.push(await runOnce(probe, t, env));
      }
    }
  } finally {
    await server.stop();
    await rm(tmp, { recursive: true, force: true });
  }
  const base = runs.get('node -e 0')!;
  const baseWall = median(base.map((x) => x.wallMs));
  const baseCpu = median(base.map((x) => x.cpuMs));
  const rows = targets.map((t) => {
    const rs = runs.get(t.name)!;
    const wallMs = median(rs.map((x) => x.wallMs));
    const cpuMs = median(rs.map((x) => x.cpuMs));
    return {
      target: t.name,
      wallMs: Math.round(wallMs),
      wallMinMs: Math.round(Math.min(...rs.map((x) => x.wallMs))),
      cpuMs: Math.round(cpuMs),
      rssMb: Math.round(median(rs.map((x) => x.rssMb))),
      wallVsNode: Number((wallMs / baseWall).toFixed(2)),
      cpuVsNode: Number((cpuMs / baseCpu).toFixed(2)),
    };
  });
  const result = {
    when: new Date().toISOString(),
    node: process.version,
    rounds,
    compiled: isCompiledFresh(),
    loadavg: { before: loadBefore, after: os.loadavg() },
    rows,
  };
  await writeFile(args.out!, `${JSON.stringify(result, null, 2)}\n`);
  const pad = (s: string | number, n: number): string => String(s).padStart(n);
  process.stdout.write(
    `CLI start-up, medians of ${rounds} interleaved rounds (load ${loadBefore.map((l) => l.toFixed(1)).join(' ')})\n` +
      `${'target'.padEnd(26)}${pad('wall ms', 9)}${pad('min', 6)}${pad('CPU ms', 8)}${pad('RSS MB', 8)}${pad('wall×node', 11)}${pad('CPU×node', 10)}\n`,
  );
  for (const r of rows)
    process.stdout.write(
      `${r.target.padEnd(26)}${pad(r.wallMs, 9)}${pad(r.wallMinMs, 6)}${pad(r.cpuMs, 8)}${pad(r.rssMb, 8)}${pad(r.wallVsNode.toFixed(2), 11)}${pad(r.cpuVsNode.toFixed(2), 10)}\n`,
    );
  process.stdout.write(`bar: --help and status <family> ≤ 150 ms wall; written to ${args.out}\n`);
}

await main();
