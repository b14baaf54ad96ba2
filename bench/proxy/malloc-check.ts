/**
 * Check of the glibc malloc problem TARGETS.md describes: with 64 KB bodies a Node proxy can keep
 * trimming freed buffers back to the kernel and faulting them in again. Starts a fresh tuned and a
 * fresh untuned (no GLIBC_TUNABLES) instance of each Node proxy, so neither carries the heap of
 * the whole benchmark, and measures page faults and CPU per 64 KB request for both in alternating
 * rounds (medians), so the machine's drift falls on both alike.
 */
import type { LoadTool } from './load.js';
import { runLoad } from './load.js';
import { startNode, type Peer } from './peers.js';
import { sampleTree } from './proc.js';

type NodeTarget = 'lean-undici' | 'fastify-proxy' | 'phoenix';

export interface MallocRow {
  target: NodeTarget;
  tunedFaultsPerReq: number;
  untunedFaultsPerReq: number;
  tunedCpuUsPerReq: number;
  untunedCpuUsPerReq: number;
  tunedRps: number;
  untunedRps: number;
  tunedRssMB: number;
  untunedRssMB: number;
}

export interface MallocCheck {
  path: string;
  durationS: number;
  /** Measured rounds per copy; figures are medians. */
  rounds: number;
  rows: MallocRow[];
}

export interface MallocCheckOptions {
  targets: NodeTarget[];
  originUrl: string;
  /** Measured rounds per copy, alternating which copy goes first. */
  rounds: number;
  durationS: number;
  /** Load on the fresh untuned instance before measuring, seconds. */
  warmupS: number;
  connections: number;
  load: LoadTool;
  cpu: string;
  loadCpu: string;
  nodeEnv: NodeJS.ProcessEnv;
  path: string;
  log: (m: string) => void;
}

const SCRIPT: Record<NodeTarget, string> = {
  'lean-undici': 'lean-undici.ts',
  'fastify-proxy': 'fastify-proxy.ts',
  phoenix: 'phoenix.ts',
};

async function once(
  o: MallocCheckOptions,
  peer: Peer,
): Promise<{ faults: number; cpuUs: number; rps: number; rssMB: number }> {
  const url = `http://127.0.0.1:${peer.port}${o.path}`;
  const a = sampleTree(peer.pid);
  const r = await runLoad(o.load, { url, durationS: o.durationS, connections: o.connections, cpu: o.loadCpu });
  const b = sampleTree(peer.pid);
  const n = Math.max(1, r.requests);
  return {
    faults: Math.round(((b.faults - a.faults) / n) * 1000) / 1000,
    cpuUs: Math.round(((b.cpuS - a.cpuS) * 1e6 * 100) / n) / 100,
    rps: Math.round(r.rps),
    rssMB: Math.round(b.rssBytes / 1048576),
  };
}

/** Measures tuned vs untuned page faults per 64 KB request for each Node proxy. */
export async function mallocCheck(o: MallocCheckOptions): Promise<MallocCheck> {
  const rows: MallocRow[] = [];
  const untunedEnv = { ...o.nodeEnv };
  delete untunedEnv.GLIBC_TUNABLES;
  const argsFor = (t: NodeTarget): string[] =>
    t === 'phoenix' ? ['--legacy', o.originUrl] : ['--origin', o.originUrl];
  const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  for (const t of o.targets) {
    let tuned: Peer | undefined;
    let untuned: Peer | undefined;
    try {
      tuned = await startNode(`${t}-tuned`, SCRIPT[t], argsFor(t), o.cpu, o.nodeEnv);
      untuned = await startNode(`${t}-untuned`, SCRIPT[t], argsFor(t), o.cpu, untunedEnv);
      for (const p of [tuned, untuned])
        await runLoad(o.load, {
          url: `http://127.0.0.1:${p.port}${o.path}`,
          durationS: o.warmupS,
          connections: o.connections,
          cpu: o.loadCpu,
        });
      const k: Awaited<ReturnType<typeof once>>[] = [];
      const u: Awaited<ReturnType<typeof once>>[] = [];
      for (let round = 0; round < o.rounds; round++) {
        // ABBA order: neither copy always runs first.
        if (round % 2 === 0) {
          u.push(await once(o, untuned));
          k.push(await once(o, tuned));
        } else {
          k.push(await once(o, tuned));
          u.push(await once(o, untuned));
        }
      }
      const m = (xs: typeof k, f: keyof (typeof k)[number]): number => median(xs.map((x) => x[f]));
      rows.push({
        target: t,
        tunedFaultsPerReq: m(k, 'faults'),
        untunedFaultsPerReq: m(u, 'faults'),
        tunedCpuUsPerReq: m(k, 'cpuUs'),
        untunedCpuUsPerReq: m(u, 'cpuUs'),
        tunedRps: m(k, 'rps'),
        untunedRps: m(u, 'rps'),
        tunedRssMB: m(k, 'rssMB'),
        untunedRssMB: m(u, 'rssMB'),
      });
      o.log(
        `malloc check ${t} 64 KB: ${m(k, 'faults')} faults/req tuned vs ${m(u, 'faults')} untuned; CPU ${m(k, 'cpuUs')} vs ${m(u, 'cpuUs')} µs/req (medians of ${o.rounds} rounds)`,
      );
    } catch (e) {
      o.log(`malloc check ${t} failed: ${(e as Error).message.split('\n')[0]}`);
    } finally {
      await untuned?.stop();
      await tuned?.stop();
    }
  }
  return { path: o.path, durationS: o.durationS, rounds: o.rounds, rows };
}
