/**
 * The CPU the test files spent, from the lines scripts/test-cpu-log.mjs appends: the suite's time
 * bar is a CPU budget on a 2-core machine, so the run ends by naming the files that spend most.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';

interface FileCpu {
  file: string;
  /** Set on CPU spent by no single file (a unit batch's start-up): what to call it. */
  startup?: string;
  user: number;
  sys: number;
  childUser: number;
  childSys: number;
}

/** CPU seconds of a process from /proc/<pid>/stat (its own, not its children's); 0 when unreadable. */
export async function processCpuSeconds(pid: number | undefined): Promise<number> {
  if (pid === undefined) return 0;
  try {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(f[11]) + Number(f[12])) / 100;
  } catch {
    return 0;
  }
}

/**
 * A few lines: the test files' CPU in total (own and their children's, with the unit batches'
 * start-up apart), `extra` named sources (the Temporal server), and the `top` files (or batch
 * start-ups) that spent most. Empty when nothing was logged.
 */
export async function cpuReport(
  logFile: string,
  root: string,
  extra: Record<string, number> = {},
  top = 10,
): Promise<string> {
  const text = await readFile(logFile, 'utf8').catch(() => '');
  const files = text
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as FileCpu)
    .map((c) => ({
      file: c.startup ?? path.relative(root, c.file),
      startup: c.startup !== undefined,
      own: c.user + c.sys,
      children: c.childUser + c.childSys,
    }))
    .sort((a, b) => b.own + b.children - (a.own + a.children));
  if (files.length === 0) return '';
  const sum = (f: (x: (typeof files)[number]) => number): number => files.reduce((s, x) => s + f(x), 0);
  const s = (n: number): string => `${n.toFixed(1)} s`;
  const batches = files.filter((x) => x.startup);
  const lines = [
    `\nCPU: ${files.length - batches.length} test files ${s(sum((x) => x.own))} (+ ${s(sum((x) => x.children))} in their child processes)` +
      (batches.length > 0
        ? `, of which ${s(batches.reduce((n, x) => n + x.own + x.children, 0))} the start-up of ${batches.length} unit batches`
        : '') +
      Object.entries(extra)
        .map(([name, v]) => `, ${name} ${s(v)}`)
        .join(''),
    ...files
      .slice(0, top)
      .map(
        (x) =>
          `  ${s(x.own + x.children).padStart(8)}  ${x.file}${x.children >= 0.5 ? ` (children ${s(x.children)})` : ''}`,
      ),
  ];
  return `${lines.join('\n')}\n`;
}
