/**
 * Shared CLI plumbing: exit codes scripts can rely on, `--json` output, and errors that carry
 * `PHX_ERR_*` codes.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { PhoenixError } from '../lib/errors.js';

/** Exit codes of every `phoenix` command. */
export const ExitCode = {
  /** Success. */
  Ok: 0,
  /** The command ran and the answer is "no": validation failed, a gate failed, coverage below `--min`. */
  Failed: 1,
  /** Bad usage: unknown flag, missing argument, bad flag value. */
  Usage: 2,
  /** Something Phoenix talks to is unreachable (Temporal, router, upstream). */
  Unavailable: 3,
  /** The target does not exist (no migration for the family, unknown family). */
  NotFound: 4,
  /** The request conflicts with current state (migration already running, step not pending). */
  Conflict: 5,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

/** An error a command raises to end with a given exit code and a coded message. */
export class CliError extends PhoenixError {
  readonly exitCode: ExitCode;
  constructor(code: string, message: string, exitCode: ExitCode = ExitCode.Failed, details?: Record<string, unknown>) {
    super(code, message, details);
    this.exitCode = exitCode;
  }
}

/** Prints `value` as JSON (with `--json`) or as text lines. */
export function print(json: boolean, value: unknown, text: () => string): void {
  process.stdout.write(json ? `${JSON.stringify(value, null, 2)}\n` : `${text()}\n`);
}

/** Writes a file a command produces (report, case file, matrix), creating its directory. */
export async function writeOutputFile(file: string, text: string): Promise<void> {
  await mkdir(path.dirname(path.resolve(file)), { recursive: true });
  await writeFile(file, text);
}
