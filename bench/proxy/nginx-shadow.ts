/**
 * The shadow side of `bench:nginx-cpu`: `phoenix comparator --serve` (from the CLI, as an operator
 * runs it) taking the mirrors of Phoenix's nginx, and what one measured run of the load costs it.
 * The comparator fetches legacy's and new's answers from the benchmark's origin, which serves both.
 */
import { startComparator, type ComparatorPeer } from './comparator-peer.js';
import { sampleTree } from './proc.js';

/** What the comparator did for one run of the load, once its comparisons drained. */
export interface ComparatorRun {
  /** Mirrors nginx sent that the comparator took for the family (its `shadow.sampled`). */
  mirrored: number;
  /** Comparisons merged (`parity.samples`). */
  compared: number;
  /** Mirrors shed for want of a free slot. */
  dropped: number;
  /** Comparisons still pending when the load ended. */
  pendingAtEnd: number;
  /** mirrored ÷ the client's requests: nginx's sampling, ≈ the route's sample rate. */
  sampledShare: number | null;
  /** compared ÷ mirrored. */
  comparedShare: number | null;
  /** The comparator's process tree CPU from the load's start until its comparisons drained ÷ compared, µs. */
  cpuUsPerComparison: number | null;
}

interface Stats {
  stats: { shadow: { sampled?: number; dropped: number }; parity: { samples: number } };
}

async function json(url: string, method = 'GET'): Promise<unknown> {
  const r = await fetch(url, { method });
  const text = await r.text();
  if (r.status >= 300) throw new Error(`${method} ${url} → ${r.status} ${text}`);
  return JSON.parse(text) as unknown;
}

const r3 = (x: number): number | null => (Number.isFinite(x) ? Math.round(x * 1000) / 1000 : null);
const r2 = (x: number): number | null => (Number.isFinite(x) ? Math.round(x * 100) / 100 : null);

/**
 * Starts the comparator for family `family` on `cpu`, comparing against `originUrl` as both legacy
 * and new, with `queue` slots beyond `router.mirrorConcurrency`.
 */
export function startShadowComparator(
  family: string,
  originUrl: string,
  cpu: string,
  queue: number,
): Promise<ComparatorPeer> {
  return startComparator(family, originUrl, originUrl, cpu, queue);
}

/**
 * Resets the comparator's figures and starts counting its CPU; `close(requests)` waits for its
 * comparisons to drain and gives what the run cost it, `requests` being the client's.
 */
export async function comparatorWindow(
  c: ComparatorPeer,
  family: string,
): Promise<{ close(requests: number): Promise<ComparatorRun> }> {
  const fam = `${c.adminUrl}/v1/families/${family}`;
  await json(`${fam}/comparisons?wait=60000`);
  await json(`${fam}/stats`, 'DELETE');
  const cpu0 = sampleTree(c.pid).cpuS;
  return {
    async close(requests) {
      const pendingAtEnd = ((await json(`${fam}/comparisons`)) as { pending: number }).pending;
      await json(`${fam}/comparisons?wait=60000`);
      const cpuUs = (sampleTree(c.pid).cpuS - cpu0) * 1e6;
      const { stats } = (await json(`${fam}/stats`)) as Stats;
      const mirrored = stats.shadow.sampled ?? 0;
      const compared = stats.parity.samples;
      return {
        mirrored,
        compared,
        dropped: stats.shadow.dropped,
        pendingAtEnd,
        sampledShare: r3(mirrored / requests),
        comparedShare: r3(compared / mirrored),
        cpuUsPerComparison: r2(cpuUs / compared),
      };
    },
  };
}
