/**
 * Activity timeouts that follow the data plane's admin timeout (`dataPlane.adminTimeout`): the
 * control, analysis and rollback profiles were sized for 3 s admin calls, so an attempt whose
 * calls may each take longer gets that much more time, or it would be cut off before its own
 * call times out. Pure (workflow code).
 */

/** The admin API timeout the profiles' start-to-close timeouts were sized for (ms). */
const SIZED_FOR_ADMIN_MS = 3000;
/** Admin calls one attempt makes one after another at most (rollback: read, set, clear the guard). */
const CALLS_IN_A_ROW = 3;

/**
 * `profile` for an activity input: unchanged without `adminTimeoutMs` or with one of at most 3 s
 * (so runs started before the field schedule what they always did); else its start-to-close
 * timeout plus 3 × the extra time per call.
 */
export function forAdminTimeout<P extends { startToCloseTimeout: string | number }>(
  profile: P,
  input: unknown,
): P | (P & { startToCloseTimeout: number }) {
  const adminMs = (input as { adminTimeoutMs?: unknown } | undefined)?.adminTimeoutMs;
  if (typeof adminMs !== 'number' || adminMs <= SIZED_FOR_ADMIN_MS) return profile;
  const extra = (adminMs - SIZED_FOR_ADMIN_MS) * CALLS_IN_A_ROW;
  return { ...profile, startToCloseTimeout: msOf(profile.startToCloseTimeout) + extra };
}

/** A profile's timeout (`"10s"`, `"500ms"`, `"15m"` or ms) in ms. */
function msOf(d: string | number): number {
  if (typeof d === 'number') return d;
  const m = /^(\d+)(ms|s|m)$/.exec(d);
  if (!m) throw new TypeError(`unexpected activity timeout ${d}`);
  return Number(m[1]) * (m[2] === 'ms' ? 1 : m[2] === 's' ? 1000 : 60_000);
}
