/**
 * Open-loop fixed-rate load through vegeta (Go), when it is installed: the Node generator in
 * fixed-rate.ts costs the load core more per request than the origin does, and at the rates the
 * half-load figures use it stalls for tens to hundreds of milliseconds now and then, which decides
 * a p99 on its own (measured against the origin with no proxy between, same core layout).
 * vegeta starts a new worker whenever one is needed, so a slow answer never delays the next send.
 *
 * Install: `GOBIN=$PWD/.tools go install github.com/tsenart/vegeta/v12@v12.13.0` (from the Go
 * module proxy); `PHOENIX_VEGETA` names another binary.
 */
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** The vegeta binary to use, or undefined when none is installed. */
export function findVegeta(): string | undefined {
  const env = process.env.PHOENIX_VEGETA;
  if (env) return env;
  const candidates = [
    join(root, '.tools', 'vegeta'),
    ...(process.env.PATH ?? '').split(delimiter).map((d) => join(d, 'vegeta')),
  ];
  return candidates.find((c) => existsSync(c));
}

export interface VegetaRun {
  bin: string;
  url: string;
  rate: number;
  durationS: number;
  warmupS: number;
  connections: number;
  cpu: string;
  /** Request header fields, `name: value` each. */
  headers?: readonly string[];
  /** Sends this header with `count` values in turn (`k0` … `k<count-1>`), one per request: many users for a sticky key. */
  keys?: { header: string; count: number };
  /** Keep the measured run's raw results here, for {@link pooledPercentiles} over several runs. */
  saveAs?: string;
  capture: (cmd: string, args: string[]) => Promise<string>;
}

interface VegetaReport {
  requests: number;
  latencies: Record<'50th' | '90th' | '99th' | 'max', number>;
  status_codes: Record<string, number>;
}

async function report(
  bin: string,
  files: string[],
  capture: (cmd: string, args: string[]) => Promise<string>,
): Promise<VegetaReport> {
  return JSON.parse(await capture(bin, ['report', '-type', 'json', ...files])) as VegetaReport;
}

/**
 * p50/p90/p99 (µs) over every request of several saved runs together: a p99 taken over all rounds
 * of one mode is decided by the slowest 1% of all its requests, not by whether one short round
 * happened to meet a stall of the machine.
 */
export async function pooledPercentiles(
  bin: string,
  files: string[],
  capture: (cmd: string, args: string[]) => Promise<string>,
): Promise<{ requests: number; p50Us: number; p90Us: number; p99Us: number }> {
  const r = await report(bin, files, capture);
  const us = (ns: number): number => Math.round(ns / 1000);
  return {
    requests: r.requests,
    p50Us: us(r.latencies['50th']),
    p90Us: us(r.latencies['90th']),
    p99Us: us(r.latencies['99th']),
  };
}

/** Warms up for `warmupS` (not recorded), then measures `durationS` at `rate` req/s. Latencies in µs. */
export async function runVegeta(o: VegetaRun) {
  const dir = mkdtempSync(join(tmpdir(), 'phx-vegeta-'));
  try {
    const targets = join(dir, 'targets.txt');
    const k = o.keys;
    writeFileSync(
      targets,
      k === undefined
        ? `GET ${o.url}\n`
        : Array.from({ length: k.count }, (_, i) => `GET ${o.url}\n${k.header}: k${i}\n`).join('\n'),
    );
    const attack = (seconds: number, out: string): Promise<string> =>
      o.capture('taskset', [
        '-c',
        o.cpu,
        o.bin,
        'attack',
        '-targets',
        targets,
        '-rate',
        `${Math.round(o.rate)}/s`,
        '-duration',
        `${seconds}s`,
        '-connections',
        String(o.connections),
        '-max-connections',
        String(o.connections),
        '-timeout',
        '30s',
        ...(o.headers ?? []).flatMap((h) => ['-header', h]),
        '-output',
        out,
      ]);
    if (o.warmupS > 0) await attack(o.warmupS, join(dir, 'warmup.bin'));
    const results = o.saveAs ?? join(dir, 'results.bin');
    await attack(o.durationS, results);
    const r = await report(o.bin, [results], o.capture);
    let errors = 0;
    let non2xx = 0;
    for (const [code, n] of Object.entries(r.status_codes ?? {})) {
      if (code === '0') errors += n;
      else if (!code.startsWith('2')) non2xx += n;
    }
    const us = (ns: number): number => Math.round(ns / 1000);
    return {
      rate: o.rate,
      completed: r.requests - errors,
      errors,
      non2xx,
      p50Us: us(r.latencies['50th']),
      p90Us: us(r.latencies['90th']),
      p99Us: us(r.latencies['99th']),
      maxUs: us(r.latencies.max),
      generator: 'vegeta' as const,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
