/**
 * The per-family guard: watches the new backend's outcomes in a sliding window and trips the
 * family back to legacy on the request that crosses the plan's threshold — a failure share over
 * the window, or a run of consecutive failures, whichever comes first. A trip holds until the
 * control plane clears it.
 */
import type { FamilyPlan } from '../plan/schema.js';
import type { GuardState } from './types.js';

/** The window is kept as this many buckets, so recording is O(1) and memory is fixed. */
const SLOTS = 20;

export class Guard {
  readonly state: GuardState;
  private readonly cfg: FamilyPlan['guard'];
  private readonly slotMs: number;
  private readonly requests = new Uint32Array(SLOTS);
  private readonly failures = new Uint32Array(SLOTS);
  private slotStart = new Float64Array(SLOTS);
  private consecutive = 0;
  /** When the failures now in the window began (epoch ms). */
  private firstFailureAt: number | undefined;

  constructor(family: string, cfg: FamilyPlan['guard']) {
    this.cfg = cfg;
    this.slotMs = Math.max(1, cfg.window / SLOTS);
    this.state = { family, tripped: false, trips: 0 };
  }

  /**
   * Records one outcome of the new backend at `now` (epoch ms).
   * @returns true when this outcome tripped the guard.
   */
  record(failed: boolean, now: number): boolean {
    if (this.state.tripped) return false;
    const slot = Math.floor(now / this.slotMs);
    const i = slot % SLOTS;
    if (this.slotStart[i] !== slot) {
      this.slotStart[i] = slot;
      this.requests[i] = 0;
      this.failures[i] = 0;
    }
    this.requests[i]!++;
    if (!failed) {
      this.consecutive = 0;
      return false;
    }
    this.failures[i]!++;
    this.consecutive++;
    let requests = 0;
    let failures = 0;
    for (let k = 0; k < SLOTS; k++) {
      if (slot - this.slotStart[k]! < SLOTS) {
        requests += this.requests[k]!;
        failures += this.failures[k]!;
      }
    }
    if (failures === 1 || this.firstFailureAt === undefined || now - this.firstFailureAt > this.cfg.window)
      this.firstFailureAt = now;
    if (this.consecutive >= this.cfg.consecutiveFailures) {
      this.trip(`${this.consecutive} consecutive failures of the new backend`, now);
      return true;
    }
    if (requests >= this.cfg.minRequests && failures / requests >= this.cfg.maxErrorRate) {
      this.trip(`${failures} of ${requests} new-backend requests failed within ${this.cfg.window} ms`, now);
      return true;
    }
    return false;
  }

  /** Re-arms the guard (the control plane decided the new backend may take traffic again). */
  clear(): void {
    this.state.tripped = false;
    delete this.state.reason;
    delete this.state.trippedAt;
    delete this.state.tripMs;
    this.consecutive = 0;
    this.firstFailureAt = undefined;
    this.requests.fill(0);
    this.failures.fill(0);
    this.slotStart = new Float64Array(SLOTS);
  }

  /** Restores a trip saved in the state file. */
  restore(saved: { reason?: string; trippedAt?: number; tripMs?: number }): void {
    this.state.tripped = true;
    this.state.reason = saved.reason ?? 'tripped before the router restarted';
    if (saved.trippedAt !== undefined) this.state.trippedAt = saved.trippedAt;
    if (saved.tripMs !== undefined) this.state.tripMs = saved.tripMs;
  }

  private trip(reason: string, now: number): void {
    this.state.tripped = true;
    this.state.reason = reason;
    this.state.trippedAt = now;
    this.state.tripMs = now - (this.firstFailureAt ?? now);
    this.state.trips++;
  }
}
