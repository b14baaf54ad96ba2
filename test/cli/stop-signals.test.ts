/**
 * How long-running commands stop (src/lib/stop-signals.ts), in real processes that signal
 * themselves: a signal that arrives while the command is still starting is held until it runs,
 * repeated signals join one close, and a close that never ends does not keep the process forever.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';

const ROOT = path.resolve(import.meta.dirname, '..', '..');
const LOADER = path.join(ROOT, 'scripts', 'ts-register.mjs');
const MODULE = path.join(ROOT, 'src', 'lib', 'stop-signals.ts');

let dir: string;
before(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'phx-stop-signals-'));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Runs `body` (a module body with `catchStopSignals` in scope) in its own Node process. */
async function run(name: string, body: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const file = path.join(dir, `${name}.ts`);
  await writeFile(file, `import { catchStopSignals } from ${JSON.stringify(MODULE)};\n${body}\n`);
  const child = spawn(process.execPath, ['--import', LOADER, file], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (b: Buffer) => (stdout += b.toString()));
  child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
  const code = await new Promise<number | null>((resolve) => child.once('exit', (c) => resolve(c)));
  return { code, stdout, stderr };
}

describe('stopping a long-running command', { concurrency: true }, () => {
  it('holds a signal that arrives during start-up, then closes what started and exits 0', async () => {
    const r = await run(
      'early',
      `const signals = catchStopSignals();
       process.kill(process.pid, 'SIGTERM');
       // Start-up still going: without the early catch, the default action would end the process here.
       await new Promise((r) => setTimeout(r, 300));
       const keep = setInterval(() => {}, 1000);
       await signals.until({ close: async () => { clearInterval(keep); console.log('closed'); } });
       console.log('returned');`,
    );
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, 'closed\nreturned\n');
  });

  it('closes once when the same stop arrives twice', async () => {
    const r = await run(
      'twice',
      `const signals = catchStopSignals();
       const keep = setInterval(() => {}, 1000);
       let closes = 0;
       const done = signals.until({ close: async () => { closes++; await new Promise((r) => setTimeout(r, 100)); clearInterval(keep); } });
       process.kill(process.pid, 'SIGINT');
       process.kill(process.pid, 'SIGINT');
       await done;
       console.log('closes', closes);`,
    );
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, 'closes 1\n');
  });

  it('exits 1 with PHX_ERR_STOP_TIMEOUT when the close does not finish in time', async () => {
    const r = await run(
      'stuck',
      `const signals = catchStopSignals(300);
       setInterval(() => {}, 1000);
       const done = signals.until({ close: () => new Promise(() => {}) });
       process.kill(process.pid, 'SIGTERM');
       await done;
       console.log('never');`,
    );
    assert.equal(r.code, 1);
    assert.equal(r.stdout, '');
    assert.match(r.stderr, /^PHX_ERR_STOP_TIMEOUT: not stopped 300 ms after the signal/m);
  });
});
