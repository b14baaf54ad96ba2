/**
 * A contract run's own cancellation signal. Every request in flight listens for cancellation, so
 * a run legitimately holds more listeners than Node's warning threshold (10), bounded by its
 * concurrency: they go on a signal of the run's own, sized for that bound, and the caller's signal
 * gets one listener, removed when the run ends.
 */
import { setMaxListeners } from 'node:events';

/** The run's signal, aborted with `parent`'s reason; `release` detaches it from `parent` (call it when the run ends). */
export function runSignal(
  parent: AbortSignal | undefined,
  maxListeners: number,
): { signal: AbortSignal; release: () => void } {
  const own = new AbortController();
  setMaxListeners(maxListeners, own.signal);
  const onAbort = (): void => own.abort(parent?.reason);
  if (parent?.aborted) onAbort();
  else parent?.addEventListener('abort', onAbort, { once: true });
  return { signal: own.signal, release: () => parent?.removeEventListener('abort', onAbort) };
}
