// Starts `phoenix router` in a child process whose glibc malloc is tuned, because the setting is
// read once when a process starts. With 64 KB bodies a Node proxy can otherwise fall into trimming
// freed socket buffers back to the kernel and faulting them in again (2–21 page faults and up to
// 70% more CPU per request; docs/benchmarks.md "malloc check"). Plain JavaScript so the parent
// stays small: it only forwards signals and the exit code.
/** Never trim the heap below 256 MiB; pin the mmap threshold at 1 MiB (glibc otherwise moves it). */
export const ROUTER_GLIBC_TUNABLES = 'glibc.malloc.trim_threshold=268435456:glibc.malloc.mmap_threshold=1048576';

/**
 * Whether this command line should be relaunched with {@link ROUTER_GLIBC_TUNABLES}: the `router`
 * command and `comparator --serve` (it buffers the same bodies) on Linux, unless the environment
 * already sets `GLIBC_TUNABLES` (the operator's choice wins) or `PHOENIX_MALLOC_TUNING=off`.
 */
export function wantsMallocTuning(args, env = process.env, platform = process.platform) {
  return (
    (args[0] === 'router' || (args[0] === 'comparator' && args.includes('--serve'))) &&
    platform === 'linux' &&
    env.GLIBC_TUNABLES === undefined &&
    env.PHOENIX_MALLOC_TUNING !== 'off'
  );
}

const LAUNCHER = 'PHOENIX_ROUTER_LAUNCHER';

/**
 * In a process started by {@link relaunchTuned}: lets the launcher's channel stop holding the
 * event loop open (a command that fails must still exit), and turns the launcher's disappearance
 * (the channel closing) into a SIGTERM to this process, so the command stops the way it always
 * does. Returns whether this process runs under the launcher.
 */
export function adoptLauncherChannel() {
  if (process.env[LAUNCHER] !== String(process.ppid) || !process.channel) return false;
  process.channel.unref();
  process.once('disconnect', () => process.kill(process.pid, 'SIGTERM'));
  return true;
}

/** Runs `entry args` in a tuned child; never resolves: the process exits as the child did. */
export async function relaunchTuned(entry, args) {
  // Loaded here, not at the top: every other command line would pay for it at start.
  const { spawn } = await import('node:child_process');
  // The IPC channel closes when this process dies, however it dies (kill -9 too), and the
  // router then shuts down instead of serving on as an orphan nobody can stop with a signal.
  const child = spawn(process.execPath, [...process.execArgv, entry, ...args], {
    stdio: ['inherit', 'inherit', 'inherit', 'ipc'],
    env: { ...process.env, GLIBC_TUNABLES: ROUTER_GLIBC_TUNABLES, [LAUNCHER]: String(process.pid) },
  });
  // Ctrl-C reaches both processes; the router treats a repeated signal as the same request to stop.
  const forward = (signal) => {
    if (child.exitCode === null && child.signalCode === null) child.kill(signal);
  };
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(signal, forward);
  child.once('error', (err) => {
    process.stderr.write(
      `PHX_ERR_ROUTER_LAUNCH: cannot start the ${args[0] === 'comparator' ? 'comparator' : 'router'} process (${err.message}); set PHOENIX_MALLOC_TUNING=off to run it in this process\n`,
    );
    process.exit(1);
  });
  child.once('exit', (code, signal) => {
    if (signal) {
      process.removeAllListeners(signal);
      process.kill(process.pid, signal);
      return;
    }
    process.exit(code ?? 1);
  });
  return new Promise(() => {});
}
