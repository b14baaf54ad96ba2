/**
 * The parity gate's replay round (`parity.replay`): gathers the family's recorded safe requests
 * (contract cases, the router's captured samples) and has the router replay `count` of them
 * through its shadow comparison. A retry replays again; the workflow's next budget counts what
 * the router already compared, so a repeat costs a few extra samples at most, within the cap.
 */
import { loadFamilyCases, type LoadedCase } from '../contracts/cases.js';
import { resolveCredential, variablesUsed } from '../contracts/variables.js';
import type { FamilyPlan } from '../plan/schema.js';
import { SAFE_METHODS } from '../plan/route-pattern.js';
import type { ReplayRequest, RouterAdminClient, SampleRecord } from '../router/client.js';
import { queryString } from '../lib/query-values.js';
import type { FleetTarget } from './fleet-state.js';

/** Requests per router call at most: each call then lasts at most about 20 s at the plan's rate. */
const CALL_SECONDS = 20;
const MAX_PER_CALL = 500;

export interface ReplayRoundInput extends FleetTarget {
  family: FamilyPlan;
  /** Requests to replay this round. */
  count: number;
  /** Where in the pool of recorded requests this round starts (rounds go round it in turn). */
  offset: number;
}

/** What a replay round did; small enough for workflow history. */
export interface ReplayRoundResult {
  /** Recorded requests fit for replay: contract cases, captured samples. */
  pool: { contracts: number; samples: number };
  /** Recorded safe requests left out, and why. */
  skipped: { credentials: number; variables: number };
  /** Handed to the shadow comparison (in the router's `parity.replayed` once compared). */
  submitted: number;
  /** Not sent: the router's shadow pipeline had no slot free. */
  dropped: number;
  /** Legacy did not answer, or answered more than the router compares. */
  failed: number;
}

function caseRequest(
  c: LoadedCase,
  family: FamilyPlan,
  skipped: ReplayRoundResult['skipped'],
): ReplayRequest | undefined {
  if (variablesUsed(c).length > 0) {
    // A value captured from an earlier case's answer is not known outside a contract run.
    skipped.variables++;
    return undefined;
  }
  const headers: Record<string, string> = { ...c.request.headers };
  if (c.credential) {
    // One header set goes to the router: a credential per side needs the router's identity for new.
    if (!('env' in c.credential) && family.identity.new === undefined) {
      skipped.credentials++;
      return undefined;
    }
    try {
      const [name, value] = resolveCredential(c.credential, 'legacy');
      headers[name] = value;
    } catch {
      skipped.credentials++;
      return undefined;
    }
  }
  const query = c.request.query
    ? Object.fromEntries(
        Object.entries(c.request.query).map(([k, v]) => [k, Array.isArray(v) ? v.map(String) : String(v)]),
      )
    : undefined;
  return { method: c.request.method, path: c.request.path, ...(query ? { query } : {}), headers };
}

function sampleRequest(
  s: SampleRecord,
  family: FamilyPlan,
  skipped: ReplayRoundResult['skipped'],
): ReplayRequest | undefined {
  // Samples are kept without credentials: only the router's identity per side can supply them.
  if (s.credentials && (family.identity.legacy === undefined || family.identity.new === undefined)) {
    skipped.credentials++;
    return undefined;
  }
  return { method: s.method, path: s.path, query: s.query, headers: s.headers };
}

/**
 * The family's recorded safe requests, contract cases first (file order), then captured samples
 * (as `samples` reads them: by default the router's, newest first).
 */
export async function replayPool(
  family: FamilyPlan,
  admin: RouterAdminClient,
  samples: () => Promise<SampleRecord[]> = () => admin.getSamples(family.name),
): Promise<{ requests: ReplayRequest[]; pool: ReplayRoundResult['pool']; skipped: ReplayRoundResult['skipped'] }> {
  const from = family.parity.replay?.from ?? [];
  const skipped = { credentials: 0, variables: 0 };
  const requests: ReplayRequest[] = [];
  const pool = { contracts: 0, samples: 0 };
  if (from.includes('contracts') && family.contractFiles.length > 0) {
    for (const c of await loadFamilyCases(family.contractFiles, family.name)) {
      if (!SAFE_METHODS.has(c.request.method)) continue;
      const r = caseRequest(c, family, skipped);
      if (r) requests.push(r);
    }
    pool.contracts = requests.length;
  }
  if (from.includes('samples')) {
    const seen = new Set<string>();
    for (const s of await samples()) {
      if (!SAFE_METHODS.has(s.method)) continue;
      const r = sampleRequest(s, family, skipped);
      if (!r) continue;
      // The same request twice in the ring is one recorded request.
      const key = `${r.method} ${r.path}?${queryString(r.query)}`;
      if (seen.has(key)) continue;
      seen.add(key);
      requests.push(r);
      pool.samples++;
    }
  }
  return { requests, pool, skipped };
}

/**
 * Replays `count` requests of the pool from `offset` (wrapping), in calls `admin`'s router paces
 * (each up to {@link CALL_SECONDS} s).
 * @param samples where the pool's captured samples come from (a fleet: every member's); @default `admin`'s
 * @param signal stops the round before its next call (the activity's cancellation: a worker
 *   shutting down does not hold a minute-long round to its end; the parity gate plans another)
 * @throws the signal's reason once it is aborted
 */
export async function replayRound(
  input: ReplayRoundInput,
  admin: RouterAdminClient,
  heartbeat: (progress: { done: number; of: number }) => void = () => {},
  samples?: () => Promise<SampleRecord[]>,
  signal?: AbortSignal,
): Promise<ReplayRoundResult> {
  const { requests, pool, skipped } = await replayPool(input.family, admin, samples);
  const result: ReplayRoundResult = { pool, skipped, submitted: 0, dropped: 0, failed: 0 };
  if (requests.length === 0 || input.count <= 0) return result;
  const perSecond = input.family.parity.replay?.maxPerSecond ?? 5;
  const chosen = Array.from({ length: input.count }, (_, i) => requests[(input.offset + i) % requests.length]!);
  const perCall = Math.max(1, Math.min(MAX_PER_CALL, Math.floor(perSecond * CALL_SECONDS)));
  for (let at = 0; at < chosen.length; at += perCall) {
    signal?.throwIfAborted();
    const r = await admin.replay(input.family.name, chosen.slice(at, at + perCall), perSecond);
    result.submitted += r.submitted;
    result.dropped += r.dropped;
    result.failed += r.failed + r.tooLarge;
    heartbeat({ done: Math.min(at + perCall, chosen.length), of: chosen.length });
  }
  return result;
}
