// Preloaded (`--import`) into every test file's process by scripts/run-tests.ts: when the process
// exits, appends one JSON line to `PHOENIX_TEST_CPU_LOG` with the test file and the CPU seconds it
// spent, its own and its reaped children's (Python apps, CLI runs, worker processes), so the run
// can say which files cost the suite its time. A batch of unit files (test-batch.mjs) logs its
// files itself. Plain JavaScript: it must not add a loader's cost.
import { appendFileSync, readFileSync } from 'node:fs';
import { isMainThread } from 'node:worker_threads';

const log = process.env.PHOENIX_TEST_CPU_LOG;
const file = process.argv[1];

/** utime, stime, cutime, cstime in seconds, from /proc (Linux); own CPU only elsewhere. */
export function cpuSeconds() {
  try {
    const stat = readFileSync('/proc/self/stat', 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // Fields 14–17 of proc(5), counted here from field 3 (state), in clock ticks of 1/100 s.
    const [user, sys, childUser, childSys] = f.slice(11, 15).map((x) => Number(x) / 100);
    return { user, sys, childUser, childSys };
  } catch {
    const u = process.resourceUsage();
    return { user: u.userCPUTime / 1e6, sys: u.systemCPUTime / 1e6, childUser: 0, childSys: 0 };
  }
}

/**
 * Appends `entry` (`file`, `user`, `sys`, `childUser`, `childSys` in seconds; `startup`, the label
 * of CPU spent by no single file) to the run's CPU log, when there is one.
 * @param {{ file: string, user: number, sys: number, childUser: number, childSys: number, startup?: string }} entry
 */
export function logCpu(entry) {
  if (log) appendFileSync(log, `${JSON.stringify(entry)}\n`);
}

if (log && isMainThread && file?.endsWith('.test.ts')) {
  process.on('exit', () => logCpu({ file, ...cpuSeconds() }));
}
