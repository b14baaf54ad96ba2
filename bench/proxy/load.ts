/**
 * Closed-loop load: one-thread wrk (with a Lua `done` hook that prints JSON), or autocannon when
 * wrk is not installed. Both run pinned to the origin's core, as TARGETS.md describes.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { findVegeta, pooledPercentiles, runVegeta } from './vegeta.js';

/** One closed-loop run. Latencies in microseconds. */
export interface LoadResult {
  requests: number;
  durationS: number;
  rps: number;
  p50Us: number;
  p99Us: number;
  /** Socket errors and timeouts. */
  errors: number;
  /** Answers that were not 2xx/3xx. */
  non2xx: number;
}

export interface LoadOptions {
  url: string;
  durationS: number;
  connections: number;
  /** CPU list for taskset, e.g. "1". */
  cpu: string;
  /** Request header fields, `name: value` each (wrk and autocannon). */
  headers?: readonly string[];
}

export type LoadTool = 'wrk' | 'autocannon';

const LUA = `done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format('WRKJSON {"requests":%d,"duration_us":%d,"p50_us":%d,"p99_us":%d,"errors":%d,"non2xx":%d}\\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
    e.connect + e.read + e.write + e.timeout, e.status))
end
`;

let luaFile: string | undefined;
function lua(): string {
  if (!luaFile) {
    luaFile = join(mkdtempSync(join(tmpdir(), 'phx-wrk-')), 'report.lua');
    writeFileSync(luaFile, LUA);
  }
  return luaFile;
}

/** Runs a command to completion and returns its stdout; rejects with stderr on a non-zero exit. */
export function capture(cmd: string, args: string[], env: NodeJS.ProcessEnv = process.env): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], env });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('error', reject);
    child.on('close', (code) =>
      code === 0 ? resolve(out) : reject(new Error(`${cmd} exited ${code}: ${err.trim() || out.trim()}`)),
    );
  });
}

async function wrk(o: LoadOptions): Promise<LoadResult> {
  const out = await capture('taskset', [
    '-c',
    o.cpu,
    'wrk',
    '-t1',
    `-c${o.connections}`,
    `-d${o.durationS}s`,
    '--timeout',
    '10s',
    '-s',
    lua(),
    ...(o.headers ?? []).flatMap((h) => ['-H', h]),
    o.url,
  ]);
  const line = out.split('\n').find((l) => l.startsWith('WRKJSON '));
  if (!line) throw new Error(`wrk printed no summary:\n${out}`);
  const j = JSON.parse(line.slice(8)) as Record<string, number>;
  const durationS = (j.duration_us ?? 0) / 1e6;
  const requests = j.requests ?? 0;
  return {
    requests,
    durationS,
    rps: requests / durationS,
    p50Us: j.p50_us ?? NaN,
    p99Us: j.p99_us ?? NaN,
    errors: j.errors ?? 0,
    non2xx: j.non2xx ?? 0,
  };
}

async function autocannon(o: LoadOptions): Promise<LoadResult> {
  const bin = join(dirname(createRequire(import.meta.url).resolve('autocannon/package.json')), 'autocannon.js');
  const out = await capture('taskset', [
    '-c',
    o.cpu,
    process.execPath,
    bin,
    '-c',
    String(o.connections),
    '-d',
    String(o.durationS),
    '-j',
    ...(o.headers ?? []).flatMap((h) => ['-H', h]),
    o.url,
  ]);
  const j = JSON.parse(out) as {
    requests: { total: number };
    latency: { p50: number; p99: number };
    duration: number;
    errors: number;
    timeouts: number;
    non2xx: number;
  };
  return {
    requests: j.requests.total,
    durationS: j.duration,
    rps: j.requests.total / j.duration,
    p50Us: Math.round(j.latency.p50 * 1000),
    p99Us: Math.round(j.latency.p99 * 1000),
    errors: j.errors + j.timeouts,
    non2xx: j.non2xx,
  };
}

/** Runs closed-loop load with the chosen tool. */
export function runLoad(tool: LoadTool, o: LoadOptions): Promise<LoadResult> {
  return tool === 'wrk' ? wrk(o) : autocannon(o);
}

/** Fixed-rate latency (see fixed-rate.ts and vegeta.ts). */
export interface RateResult {
  rate: number;
  /** Which open-loop generator measured it. */
  generator: 'vegeta' | 'node';
  completed: number;
  errors: number;
  non2xx: number;
  p50Us: number;
  p90Us: number;
  p99Us: number;
  maxUs: number;
}

const here = dirname(fileURLToPath(import.meta.url));

/**
 * Runs the fixed-rate generator pinned to `cpu`: vegeta when installed, else fixed-rate.ts
 * (`PHOENIX_BENCH_GENERATOR=node` forces it).
 */
export async function runFixedRate(
  o: LoadOptions & { rate: number; warmupS: number; saveAs?: string },
): Promise<RateResult> {
  const bin = process.env.PHOENIX_BENCH_GENERATOR === 'node' ? undefined : findVegeta();
  if (bin) return runVegeta({ ...o, bin, capture: (cmd, args) => capture(cmd, args) });
  // fixed-rate.ts keeps no raw results: `saveAs` stays unwritten and pooled figures are not given.
  const out = await capture('taskset', [
    '-c',
    o.cpu,
    process.execPath,
    '--import',
    'tsx',
    join(here, 'fixed-rate.ts'),
    '--url',
    o.url,
    '--rate',
    String(Math.round(o.rate)),
    '--duration',
    String(o.durationS),
    '--warmup',
    String(o.warmupS),
    '--connections',
    String(o.connections),
  ]);
  return { ...(JSON.parse(out.trim().split('\n').pop() as string) as RateResult), generator: 'node' };
}

/** Pooled p50/p90/p99 over runs saved with `saveAs`; undefined when vegeta did not measure them. */
export async function pooledRates(
  files: string[],
): Promise<{ requests: number; p50Us: number; p90Us: number; p99Us: number } | undefined> {
  const bin = findVegeta();
  if (!bin || files.length === 0 || !files.every((f) => existsSync(f))) return undefined;
  return pooledPercentiles(bin, files, (cmd, args) => capture(cmd, args));
}
