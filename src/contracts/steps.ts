/**
 * A case file's setup and teardown: a reset or seed endpoint sent to each side, or a command run
 * once per side. Each outcome is kept so a failure is reported by file, phase, side and cause.
 */
import { exec } from 'node:child_process';
import { request, type Dispatcher } from 'undici';
import type { Step } from './cases.js';
import type { Side } from './variables.js';

/** One step's outcome on one side. */
export interface StepResult {
  file: string;
  phase: 'setup' | 'teardown';
  side: Side;
  /** `POST /reset` or the command. */
  step: string;
  ok: boolean;
  /** Why it failed. */
  message?: string;
}

const OUTPUT_SHOWN = 300;

async function sendStep(
  step: Extract<Step, { request: unknown }>,
  base: string,
  dispatcher: Dispatcher,
  timeoutMs: number,
): Promise<string | undefined> {
  const body = step.request.body;
  const isJson = body !== undefined && typeof body !== 'string';
  const res = await request(new URL(step.request.path, base), {
    method: step.request.method,
    dispatcher,
    headers: { ...(isJson ? { 'content-type': 'application/json' } : {}), ...(step.request.headers ?? {}) },
    body: body === undefined ? undefined : isJson ? JSON.stringify(body) : body,
    headersTimeout: timeoutMs,
    bodyTimeout: timeoutMs,
  });
  const text = await res.body.text();
  return res.statusCode >= 400 ? `answered ${res.statusCode}: ${text.slice(0, OUTPUT_SHOWN)}` : undefined;
}

function runCommand(command: string, side: Side, base: string, timeoutMs: number): Promise<string | undefined> {
  return new Promise((resolve) => {
    exec(
      command,
      { timeout: timeoutMs, env: { ...process.env, PHOENIX_SIDE: side, PHOENIX_TARGET_URL: base } },
      (err, stdout, stderr) => {
        if (!err) return resolve(undefined);
        const why = err.killed ? `timed out after ${timeoutMs} ms` : `exited with ${err.code ?? err.signal}`;
        const out = `${stderr}${stdout}`.trim().slice(-OUTPUT_SHOWN);
        resolve(`${why}${out ? `: ${out}` : ''}`);
      },
    );
  });
}

/** Runs `steps` on each of `sides` in order; stops at the first failure and returns every outcome. */
export async function runSteps(
  file: string,
  phase: 'setup' | 'teardown',
  steps: readonly Step[],
  sides: ReadonlyArray<[Side, string]>,
  dispatcher: Dispatcher,
  timeoutMs: number,
): Promise<StepResult[]> {
  const out: StepResult[] = [];
  for (const step of steps) {
    for (const [side, base] of sides) {
      if (step.side !== 'both' && step.side !== side) continue;
      const label = 'command' in step ? step.command : `${step.request.method} ${step.request.path}`;
      let message: string | undefined;
      try {
        message =
          'command' in step
            ? await runCommand(step.command, side, base, step.timeoutMs)
            : await sendStep(step, base, dispatcher, timeoutMs);
      } catch (err) {
        const e = err as { code?: string; message: string };
        message = `request failed: ${e.code ? `${e.code} ` : ''}${e.message}`;
      }
      out.push({ file, phase, side, step: label, ok: message === undefined, ...(message ? { message } : {}) });
      if (message !== undefined) return out;
    }
  }
  return out;
}

/** One line for a failed step: `setup of cases/items.yaml on legacy: POST /reset answered 500`. */
export function describeStep(s: StepResult): string {
  return `${s.phase} of ${s.file} on ${s.side}: ${s.step} ${s.message ?? 'ok'}`;
}
