/** Never trim the heap below 256 MiB; pin the mmap threshold at 1 MiB (glibc otherwise moves it). */
export declare const ROUTER_GLIBC_TUNABLES: string;
/**
 * Whether this command line should be relaunched with {@link ROUTER_GLIBC_TUNABLES}: the `router`
 * command on Linux, unless the environment already sets `GLIBC_TUNABLES` or `PHOENIX_MALLOC_TUNING=off`.
 * @param env @default process.env
 * @param platform @default process.platform
 */
export declare function wantsMallocTuning(
  args: readonly string[],
  env?: NodeJS.ProcessEnv,
  platform?: NodeJS.Platform,
): boolean;
/** Runs `entry args` in a tuned child; never resolves: the process exits as the child did. */
export declare function relaunchTuned(entry: string, args: readonly string[]): Promise<never>;
/**
 * In a process started by {@link relaunchTuned}: lets the launcher's channel stop holding the
 * event loop open and turns the channel closing into a SIGTERM; returns whether this process runs
 * under the launcher.
 */
export declare function adoptLauncherChannel(): boolean;
