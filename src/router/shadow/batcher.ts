/**
 * Finished mirrors wait here and go to the shadow thread in batches, their bodies packed into one
 * transferred buffer: every message wakes the thread, and a wake-up per sample costs the proxy
 * more than the comparison itself.
 */
import type { Collected } from '../collect.js';
import { BatchBuffers } from './batch-buffers.js';
import type { Mirrored } from './mirror.js';
import type { WireJob } from './protocol.js';
import type { CapturedExchange } from './report.js';

/** Finished mirrors are handed over at most this often (ms), or sooner once {@link BATCH_JOBS} or {@link BATCH_BYTES} are waiting. */
const BATCH_MS = 10;
const BATCH_JOBS = 128;
/** Bodies in a batch, bytes; keeps batch buffers small enough to be kept for reuse. */
const BATCH_BYTES = 2 * 1024 * 1024;

/** Where batches go: the shadow thread, while it runs (batches wait while it does not). */
export interface BatchTarget {
  ready(): boolean;
  send(jobs: WireJob[], buffer: ArrayBuffer): void;
}

interface Pending extends Mirrored {
  x: CapturedExchange;
}

export class Batcher {
  private readonly target: BatchTarget;
  readonly buffers = new BatchBuffers();
  private pending: Pending[] = [];
  private pendingBytes = 0;
  private timer: NodeJS.Timeout | undefined;

  constructor(target: BatchTarget) {
    this.target = target;
  }

  add(x: CapturedExchange, mirrored: Mirrored): void {
    this.pending.push({ x, ...mirrored });
    this.pendingBytes += x.legacy.size + mirrored.candidate.size + (x.body?.length ?? 0);
    if (this.pending.length >= BATCH_JOBS || this.pendingBytes >= BATCH_BYTES) this.flush();
    else this.timer ??= setTimeout(() => this.flush(), BATCH_MS);
  }

  flush(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    const batch = this.pending;
    if (batch.length === 0 || !this.target.ready()) return;
    this.pending = [];
    const packed = this.buffers.take(this.pendingBytes);
    this.pendingBytes = 0;
    let at = 0;
    const place = (bufs: Buffer[], size: number): Uint8Array => {
      const view = packed.subarray(at, at + size);
      for (const b of bufs) {
        packed.set(b, at);
        at += b.length;
      }
      return view;
    };
    const answer = (a: Collected): WireJob['legacy'] => ({
      status: a.status,
      headers: a.headers,
      body: place(a.chunks, a.size),
    });
    const jobs = batch.map(({ x, candidate, newHeaders }): WireJob => ({
      family: x.family,
      method: x.method,
      url: x.url,
      headers: x.legacyHeaders ?? x.headers,
      body: x.body ? place([x.body], x.body.length) : null,
      route: x.route,
      requestId: x.requestId,
      legacy: answer(x.legacy),
      candidate: answer(candidate),
      legacyMs: x.legacy.ms,
      newMs: candidate.ms,
      startedAt: x.startedAt,
      ...(x.host !== undefined ? { host: x.host } : {}),
      ...(newHeaders !== undefined ? { newHeaders } : {}),
      ...(x.replayed ? { replayed: true as const } : {}),
    }));
    this.target.send(jobs, packed.buffer as ArrayBuffer);
  }
}
