/**
 * Micro-benchmark of the parity diff engine against microdiff and jsondiffpatch, in one run on
 * the same payloads. Every library case parses both bodies, as the router must: the bar in
 * TARGETS.md is comparisons per second per core on a 2 KB pair with ignore rules, parse included,
 * with the value classes on (the plan's default); a second 2 KB case has every volatile field
 * judged by them instead of by an ignore rule.
 *
 * Run: `npm run bench:diff` (from the repo root). Writes bench/results/diff.json.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { do_not_optimize, measure } from 'mitata';
import microdiff from 'microdiff';
import { create as createDiffPatcher } from 'jsondiffpatch';
import { compareJson, compareResponses, compileRules } from '../../src/parity/index.js';
import type { HttpSnapshot } from '../../src/parity/index.js';

/** Deterministic PRNG (mulberry32) so every run measures the same bytes. */
function rng(seed: number): () => number {
  let t = seed >>> 0;
  return () => {
    t = (t + 0x6d2b79f5) >>> 0;
    let r = Math.imul(t ^ (t >>> 15), 1 | t);
    r = (r + Math.imul(r ^ (r >>> 7), 61 | r)) ^ r;
    return ((r ^ (r >>> 14)) >>> 0) / 4294967296;
  };
}

const FIRST = ['Ann', 'Bo', 'Chen', 'Dara', 'Eli', 'Fatima', 'Goran', 'Hana', 'Ivo', 'Jun'];
const LAST = ['Smith', 'Okafor', 'Novak', 'Ito', 'Garcia', 'Berg', 'Haddad', 'Kowalski'];
const CITIES = ['Lisbon', 'Osaka', 'Lagos', 'Oslo', 'Lima', 'Graz'];
const ROLES = ['admin', 'billing', 'support', 'dev', 'viewer'];

function iso(r: () => number): string {
  return new Date(1_600_000_000_000 + Math.floor(r() * 100_000_000_000)).toISOString();
}

function makeUser(r: () => number, id: number): Record<string, unknown> {
  const first = FIRST[Math.floor(r() * FIRST.length)] as string;
  const last = LAST[Math.floor(r() * LAST.length)] as string;
  return {
    id,
    uuid: `${Math.floor(r() * 2 ** 32)
      .toString(16)
      .padStart(8, '0')}-${Math.floor(r() * 2 ** 16).toString(16)}-4a1b-9c2d-${Math.floor(r() * 2 ** 48).toString(16)}`,
    name: `${first} ${last}`,
    email: `${first.toLowerCase()}.${last.toLowerCase()}${id}@example.com`,
    created_at: iso(r),
    updated_at: iso(r),
    active: r() > 0.2,
    address: {
      street: `${Math.floor(r() * 200)} Main St`,
      city: CITIES[Math.floor(r() * CITIES.length)],
      zip: String(10000 + Math.floor(r() * 89999)),
      geo: { lat: r() * 180 - 90, lng: r() * 360 - 180 },
    },
    roles: ROLES.filter(() => r() > 0.6),
    stats: { logins: Math.floor(r() * 5000), score: Math.round(r() * 10000) / 100, last_request_id: `req-${id}` },
  };
}

/** A users page of at least `bytes` bytes, and a candidate that differs only in ignored fields (or also in `real`). */
function makePair(bytes: number, seed: number, real = false): { legacy: Buffer; candidate: Buffer; size: number } {
  const r = rng(seed);
  const doc = {
    meta: { generated_at: iso(r), request_id: 'req-a', page: 1, total: 0 },
    data: [] as Record<string, unknown>[],
  };
  while (JSON.stringify(doc).length < bytes) doc.data.push(makeUser(r, 1000 + doc.data.length));
  doc.meta.total = doc.data.length;
  const cand = structuredClone(doc);
  cand.meta.generated_at = iso(r);
  cand.meta.request_id = 'req-b';
  for (const u of cand.data) u.updated_at = iso(r);
  if (real) (cand.data[cand.data.length - 1] as { name: string }).name = 'Changed Name';
  const legacy = Buffer.from(JSON.stringify(doc));
  return { legacy, candidate: Buffer.from(JSON.stringify(cand)), size: legacy.byteLength };
}

const rules = compileRules({ ignore: ['$.meta.generated_at', '$..request_id', '$.data[*].updated_at'] });
/** The request time of the value-class cases: their volatile fields are generated "now". */
const NOW = 1_800_000_000_000;

/** A version-4 UUID from the PRNG, so every run measures the same bytes. */
function uuidOf(r: () => number): string {
  let h = '';
  for (let i = 0; i < 32; i++) h += Math.floor(r() * 16).toString(16);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20)}`;
}

/**
 * The same page as answered to an unsafe request: every user's `uuid` and `updated_at` were
 * generated at request time on each side, so they differ, and only the value classes (class noise
 * on, no ignore rule for them: see `classRules`) keep the pair equal. Every differing leaf is classified.
 */
function makeVolatilePair(bytes: number, seed: number): { legacy: Buffer; candidate: Buffer } {
  const r = rng(seed);
  const fresh = (): Record<string, unknown> => ({
    uuid: uuidOf(r),
    updated_at: new Date(NOW - Math.floor(r() * 60_000)).toISOString(),
  });
  const doc = {
    meta: { generated_at: iso(r), request_id: 'req-a', page: 1, total: 0 },
    data: [] as Record<string, unknown>[],
  };
  while (JSON.stringify(doc).length < bytes) doc.data.push({ ...makeUser(r, 1000 + doc.data.length), ...fresh() });
  doc.meta.total = doc.data.length;
  const cand = structuredClone(doc);
  cand.meta.request_id = 'req-b';
  for (const u of cand.data) Object.assign(u, fresh());
  return { legacy: Buffer.from(JSON.stringify(doc)), candidate: Buffer.from(JSON.stringify(cand)) };
}
const classNoise = { classNoise: true, now: NOW };
/** The same ignore rules less the one for `updated_at`: the value classes judge it instead. */
const classRules = compileRules({ ignore: ['$.meta.generated_at', '$..request_id'] });
const jdp = createDiffPatcher();
const headers = { 'content-type': 'application/json' };
const snap = (body: Buffer): HttpSnapshot => ({ status: 200, headers, body });

interface Row {
  name: string;
  payloadBytes: number;
  opsPerSec: number;
  avgNs: number;
  p50Ns: number;
  p99Ns: number;
  samples: number;
}

async function main(): Promise<void> {
  const rows: Row[] = [];
  const sizes: Array<[string, number]> = [
    ['2KB', 2048],
    ['50KB', 51200],
  ];
  for (const [label, bytes] of sizes) {
    const p = makePair(bytes, 42);
    const withReal = makePair(bytes, 42, true);
    const legacyParsed: unknown = JSON.parse(p.legacy.toString());
    const candidateParsed: unknown = JSON.parse(p.candidate.toString());
    const same = Buffer.from(p.legacy);
    const vol = makeVolatilePair(bytes, 42);
    const volatileResult = compareResponses(snap(vol.legacy), snap(vol.candidate), classRules, undefined, classNoise);
    if (!volatileResult.equal || volatileResult.noise.length === 0)
      throw new Error('volatile pair should be equal through class noise');
    // Sanity: the engine must see the ignored-only pair as equal and the other pair as different.
    if (!compareResponses(snap(p.legacy), snap(p.candidate), rules).equal)
      throw new Error('ignored-only pair should be equal');
    if (compareResponses(snap(withReal.legacy), snap(withReal.candidate), rules).differences.length !== 1)
      throw new Error('expected one real difference');
    const cases: Array<[string, () => unknown]> = [
      [
        `phoenix compareResponses ${label} (parse + diff, ignore rules)`,
        () => compareResponses(snap(p.legacy), snap(p.candidate), rules),
      ],
      [
        `phoenix compareResponses ${label} one real difference`,
        () => compareResponses(snap(withReal.legacy), snap(withReal.candidate), rules),
      ],
      [`phoenix compareResponses ${label} identical bytes`, () => compareResponses(snap(p.legacy), snap(same), rules)],
      [
        `phoenix compareResponses ${label} fresh ids and timestamps judged by value classes (class noise on)`,
        () => compareResponses(snap(vol.legacy), snap(vol.candidate), classRules, undefined, classNoise),
      ],
      [`phoenix compareJson ${label} (pre-parsed, walk only)`, () => compareJson(legacyParsed, candidateParsed, rules)],
      [`JSON.parse x2 ${label} (floor)`, () => [JSON.parse(p.legacy.toString()), JSON.parse(p.candidate.toString())]],
      [
        `microdiff ${label} (parse + diff)`,
        () => microdiff(JSON.parse(p.legacy.toString()), JSON.parse(p.candidate.toString())),
      ],
      [
        `jsondiffpatch ${label} (parse + diff)`,
        () => jdp.diff(JSON.parse(p.legacy.toString()), JSON.parse(p.candidate.toString())),
      ],
    ];
    for (const [name, fn] of cases) {
      const s = await measure(() => do_not_optimize(fn()), { min_cpu_time: 1_000_000_000 });
      rows.push({
        name,
        payloadBytes: p.size,
        opsPerSec: Math.round(1e9 / s.avg),
        avgNs: Math.round(s.avg),
        p50Ns: Math.round(s.p50),
        p99Ns: Math.round(s.p99),
        samples: s.samples.length,
      });
    }
  }
  const ops = (prefix: string): number => rows.find((r) => r.name.startsWith(prefix))?.opsPerSec ?? NaN;
  const ratio = (a: number, b: number): number => Math.round((a / b) * 100) / 100;
  const ratios = {
    'phoenix 2KB vs target 20000/s': ratio(ops('phoenix compareResponses 2KB (parse'), 20_000),
    'phoenix 2KB value classes vs target 20000/s': ratio(ops('phoenix compareResponses 2KB fresh ids'), 20_000),
    'phoenix 2KB vs microdiff 2KB': ratio(ops('phoenix compareResponses 2KB (parse'), ops('microdiff 2KB')),
    'phoenix 2KB vs jsondiffpatch 2KB': ratio(ops('phoenix compareResponses 2KB (parse'), ops('jsondiffpatch 2KB')),
    'phoenix 50KB vs microdiff 50KB': ratio(ops('phoenix compareResponses 50KB (parse'), ops('microdiff 50KB')),
    'phoenix 50KB vs jsondiffpatch 50KB': ratio(ops('phoenix compareResponses 50KB (parse'), ops('jsondiffpatch 50KB')),
    'phoenix 2KB vs JSON.parse x2 floor': ratio(ops('phoenix compareResponses 2KB (parse'), ops('JSON.parse x2 2KB')),
    'phoenix 50KB vs JSON.parse x2 floor': ratio(
      ops('phoenix compareResponses 50KB (parse'),
      ops('JSON.parse x2 50KB'),
    ),
  };
  const cpus = os.cpus();
  const out = {
    machine: {
      cpu: cpus[0]?.model ?? 'unknown',
      cores: cpus.length,
      platform: `${os.platform()} ${os.release()}`,
      arch: os.arch(),
      loadavg: os.loadavg(),
    },
    node: process.version,
    date: new Date().toISOString(),
    note: 'Every library case parses both bodies. microdiff and jsondiffpatch have no ignore rules, so they also report the ignored fields. Phoenix cases run with every value class enabled (the default); the "value classes" case has fresh UUIDs and timestamps in every item, judged as class noise.',
    results: rows,
    ratios,
  };
  const file = join(dirname(fileURLToPath(import.meta.url)), '..', 'results', 'diff.json');
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, JSON.stringify(out, null, 2) + '\n');
  console.table(
    rows.map((r) => ({
      name: r.name,
      bytes: r.payloadBytes,
      'ops/s': r.opsPerSec,
      'avg µs': (r.avgNs / 1000).toFixed(1),
      'p99 µs': (r.p99Ns / 1000).toFixed(1),
    })),
  );
  console.table(ratios);
  console.log(`written ${file}`);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
