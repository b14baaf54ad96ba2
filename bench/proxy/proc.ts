/**
 * Process accounting from /proc: CPU time, page faults and RSS of a process and all of its live
 * descendants (nginx's worker, anything a Node peer forks), plus reaped children (cutime etc.).
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';

/** A snapshot summed over a process tree. */
export interface ProcSample {
  /** utime + stime (+ children's), seconds. */
  cpuS: number;
  /** minflt + majflt (+ children's). */
  faults: number;
  majorFaults: number;
  /** Resident set, bytes, summed over the live tree. */
  rssBytes: number;
  /**
   * Time on a CPU from the scheduler (`/proc/<pid>/task/<tid>/schedstat`), ns, summed over the
   * live tree's threads: finer than `cpuS`'s clock ticks, but without children already reaped.
   */
  runNs: number;
}

let ticks = 100;
try {
  ticks = Number(execFileSync('getconf', ['CLK_TCK']).toString().trim()) || 100;
} catch {
  // Linux has used 100 Hz for USER_HZ on every mainstream architecture.
}
const PAGE = 4096;

interface Stat {
  pid: number;
  ppid: number;
  f: string[];
}

function readStat(pid: number): Stat | undefined {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name, which may contain spaces and parentheses.
    const f = text.slice(text.lastIndexOf(')') + 2).split(' ');
    return { pid, ppid: Number(f[1]), f };
  } catch {
    return undefined;
  }
}

function tree(root: number): Stat[] {
  const all: Stat[] = [];
  for (const name of readdirSync('/proc')) {
    const pid = Number(name);
    if (!Number.isInteger(pid) || pid <= 0) continue;
    const s = readStat(pid);
    if (s) all.push(s);
  }
  const out: Stat[] = [];
  const want = new Set([root]);
  let grew = true;
  while (grew) {
    grew = false;
    for (const s of all) {
      if (!want.has(s.pid) && want.has(s.ppid)) {
        want.add(s.pid);
        grew = true;
      }
    }
  }
  for (const s of all) if (want.has(s.pid)) out.push(s);
  return out;
}

// Field n of proc(5) is f[n - 3] here: minflt 10, cminflt 11, majflt 12, cmajflt 13,
// utime 14, stime 15, cutime 16, cstime 17, rss 24.
const n = (s: Stat, field: number): number => Number(s.f[field - 3]);

function threadsRunNs(pid: number): number {
  let ns = 0;
  try {
    for (const tid of readdirSync(`/proc/${pid}/task`)) {
      try {
        ns += Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ')[0]);
      } catch {
        // The thread ended between the listing and the read.
      }
    }
  } catch {
    // The process ended.
  }
  return ns;
}

/** Samples `pid` and its live descendants. */
export function sampleTree(pid: number): ProcSample {
  let cpu = 0;
  let faults = 0;
  let major = 0;
  let rss = 0;
  let runNs = 0;
  for (const s of tree(pid)) {
    cpu += n(s, 14) + n(s, 15) + n(s, 16) + n(s, 17);
    faults += n(s, 10) + n(s, 11) + n(s, 12) + n(s, 13);
    major += n(s, 12) + n(s, 13);
    rss += n(s, 24) * PAGE;
    runNs += threadsRunNs(s.pid);
  }
  return { cpuS: cpu / ticks, faults, majorFaults: major, rssBytes: rss, runNs };
}
