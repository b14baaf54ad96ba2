/**
 * CPU profile of one proxy under wrk load, summarised as top frames by self time, so a hot-path
 * regression can be traced without opening DevTools. The profile file stays on disk for
 * `chrome://inspect` / speedscope.
 *
 * Run: `node --import tsx bench/proxy/profile.ts [--target phoenix|phoenix-shadow|lean-undici|fastify-proxy]
 *       [--size small|large] [--duration 10] [--top 25]`
 */
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PATHS, type Size } from './bodies.js';
import { runLoad } from './load.js';
import { startNode, type Peer } from './peers.js';
import { GLIBC_TUNABLES } from './tunables.js';
import { parseArgs } from 'node:util';

const { values: flags } = parseArgs({
  options: {
    target: { type: 'string', default: 'phoenix' },
    size: { type: 'string', default: 'small' },
    duration: { type: 'string', default: '10' },
    top: { type: 'string', default: '25' },
  },
});

interface Node {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
  children?: number[];
}

async function run(): Promise<void> {
  const target = flags.target;
  const size = flags.size as Size;
  const durationS = Number(flags.duration);
  const top = Number(flags.top);
  const env = { ...process.env, GLIBC_TUNABLES, NODE_ENV: 'production', PHOENIX_LOG_LEVEL: 'warn' };
  const dir = mkdtempSync(join(tmpdir(), 'phx-prof-'));
  const origin = await startNode('origin', 'origin.ts', [], '1', env);
  const originUrl = `http://127.0.0.1:${origin.port}`;
  let mirror: Peer | undefined;
  let args = ['--origin', originUrl];
  let script = `${target}.ts`;
  if (target === 'phoenix' || target === 'phoenix-shadow') {
    script = 'phoenix.ts';
    args = ['--legacy', originUrl];
    if (target === 'phoenix-shadow') {
      mirror = await startNode('mirror', 'origin.ts', [], '1', env);
      args.push('--new', `http://127.0.0.1:${mirror.port}`);
    }
  }
  const peer = await startNode(target, script, args, '0', env, ['--cpu-prof', '--cpu-prof-dir', dir]);
  if (target === 'phoenix-shadow') {
    const r = await fetch(`${String(peer.info.adminUrl).replace(/\/$/, '')}/v1/families/bench/route`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ mode: 'shadow', percent: 0, version: 1, sampleRate: 1 }),
    });
    if (r.status >= 300) throw new Error(`setting shadow mode: ${r.status} ${await r.text()}`);
  }
  const url = `http://127.0.0.1:${peer.port}${PATHS[size]}`;
  await runLoad('wrk', { url, durationS: 3, connections: 32, cpu: '1' });
  const r = await runLoad('wrk', { url, durationS, connections: 32, cpu: '1' });
  await peer.stop();
  await mirror?.stop();
  await origin.stop();
  // One profile per thread: the proxy's and, in shadow mode, the shadow thread's.
  const files = readdirSync(dir)
    .filter((f) => f.endsWith('.cpuprofile'))
    .sort();
  if (files.length === 0) throw new Error(`no .cpuprofile written in ${dir}`);
  process.stdout.write(`${target} ${size}: ${Math.round(r.rps)} req/s under --cpu-prof\n`);
  for (const file of files) {
    const prof = JSON.parse(readFileSync(join(dir, file), 'utf8')) as {
      nodes: Node[];
      startTime: number;
      endTime: number;
    };
    const self = new Map<string, number>();
    let total = 0;
    let idle = 0;
    for (const n of prof.nodes) {
      const hits = n.hitCount ?? 0;
      total += hits;
      if (n.callFrame.functionName === '(idle)') idle += hits;
      const url = n.callFrame.url.replace(/^file:\/\//, '').replace(process.cwd() + '/', '');
      const key =
        `${n.callFrame.functionName || '(anonymous)'}  ${url ? `${url}:${n.callFrame.lineNumber + 1}` : ''}`.trim();
      self.set(key, (self.get(key) ?? 0) + hits);
    }
    const rows = [...self.entries()].sort((a, b) => b[1] - a[1]).slice(0, top);
    process.stdout.write(
      `\n${file} (${(((total - idle) / Math.max(1, total)) * 100).toFixed(0)}% of samples busy): top ${top} frames by self time\n`,
    );
    for (const [k, v] of rows) process.stdout.write(`${((v / total) * 100).toFixed(1).padStart(6)}%  ${k}\n`);
  }
  process.stdout.write(`profiles: ${dir}\n`);
  process.exit(0);
}

run().catch((err: unknown) => {
  process.stderr.write(`profile: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
