// Makes a long-running `phoenix` process stop when whatever started it goes away. `npx phoenix
// router` runs as npm → sh → phoenix; a SIGTERM to npm stops npm and the shell, and phoenix would
// otherwise be adopted by init and keep its ports. Node has no parent-death signal, so the parent
// pid is checked on a timer that never keeps the process alive.

/** How often the parent is checked, ms: a stop reaches the router (and frees its ports) within about this. */
export const FOLLOW_PARENT_EVERY_MS = 250;

/**
 * Sends SIGTERM to this process once its parent changes (the parent died and the process was
 * adopted), so the command shuts down the way a signal always stops it. Not armed when the process
 * was started by init already (a service manager or a container's first process), or with
 * `PHOENIX_FOLLOW_PARENT=off` (for `nohup phoenix router &` from a shell that then exits).
 * Returns whether it was armed.
 */
export function followParent(env = process.env, everyMs = FOLLOW_PARENT_EVERY_MS) {
  const parent = process.ppid;
  if (env.PHOENIX_FOLLOW_PARENT === 'off' || parent <= 1) return false;
  const timer = setInterval(() => {
    if (process.ppid === parent) return;
    clearInterval(timer);
    process.kill(process.pid, 'SIGTERM');
  }, everyMs);
  timer.unref();
  return true;
}
