import { readdir, readFile } from 'node:fs/promises';

/**
 * The fields of `/proc/<pid>/stat` after the command name (state first, then ppid, …). The name
 * may hold spaces and parentheses, so the fields start after the last ')'.
 */
async function statFields(pid: number | string): Promise<string[]> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
}

/** Pids of the live processes whose parent is `pid` (from /proc; Linux only). */
export async function childPids(pid: number): Promise<number[]> {
  const out: number[] = [];
  for (const name of await readdir('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      if (Number((await statFields(name))[1]) === pid) out.push(Number(name));
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

/**
 * The environment block a process started with (from /proc; Linux only), NUL-separated. glibc
 * splits `GLIBC_TUNABLES` at its colons in place while parsing it, so look for each
 * `name=value` tunable on its own rather than for the whole variable.
 */
export function processEnviron(pid: number): Promise<string> {
  return readFile(`/proc/${pid}/environ`, 'latin1');
}

/** Whether a process with this pid is alive (a zombie counts as gone). */
export async function alive(pid: number): Promise<boolean> {
  try {
    return (await statFields(pid))[0] !== 'Z';
  } catch {
    return false;
  }
}
