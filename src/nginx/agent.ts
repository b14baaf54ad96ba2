/**
 * Phoenix's nginx agent: reads nginx's JSON access log into each family's figures (the same
 * statistics the built-in router keeps) and runs the router's guard on new's outcomes. When a
 * family's guard trips, it tells the provider, which renders the family on legacy and reloads.
 */
import type { FamilyPlan } from '../plan/schema.js';
import type { FamilyStatsSnapshot } from '../parity/snapshot.js';
import { FamilyStats } from '../parity/stats.js';
import { countAnswer, type FamilyCounters } from '../router/family.js';
import { Guard } from '../router/guard.js';
import type { GuardState } from '../router/types.js';
import { parseLogLine, type Attempt, type LogEntry } from './access-log.js';
import { tailLog, type LogTail } from './log-tail.js';

/** What the agent needs of a family. */
export interface AgentFamily {
  name: string;
  guard: FamilyPlan['guard'];
}

/** A trip as saved in the include file, so a restarted control plane keeps the family on legacy. */
export interface SavedTrip {
  family: string;
  reason?: string;
  trippedAt?: number;
  tripMs?: number;
}

/**
 * A family's client-path counters since the agent started (never reset), as the built-in router
 * keeps them for `/metrics`: answers per backend by status class (`STATUS_CLASSES`: error, 2xx,
 * 3xx, 4xx, 5xx), and safe requests answered by legacy after new failed.
 */
export type ClientCounters = Pick<FamilyCounters, 'requests' | 'fallbacks'>;

interface Watched {
  guard: Guard;
  stats: FamilyStats;
  timeoutMs: number;
  counters: ClientCounters;
}

/** Per-family figures and guards fed by nginx's access log. */
export class NginxAgent {
  private readonly byName = new Map<string, Watched>();
  private tail: LogTail | undefined;
  private readonly onTrip: (family: string, guard: GuardState) => void;

  /** @param onTrip called once per trip, with the log line's time as `guard.trippedAt` */
  constructor(families: readonly AgentFamily[], onTrip: (family: string, guard: GuardState) => void, now = Date.now()) {
    this.onTrip = onTrip;
    for (const f of families) {
      this.byName.set(f.name, {
        guard: new Guard(f.name, f.guard),
        stats: new FamilyStats(now),
        timeoutMs: f.guard.timeout,
        counters: { requests: { legacy: [0, 0, 0, 0, 0], new: [0, 0, 0, 0, 0] }, fallbacks: 0 },
      });
    }
  }

  /**
   * Counts one request. On new, the first attempt is new's (new is tried first, every time, and
   * only once) and is what the guard judges: a 5xx, no answer, or headers later than the
   * family's `guard.timeout`. A later attempt is legacy answering a safe request instead (a
   * fallback), counted on legacy as the router counts it. The counters take each backend's
   * answer by status class, as the router's do.
   */
  record(e: LogEntry): void {
    const f = this.byName.get(e.family);
    if (f === undefined) return;
    const first = e.attempts[0];
    if (first === undefined) return; // nginx answered by itself: no backend to count
    if (e.bucket !== undefined) f.stats.recordBucket(e.bucket);
    const startedAt = e.time - e.requestMs;
    if (e.backend === 'new') {
      const failed = failedAttempt(first) || first.ms >= f.timeoutMs;
      f.stats.recordRequest('new', first.ms, failed, startedAt);
      count(f.counters, 'new', first);
      if (f.guard.record(failed, e.time)) this.onTrip(e.family, { ...f.guard.state });
      const last = e.attempts.length > 1 ? e.attempts[e.attempts.length - 1]! : undefined;
      if (last !== undefined) {
        f.stats.recordFallback();
        f.counters.fallbacks++;
        f.stats.recordRequest('legacy', last.ms, failedAttempt(last), startedAt);
        count(f.counters, 'legacy', last);
      }
      return;
    }
    const last = e.attempts[e.attempts.length - 1]!;
    f.stats.recordRequest('legacy', last.ms, failedAttempt(last), startedAt);
    count(f.counters, 'legacy', last);
  }

  /** Counts one raw log line; foreign or partial lines are skipped. */
  recordLine(line: string): void {
    const e = parseLogLine(line);
    if (e !== undefined) this.record(e);
  }

  /**
   * Starts following nginx's access log from its current end (once).
   * @throws `PHX_ERR_NGINX_ACCESS_LOG` when the file is missing or unreadable
   */
  async follow(file: string): Promise<void> {
    if (this.tail !== undefined) return;
    this.tail = await tailLog(file, { onLine: (l) => this.recordLine(l) });
  }

  get following(): boolean {
    return this.tail !== undefined;
  }

  /** Reads what nginx has written so far, so figures taken next include it. */
  async drain(): Promise<void> {
    await this.tail?.drain();
  }

  /** The family's guard and statistics since the last reset. */
  figures(family: string, now = Date.now()): { guard: GuardState; stats: FamilyStatsSnapshot } {
    const f = this.watched(family);
    return { guard: { ...f.guard.state }, stats: f.stats.snapshot(now) };
  }

  /** The family's client-path counters since the agent started (a copy). */
  counters(family: string): ClientCounters {
    const c = this.watched(family).counters;
    return { requests: { legacy: [...c.requests.legacy], new: [...c.requests.new] }, fallbacks: c.fallbacks };
  }

  /** Starts the family's statistics window again (the guard is left as it is). */
  resetFigures(family: string, now = Date.now()): void {
    this.watched(family).stats.reset(now);
  }

  isTripped(family: string): boolean {
    return this.byName.get(family)?.guard.state.tripped === true;
  }

  /** Families whose guard is tripped, as saved in the include file. */
  trips(): SavedTrip[] {
    return [...this.byName]
      .filter(([, f]) => f.guard.state.tripped)
      .map(([family, { guard: g }]) => ({
        family,
        reason: g.state.reason,
        trippedAt: g.state.trippedAt,
        tripMs: g.state.tripMs,
      }));
  }

  /** Re-arms the family's guard. */
  clear(family: string): GuardState {
    const f = this.watched(family);
    f.guard.clear();
    return { ...f.guard.state };
  }

  /** Restores a saved trip (a restart, or a clear nginx refused). */
  restore(t: SavedTrip): void {
    this.byName.get(t.family)?.guard.restore(t);
  }

  async close(): Promise<void> {
    const t = this.tail;
    this.tail = undefined;
    await t?.close();
  }

  private watched(family: string): Watched {
    const f = this.byName.get(family);
    if (f === undefined) throw new Error(`no family "${family}" watched`);
    return f;
  }
}

/** Counts an attempt's answer by status class; one without response headers is `error`, as in the router. */
function count(c: ClientCounters, backend: 'legacy' | 'new', a: Attempt): void {
  countAnswer(c.requests, backend, a.noAnswer ? 0 : a.status);
}

/** An attempt the router would count as failed: a 5xx or no answer at all. */
function failedAttempt(a: Attempt): boolean {
  return a.status === 0 || a.status >= 500;
}
