/**
 * What the router thread and the shadow thread say to each other. Bodies travel packed into one
 * transferred `ArrayBuffer` per batch: one copy, and no cloning of the socket buffers undici's
 * chunks are slices of.
 */
import type { SlowRoute } from '../../parity/stats.js';
import type { FamilyPlan } from '../../plan/schema.js';
import type { CompareJob, FamilyReport } from './report.js';

/** Slots of the shared counters. */
export const SLOT = {
  /** Jobs the shadow thread has finished (wrapping int32). */
  done: 0,
} as const;

export interface ShadowWorkerData {
  families: FamilyPlan[];
  concurrency: number;
  maxCompareBytes: number;
  /** Scheduling priority of the shadow thread (0 normal … 19 lowest). */
  nice: number;
  /** `SharedArrayBuffer` behind an `Int32Array` indexed by {@link SLOT}. */
  counters: SharedArrayBuffer;
}

type Headers = CompareJob['legacy']['headers'];

/** A {@link CompareJob} on the wire: bodies are views into the batch's transferred buffer. */
export interface WireJob extends Omit<CompareJob, 'body' | 'legacy' | 'candidate'> {
  body: Uint8Array | null;
  legacy: { status: number; headers: Headers; body: Uint8Array };
  candidate: { status: number; headers: Headers; body: Uint8Array };
}

export type ShadowInbox =
  /** `buffer` is the transferred buffer the jobs' bodies are views into; it comes back in a `recycle` message. */
  | { type: 'jobs'; jobs: WireJob[]; buffer: ArrayBuffer }
  /** The family's routes flagged slower now (all of them; an empty list clears the flags). */
  | { type: 'latency'; family: number; routes: SlowRoute[] }
  | { type: 'drain'; id: number }
  | { type: 'close' };

export type ShadowOutbox =
  | { type: 'ready'; warning?: string }
  | { type: 'report'; families: [number, FamilyReport][] }
  | { type: 'drained'; id: number }
  /** A batch's buffer, sent back (transferred) once every job of the batch is finished, for reuse. */
  | { type: 'recycle'; buffer: ArrayBuffer };

const asBuffer = (u: Uint8Array): Buffer => Buffer.from(u.buffer, u.byteOffset, u.byteLength);

export function fromWire(w: WireJob): CompareJob {
  return {
    ...w,
    body: w.body ? asBuffer(w.body) : null,
    legacy: { ...w.legacy, body: asBuffer(w.legacy.body) },
    candidate: { ...w.candidate, body: asBuffer(w.candidate.body) },
  };
}
