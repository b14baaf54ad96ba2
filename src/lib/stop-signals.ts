/**
 * How a long-running `phoenix` command stops: on SIGINT, SIGTERM or SIGHUP it closes what it runs
 * and returns. The signals are caught from the moment the command starts, not once it is up:
 * a server answers (its health check passes) before its start-up has returned, and a signal in
 * that window would otherwise kill the process by the default action, skipping the close.
 */

/** What a command runs until it is stopped. */
export interface Closable {
  close(): Promise<void>;
}

/** Returned by {@link catchStopSignals}. */
export interface StopSignals {
  /**
   * Resolves once a signal (caught before or after this call) has closed `running`. Further
   * signals join the same close: under the router's launcher one Ctrl-C arrives twice.
   */
  until(running: Closable): Promise<void>;
}

const SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

/**
 * Catches the stop signals from now on. A command calls it before it starts anything, then
 * `until(running)` once it runs.
 * @param closeWithinMs a process not closed this long after the first signal (a stuck close, or
 *   a start-up that does not finish) exits with code 1 and `PHX_ERR_STOP_TIMEOUT` on stderr; ms
 *   (default 10,000)
 */
export function catchStopSignals(closeWithinMs = 10_000): StopSignals {
  let deadline: NodeJS.Timeout | undefined;
  let onStop: (() => void) | undefined;
  const stop = (): void => {
    // Counted from the first signal, so a start-up that never finishes cannot hold a stop forever.
    deadline ??= setTimeout(() => {
      process.stderr.write(`PHX_ERR_STOP_TIMEOUT: not stopped ${closeWithinMs} ms after the signal; exiting anyway\n`);
      process.exit(1);
    }, closeWithinMs).unref();
    onStop?.();
  };
  for (const signal of SIGNALS) process.on(signal, stop);
  return {
    until(running) {
      return new Promise<void>((resolve, reject) => {
        let closing: Promise<void> | undefined;
        onStop = () => {
          closing ??= running.close().finally(() => clearTimeout(deadline));
          closing.then(resolve, reject);
        };
        if (deadline !== undefined) onStop();
      });
    },
  };
}
