/**
 * Unsafe mirrors of one partition (`parity.mirrorPartition`, by default the whole family) go to
 * the new service one at a time, in the order legacy answered them, so its state evolves as
 * legacy's did. Partitions run side by side.
 */
import type { FamilyRuntime } from '../family.js';
import type { CapturedExchange } from './report.js';

/** Starts an item; calls `done` once it is finished (or dropped). */
export type LaneRunner<T> = (item: T, done: () => void) => void;

export class OrderedLanes<T> {
  private readonly run: LaneRunner<T>;
  /** Items waiting behind the one under way, by partition; a key is present while its lane runs. */
  private readonly lanes = new Map<string, T[]>();

  constructor(run: LaneRunner<T>) {
    this.run = run;
  }

  push(partition: string, item: T): void {
    const lane = this.lanes.get(partition);
    if (lane) lane.push(item);
    else {
      this.lanes.set(partition, []);
      this.start(partition, item);
    }
  }

  private start(partition: string, item: T): void {
    this.run(item, () => {
      const lane = this.lanes.get(partition);
      const next = lane && lane.length > 0 ? lane.shift() : undefined;
      if (next !== undefined) this.start(partition, next);
      else this.lanes.delete(partition);
    });
  }
}

/** The ordering partition of an unsafe mirror: the family, or the family and a header's value. */
export function partitionOf(fam: FamilyRuntime, x: Pick<CapturedExchange, 'family' | 'headers'>): string {
  const by = fam.plan.parity.mirrorPartition;
  if (by === undefined) return String(x.family);
  const v = x.headers[by.header.toLowerCase()];
  return `${x.family}\n${Array.isArray(v) ? v.join(',') : (v ?? '')}`;
}
