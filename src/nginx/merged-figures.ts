/**
 * One family's figures when nginx routes and the comparator compares: nginx's client figures
 * (from its access log: requests, failures and latency per backend, fallbacks, canary users,
 * client latency) with the comparator's shadow and parity figures. The workflow's gates read
 * them as one router's. Pure.
 */
import type { FamilyStatsSnapshot } from '../parity/snapshot.js';
import type { FamilyRuntime } from '../router/family.js';
import type { ClientCounters } from './agent.js';

/**
 * Merges nginx's `client` figures with the comparator's `compared` ones. Both windows are reset
 * together; `since` is the later start, the window both cover.
 */
export function mergeFigures(client: FamilyStatsSnapshot, compared: FamilyStatsSnapshot): FamilyStatsSnapshot {
  return {
    ...client,
    since: Math.max(client.since, compared.since),
    at: Math.max(client.at, compared.at),
    parity: compared.parity,
    shadow: compared.shadow,
  };
}

/**
 * Puts nginx's client-path counters into the comparator's runtime of the family, which counts no
 * client answers of its own, so `/metrics` gives `phoenix_requests_total` (per backend and status
 * class) and `phoenix_fallbacks_total` under the built-in router's names.
 */
export function showClientCounters(f: Pick<FamilyRuntime, 'counters'>, c: ClientCounters): void {
  f.counters.requests.legacy = c.requests.legacy;
  f.counters.requests.new = c.requests.new;
  f.counters.fallbacks = c.fallbacks;
}
