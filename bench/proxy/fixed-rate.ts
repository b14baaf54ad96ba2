/**
 * An open-loop, fixed-rate load generator (wrk2 is not packaged here). Requests are scheduled at
 * exact intervals over `--connections` keep-alive connections; each latency is measured from the
 * request's *scheduled* time, so queueing behind a slow response counts (no coordinated omission).
 * The first `--warmup` seconds are sent but not recorded.
 *
 * Run: `node --import tsx bench/proxy/fixed-rate.ts --url URL --rate 5000 --duration 5 [--connections 32] [--warmup 1]`.
 * Prints one JSON line: `{ rate, sent, completed, errors, non2xx, p50Us, p90Us, p99Us, maxUs }`.
 */
import { Pool } from 'undici';
import { parseArgs } from 'node:util';

const { values: args } = parseArgs({
  options: {
    url: { type: 'string', default: 'http://127.0.0.1:3000/' },
    rate: { type: 'string', default: '1000' },
    duration: { type: 'string', default: '5' },
    warmup: { type: 'string', default: '1' },
    connections: { type: 'string', default: '32' },
  },
});
const url = new URL(args.url);
const rate = Number(args.rate);
const durationS = Number(args.duration);
const warmupS = Number(args.warmup);
const connections = Number(args.connections);

const pool = new Pool(url.origin, { connections, pipelining: 1, keepAliveTimeout: 60_000 });
const path = url.pathname + url.search;
const total = Math.round(rate * (warmupS + durationS));
const warm = Math.round(rate * warmupS);
const lat = new Float64Array(total);
let sent = 0;
let completed = 0;
let errors = 0;
let non2xx = 0;
const start = performance.now();
const interval = 1000 / rate;

function send(i: number, scheduled: number): void {
  pool.request({ path, method: 'GET' }).then(
    async ({ statusCode, body }) => {
      await body.dump({ limit: 1 << 22 });
      if (statusCode < 200 || statusCode > 299) non2xx++;
      lat[i] = performance.now() - scheduled;
      completed++;
      if (completed + errors === total) finish();
    },
    () => {
      lat[i] = NaN;
      errors++;
      if (completed + errors === total) finish();
    },
  );
}

function tick(): void {
  const now = performance.now();
  const due = Math.min(total, Math.floor((now - start) / interval) + 1);
  while (sent < due) {
    send(sent, start + sent * interval);
    sent++;
  }
  if (sent < total) setTimeout(tick, 1);
}

function pct(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] as number;
}

function finish(): void {
  const measured = lat
    .slice(warm)
    .filter((v) => !Number.isNaN(v))
    .sort();
  const us = (ms: number): number => Math.round(ms * 1000);
  process.stdout.write(
    `${JSON.stringify({
      rate,
      sent,
      completed,
      errors,
      non2xx,
      measured: measured.length,
      p50Us: us(pct(measured, 50)),
      p90Us: us(pct(measured, 90)),
      p99Us: us(pct(measured, 99)),
      maxUs: us(measured[measured.length - 1] ?? NaN),
    })}\n`,
  );
  void pool.close().then(() => process.exit(0));
}

tick();
setTimeout(
  () => {
    process.stderr.write(`fixed-rate: gave up waiting for ${total - completed - errors} responses\n`);
    errors += total - completed - errors;
    finish();
  },
  (warmupS + durationS + 30) * 1000,
).unref();
