/**
 * Lowers the calling thread's scheduling priority (Linux applies `setpriority` per thread). At
 * the lowest priority the thread is also put under `SCHED_IDLE`: at nice 19 the kernel may still
 * let it finish its time slice (milliseconds) before a woken proxy thread on the same core runs,
 * which at half load added tens of milliseconds to clients' p99 with 64 KB bodies; an idle-class
 * thread is preempted as soon as the proxy has work.
 */
import { execFile } from 'node:child_process';
import { readlinkSync } from 'node:fs';
import os from 'node:os';

/** The lowest nice value, at which the idle scheduling class is asked for too. */
const LOWEST_NICE = 19;

/** Resolves to a warning when the priority could not be lowered as asked, else undefined. */
export async function lowerThreadPriority(nice: number): Promise<string | undefined> {
  try {
    os.setPriority(nice);
  } catch (err) {
    return `could not lower the shadow thread's priority to nice ${nice} (${(err as Error).message}); comparisons compete with client traffic`;
  }
  if (nice < LOWEST_NICE || process.platform !== 'linux') return undefined;
  let tid: string;
  try {
    // "<pid>/task/<tid>" for the thread that reads it.
    tid = readlinkSync('/proc/thread-self').split('/').pop()!;
  } catch {
    return undefined;
  }
  return new Promise((resolve) => {
    execFile('chrt', ['--idle', '--pid', '0', tid], { timeout: 5000 }, (err) => {
      resolve(
        err
          ? `the shadow thread runs at nice ${nice} but not in the idle scheduling class (chrt: ${err.message.split('\n')[0]}); with large bodies clients may wait a few ms behind comparisons`
          : undefined,
      );
    });
  });
}
