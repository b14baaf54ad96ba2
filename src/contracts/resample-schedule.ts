/**
 * How a batch of contract cases is sent: `concurrency` workers, each with one request in flight
 * at a time (so timings never queue behind the run's own requests). A case waiting out its
 * resample gap does not hold its worker: the worker sends further cases and asks legacy again once
 * the gap is over, so a batch takes about one gap, not one per round of cases.
 */
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';

/** A fetched case; `resampleAt` (`performance.now()` time) when legacy is to be asked again. */
export interface Resampled {
  resampleAt?: number;
}

/**
 * Fetches cases `0 … count-1` with `fetch`, and calls `resample` on each that set `resampleAt`,
 * once that time has come; resolves with the fetched cases in order once every resample is done.
 */
export async function fetchWithResamples<F extends Resampled>(
  count: number,
  concurrency: number,
  fetch: (k: number) => Promise<F>,
  resample: (f: F) => Promise<void>,
  signal: AbortSignal,
): Promise<F[]> {
  const fetched = new Array<F>(count);
  let next = 0;
  const worker = async (): Promise<void> => {
    const waiting: F[] = []; // this worker's cases in their resample gap, soonest first
    for (;;) {
      if (signal.aborted) throw signal.reason ?? new Error('aborted');
      const due = waiting[0];
      if (due !== undefined && (next >= count || due.resampleAt! <= performance.now())) {
        waiting.shift();
        const wait = due.resampleAt! - performance.now();
        if (wait > 0) await sleep(wait, undefined, { signal });
        await resample(due);
        continue;
      }
      if (next >= count) return;
      const k = next++;
      const f = (fetched[k] = await fetch(k));
      if (f.resampleAt === undefined) continue;
      const at = waiting.findIndex((w) => w.resampleAt! > f.resampleAt!);
      waiting.splice(at === -1 ? waiting.length : at, 0, f);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker));
  return fetched;
}
