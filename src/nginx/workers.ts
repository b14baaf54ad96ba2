/**
 * nginx's worker processes, read from /proc: after a reload, the old workers keep accepting new
 * connections until they take the master's quit signal, so "the new configuration is served"
 * means the control server answers with it *and* no worker from before the reload still
 * accepts. Linux only; elsewhere (or without a readable pid file) the wait relies on the
 * control server alone.
 */
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';

/** The master's pid file named by the main config's `pid` directive (relative to the prefix). */
export async function masterPid(mainConfig: string, prefix: string | undefined): Promise<number | undefined> {
  try {
    const conf = await readFile(mainConfig, 'utf8');
    const m = /^\s*pid\s+([^;\s]+)\s*;/m.exec(conf);
    const file = m?.[1] ?? '/run/nginx.pid';
    const abs = path.isAbsolute(file) ? file : path.join(prefix ?? '/usr/share/nginx', file);
    const pid = Number.parseInt(await readFile(abs, 'utf8'), 10);
    return Number.isFinite(pid) ? pid : undefined;
  } catch {
    return undefined;
  }
}

/** Pids of the master's children that are accepting workers (not "shutting down"). */
export async function acceptingWorkers(master: number): Promise<Set<number>> {
  const out = new Set<number>();
  let entries: string[];
  try {
    entries = await readdir('/proc');
  } catch {
    return out;
  }
  await Promise.all(
    entries.map(async (e) => {
      if (!/^\d+$/.test(e)) return;
      try {
        const stat = await readFile(`/proc/${e}/stat`, 'utf8');
        // The fields after the command (which may hold spaces) in parentheses: state, then ppid.
        const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
        if (ppid !== master) return;
        const cmd = (await readFile(`/proc/${e}/cmdline`, 'utf8')).replace(/\0+$/, '').trim();
        if (cmd === 'nginx: worker process') out.add(Number(e));
      } catch {
        // The process ended while being read.
      }
    }),
  );
  return out;
}
