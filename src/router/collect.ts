/**
 * Sends a mirrored request from the router thread and keeps the whole answer (up to a bound), so
 * its latency is measured exactly like the legacy answer's: same thread, same clock, same load.
 */
import { performance } from 'node:perf_hooks';
import { util, type Dispatcher } from 'undici';
import type { HttpSnapshot } from '../parity/index.js';

/** An upstream answer kept for comparison, its body still in the chunks it arrived in. */
export interface Collected {
  status: number;
  headers: HttpSnapshot['headers'];
  chunks: Buffer[];
  size: number;
  /** Time to response headers, ms. */
  ms: number;
}

class Collect implements Dispatcher.DispatchHandler {
  private readonly t0 = performance.now();
  private readonly max: number;
  private readonly done: (result: Collected | 'too-large' | Error) => void;
  private abort: ((err?: Error) => void) | undefined;
  private answer: Collected | undefined;

  constructor(max: number, done: (result: Collected | 'too-large' | Error) => void) {
    this.max = max;
    this.done = done;
  }

  onConnect(abort: (err?: Error) => void): void {
    this.abort = abort;
  }

  onHeaders(status: number, raw: Buffer[]): boolean {
    if (status >= 200)
      this.answer = {
        status,
        headers: util.parseHeaders(raw),
        chunks: [],
        size: 0,
        ms: performance.now() - this.t0,
      };
    return true;
  }

  onData(chunk: Buffer): boolean {
    const a = this.answer!;
    a.size += chunk.length;
    if (a.size > this.max) {
      this.answer = undefined;
      this.done('too-large');
      this.abort?.();
      return false;
    }
    a.chunks.push(chunk);
    return true;
  }

  onComplete(): void {
    if (this.answer) this.done(this.answer);
  }

  onError(err: Error): void {
    // After 'too-large' the abort lands here too; the first outcome is the one that counts.
    this.done(err);
  }
}

/** The answer to `request`, 'too-large' past `maxBytes`; rejects when the upstream fails or times out. */
export function collect(
  pool: Dispatcher,
  request: Dispatcher.DispatchOptions,
  maxBytes: number,
): Promise<Collected | 'too-large'> {
  return new Promise((resolve, reject) => {
    let settled = false;
    pool.dispatch(
      request,
      new Collect(maxBytes, (result) => {
        if (settled) return;
        settled = true;
        if (result instanceof Error) reject(result);
        else resolve(result);
      }),
    );
  });
}
