/**
 * Shapes of the router's control surface: a family's route and guard state as the admin API
 * serves them and the control plane sets them. Plain data only.
 */

/** Where a family's traffic goes. */
export type RouteMode = 'legacy' | 'shadow' | 'canary' | 'new';

/** A family's route. `version` only grows; a change with an older version is refused. */
export interface RouteState {
  family: string;
  mode: RouteMode;
  /** Share of the family's traffic on the new service, 0–100 (`legacy` 0, `new` 100). */
  percent: number;
  version: number;
  /** Share of legacy-served requests mirrored to the new service for comparison, 0–1. */
  sampleRate: number;
  updatedBy?: string;
  /** Epoch milliseconds. */
  updatedAt?: number;
}

/** A family's guard. While `tripped`, the family is served by legacy whatever its route says. */
export interface GuardState {
  family: string;
  tripped: boolean;
  reason?: string;
  /** Epoch milliseconds. */
  trippedAt?: number;
  /** Milliseconds from the first failing request of the run that tripped it to the trip. */
  tripMs?: number;
  /** Trips since the router started. */
  trips: number;
}

/** Body of `PUT /v1/families/:family/route`. */
export interface RouteChange {
  mode: RouteMode;
  percent: number;
  version: number;
  /** @default the family's `parity.sampleRate` */
  sampleRate?: number;
  updatedBy?: string;
}
