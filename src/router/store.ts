/**
 * The router's flag state on disk: every family's route and guard trip, written atomically
 * (temp file, fsync, rename) off the request path and coalesced, restored on start. A file that
 * cannot be read back is set aside and every family starts on legacy: a damaged file must never
 * send traffic to a new service by accident.
 */
import { mkdir, open, readFile, rename } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import type { Logger } from '../lib/logger.js';
import type { GuardState, RouteState } from './types.js';

const routeSchema = z.object({
  family: z.string(),
  mode: z.enum(['legacy', 'shadow', 'canary', 'new']),
  percent: z.number().min(0).max(100),
  version: z.number().int().min(0),
  sampleRate: z.number().min(0).max(1),
  updatedBy: z.string().optional(),
  updatedAt: z.number().optional(),
});

const fileSchema = z.object({
  version: z.literal(1),
  savedAt: z.number(),
  families: z.record(
    z.string(),
    z.object({
      route: routeSchema,
      guard: z
        .object({ reason: z.string().optional(), trippedAt: z.number().optional(), tripMs: z.number().optional() })
        .optional(),
    }),
  ),
});

/** One family as saved. */
export interface SavedFamily {
  route: RouteState;
  /** Present when the family's guard was tripped. */
  guard?: Pick<GuardState, 'reason' | 'trippedAt' | 'tripMs'>;
}

export interface LoadedState {
  families: Map<string, SavedFamily>;
  /** The file existed but could not be used; it was moved to `setAside`. */
  corrupt: boolean;
  setAside?: string;
  error?: string;
}

export class StateFile {
  readonly file: string;
  private readonly log: Logger;
  private writing: Promise<void> | undefined;
  private pending: (() => Record<string, SavedFamily>) | undefined;

  constructor(file: string, log: Logger) {
    this.file = path.resolve(file);
    this.log = log;
  }

  /** Reads the saved state; a missing file is an empty state, a damaged one is set aside. */
  async load(): Promise<LoadedState> {
    let text: string;
    try {
      text = await readFile(this.file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { families: new Map(), corrupt: false };
      throw err;
    }
    try {
      const parsed = fileSchema.parse(JSON.parse(text));
      return { families: new Map(Object.entries(parsed.families)), corrupt: false };
    } catch (err) {
      const setAside = `${this.file}.corrupt-${Date.now()}`;
      await rename(this.file, setAside).catch(() => {});
      const error =
        err instanceof z.ZodError
          ? err.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')
          : (err as Error).message;
      return { families: new Map(), corrupt: true, setAside, error };
    }
  }

  /**
   * Schedules a save of `snapshot()` (called when the write starts, so the newest state is
   * written). Saves never overlap; a burst of changes becomes at most two writes.
   */
  save(snapshot: () => Record<string, SavedFamily>): void {
    this.pending = snapshot;
    if (!this.writing) this.writing = this.drain();
  }

  /** Resolves once everything scheduled is on disk. */
  async flush(): Promise<void> {
    while (this.writing) await this.writing;
  }

  private async drain(): Promise<void> {
    try {
      while (this.pending) {
        const snapshot = this.pending;
        this.pending = undefined;
        try {
          await this.write(JSON.stringify({ version: 1, savedAt: Date.now(), families: snapshot() }, null, 1));
        } catch (err) {
          this.log.error(
            { err, file: this.file },
            'could not save the router state; routes live in memory until the next successful save',
          );
        }
      }
    } finally {
      this.writing = undefined;
    }
  }

  private async write(text: string): Promise<void> {
    await mkdir(path.dirname(this.file), { recursive: true });
    const tmp = `${this.file}.tmp-${process.pid}`;
    const fh = await open(tmp, 'w');
    try {
      await fh.writeFile(text);
      await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(tmp, this.file);
  }
}
