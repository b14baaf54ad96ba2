/**
 * A versioned route change, judged the same way by every data plane: an older version, or the
 * current version with different settings, is stale; the current version with the same settings
 * is a repeat (idempotent); a newer version is the next state.
 */
import type { RouteChange, RouteState } from './types.js';

export type RouteChangeOutcome =
  { kind: 'stale'; message: string } | { kind: 'repeat'; state: RouteState } | { kind: 'next'; state: RouteState };

/**
 * @param defaultSampleRate the family's `parity.sampleRate`, for a change that names none
 * @param now ms since the epoch, for `updatedAt`
 */
export function judgeRouteChange(
  cur: RouteState,
  change: RouteChange,
  defaultSampleRate: number,
  now: number,
): RouteChangeOutcome {
  const sampleRate = change.sampleRate ?? defaultSampleRate;
  const percent =
    change.mode === 'legacy' || change.mode === 'shadow' ? 0 : change.mode === 'new' ? 100 : change.percent;
  const same = cur.mode === change.mode && cur.percent === percent && cur.sampleRate === sampleRate;
  if (change.version < cur.version || (change.version === cur.version && !same))
    return {
      kind: 'stale',
      message: `version ${change.version} is stale: "${cur.family}" is at version ${cur.version} (${cur.mode} ${cur.percent}%, set by ${cur.updatedBy ?? 'unknown'}); read the route and send a newer version`,
    };
  if (change.version === cur.version) return { kind: 'repeat', state: cur };
  return {
    kind: 'next',
    state: {
      family: cur.family,
      mode: change.mode,
      percent,
      version: change.version,
      sampleRate,
      updatedBy: change.updatedBy,
      updatedAt: now,
    },
  };
}
