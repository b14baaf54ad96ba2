/**
 * The `phoenix` CLI run as a script runs it: a child process of `bin/phoenix.mjs` pointed at a
 * Temporal server, its exit code and output collected whatever it exits with.
 */
import { execFile } from 'node:child_process';
import path from 'node:path';

/** The CLI users run, so the launcher and its malloc tuning are part of what is tested. */
export const PHOENIX_BIN = path.resolve(import.meta.dirname, '..', '..', 'bin', 'phoenix.mjs');

/** What one CLI run printed and how it exited. */
export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * Runs `phoenix …args` against the Temporal server at `temporalAddress`. Resolves on any exit (a
 * failing command is what many tests assert), so a test checks `code` itself; the 60 s cap keeps
 * a hung child from outliving the test on a loaded machine.
 */
export function runPhoenix(temporalAddress: string, ...args: string[]): Promise<CliRun> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [PHOENIX_BIN, ...args],
      { env: { ...process.env, TEMPORAL_ADDRESS: temporalAddress, TEMPORAL_NAMESPACE: 'default' }, timeout: 60_000 },
      (err, stdout, stderr) => resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}
