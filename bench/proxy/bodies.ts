/**
 * The benchmark's response bodies, built deterministically so the origin and the byte check in
 * `run.ts` agree without talking to each other: a ≈300 B JSON object and a 64 KB JSON document.
 */

/** Benchmark paths, one per body size; every peer proxies both. */
export const PATHS = { small: '/api/bench/small', large: '/api/bench/large' } as const;
export type Size = keyof typeof PATHS;
export const SIZES: readonly Size[] = ['small', 'large'];

function item(i: number): Record<string, unknown> {
  return {
    id: 10_000 + i,
    sku: `SKU-${String(i * 7919).padStart(8, '0')}`,
    name: `Widget ${i}`,
    price: Math.round(((i * 37) % 10_000) + 99) / 100,
    tags: ['alpha', 'beta', 'gamma'].slice(0, 1 + (i % 3)),
    updated_at: new Date(1_700_000_000_000 + i * 60_000).toISOString(),
  };
}

function small(): Buffer {
  const doc = {
    id: 4711,
    name: 'Ada Lovelace',
    email: 'ada@example.com',
    plan: 'enterprise',
    active: true,
    roles: ['admin', 'billing'],
    created_at: '2024-03-01T12:00:00.000Z',
    address: { street: '12 Analytical Row', city: 'London', zip: 'NW1 6XE' },
    stats: { logins: 1843, score: 97.5 },
  };
  return Buffer.from(JSON.stringify(doc));
}

function large(target = 64 * 1024): Buffer {
  const doc = { meta: { page: 1, total: 0, pad: '' }, data: [] as Record<string, unknown>[] };
  while (JSON.stringify(doc).length < target - 200) doc.data.push(item(doc.data.length));
  doc.meta.total = doc.data.length;
  doc.meta.pad = 'x'.repeat(target - JSON.stringify(doc).length);
  return Buffer.from(JSON.stringify(doc));
}

/** Bodies by size; `large` is exactly 65,536 bytes. */
export function makeBodies(): Record<Size, Buffer> {
  return { small: small(), large: large() };
}
