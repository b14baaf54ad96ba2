/**
 * One family's figures when nginx routes and the comparator compares: nginx's client figures
 * (from its access log: requests, failures and latency per backend, fallbacks, canary users,
 * client latency) with the comparator's shadow and parity figures. The workflow's gates read
 * them as one router's. Pure.
 */
import type { FamilyStatsSnapshot } from '../parity/snapshot.js';

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
