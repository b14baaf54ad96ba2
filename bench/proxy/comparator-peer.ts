/**
 * Peer: `phoenix comparator --serve` started from the CLI (`bin/phoenix.mjs`), pinned with taskset,
 * comparing one family `bench` (`GET /api/bench/*`) on the given legacy and new origins. Its admin
 * API runs without a token on 127.0.0.1 (`--insecure-admin`).
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort, type Peer } from './peers.js';
import { GLIBC_TUNABLES } from './tunables.js';

const root = path.join(import.meta.dirname, '..', '..');

/** The running comparator: `port` takes the mirrors. */
export interface ComparatorPeer extends Peer {
  adminUrl: string;
}

/** Starts the comparator for family `family` with `--queue queue` and resolves once it listens. */
export async function startComparator(
  family: string,
  legacyUrl: string,
  newUrl: string,
  cpu: string,
  queue: number,
): Promise<ComparatorPeer> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'phx-comparator-bench-'));
  const plan = path.join(dir, 'plan.yaml');
  writeFileSync(
    plan,
    `version: 1
name: bench
legacy: ${legacyUrl}
approvers: [bench]
families:
  - name: ${family}
    routes: ["GET /api/bench/*"]
    new: ${newUrl}
`,
  );
  const [port, adminPort] = [await freePort(), await freePort()];
  const args = [
    'comparator',
    '--serve',
    '--plan',
    plan,
    '--port',
    String(port),
    '--admin-port',
    String(adminPort),
    '--queue',
    String(queue),
  ];
  const child = spawn(
    'taskset',
    ['-c', cpu, process.execPath, path.join(root, 'bin', 'phoenix.mjs'), ...args, '--insecure-admin'],
    {
      stdio: ['ignore', 'pipe', 'inherit'],
      // The same malloc setting as every Node peer of the benchmarks (bench/README.md).
      env: { ...process.env, GLIBC_TUNABLES, PHOENIX_LOG_LEVEL: process.env.PHOENIX_LOG_LEVEL ?? 'warn' },
    },
  );
  const kill = (): void => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  };
  process.on('exit', kill);
  await new Promise<void>((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => {
      kill();
      reject(new Error('the comparator did not start within 60 s'));
    }, 60_000);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`the comparator exited early (code ${code})`));
    });
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      if (!out.includes('comparator taking')) return;
      clearTimeout(timer);
      child.removeAllListeners('exit');
      child.stdout.resume();
      resolve();
    });
  });
  return {
    name: 'comparator',
    pid: child.pid as number,
    port,
    adminUrl: `http://127.0.0.1:${adminPort}`,
    info: { plan },
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const gone = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      const t = setTimeout(kill, 5000);
      await gone;
      clearTimeout(t);
    },
  };
}
