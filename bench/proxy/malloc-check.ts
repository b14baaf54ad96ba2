/**
 * One-off check of the glibc malloc problem TARGETS.md describes: with 64 KB bodies a Node proxy
 * can keep trimming freed buffers back to the kernel and faulting them in again. Runs a second,
 * untuned instance of each Node proxy (no GLIBC_TUNABLES) next to the tuned one and measures
 * page faults and CPU per 64 KB request for both, back to back.
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
  rows: MallocRow[];
}

export interface MallocCheckOptions {
  targets: NodeTarget[];
  tuned: Partial<Record<string, Peer>>;
  originUrl: string;
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

const SCRIPT: Record<NodeTarget, string> = { 'lean-undici': 'lean-undici.ts', 'fastify-proxy': 'fastify-proxy.ts', phoenix: 'phoenix.ts' };

async function once(o: MallocCheckOptions, peer: Peer): Promise<{ faults: number; cpuUs: number; rps: number; rssMB: number }> {
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
  const env = { ...o.nodeEnv };
  delete env.GLIBC_TUNABLES;
  const argsFor = (t: NodeTarget): string[] => (t === 'phoenix' ? ['--legacy', o.originUrl] : ['--origin', o.originUrl]);
  for (const t of o.targets) {
    const tuned = o.tuned[t];
    if (!tuned) continue;
    let untuned: Peer | undefined;
    try {
      untuned = await startNode(`${t}-untuned`, SCRIPT[t], argsFor(t), o.cpu, env);
      await runLoad(o.load, { url: `http://127.0.0.1:${untuned.port}${o.path}`, durationS: o.warmupS, connections: o.connections, cpu: o.loadCpu });
      const u = await once(o, untuned);
      const k = await once(o, tuned);
      rows.push({
        target: t,
        tunedFaultsPerReq: k.faults, untunedFaultsPerReq: u.faults,
        tunedCpuUsPerReq: k.cpuUs, untunedCpuUsPerReq: u.cpuUs,
        tunedRps: k.rps, untunedRps: u.rps, tunedRssMB: k.rssMB, untunedRssMB: u.rssMB,
      });
      o.log(`malloc check ${t} 64 KB: ${k.faults} faults/req tuned vs ${u.faults} untuned; CPU ${k.cpuUs} vs ${u.cpuUs} µs/req`);
    } catch (e) {
      o.log(`malloc check ${t} failed: ${(e as Error).message.split('\n')[0]}`);
    } finally {
      await untuned?.stop();
    }
  }
  return { path: o.path, durationS: o.durationS, rows };
}
