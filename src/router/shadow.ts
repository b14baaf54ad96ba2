/**
 * The shadow comparison, run from the mirror queue after the client already has its answer:
 * the same request goes to the new service, both answers are compared with the family's rules
 * (and adapters), and noise is learned by asking legacy a second time for a share of requests.
 */
import { performance } from 'node:perf_hooks';
import type { Dispatcher } from 'undici';
import { applyAdapter, compareResponses, type HttpSnapshot } from '../parity/index.js';
import { SAFE_METHODS } from '../plan/route-pattern.js';
import { NOISE_WARMUP, type FamilyRuntime } from './family.js';
import { dropSecretHeaders, isSecretHeader, redactHeaders } from './redact.js';

/** The legacy answer as captured on its way to the client. */
export interface Captured {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  chunks: Buffer[];
  size: number;
  tooLarge: boolean;
  /** Legacy time to response headers, ms. */
  legacyMs: number;
}

/** Recorded request bodies are kept up to this size (bytes). */
const SAMPLE_BODY_BYTES = 64 * 1024;
/** Differences kept per mismatch record. */
const DIFFERENCES_KEPT = 20;

async function fetchSnapshot(
  pool: Dispatcher,
  method: string,
  url: string,
  headers: Record<string, string | string[]>,
  body: Buffer | null,
  timeoutMs: number,
  maxBytes: number,
): Promise<{ snapshot: HttpSnapshot; ms: number } | 'too-large'> {
  const t0 = performance.now();
  const r = await pool.request({ path: url, method: method as Dispatcher.HttpMethod, headers, body, headersTimeout: timeoutMs, bodyTimeout: timeoutMs });
  const ms = performance.now() - t0;
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of r.body as AsyncIterable<Buffer>) {
    size += c.length;
    if (size > maxBytes) {
      r.body.destroy();
      return 'too-large';
    }
    chunks.push(c);
  }
  return { snapshot: { status: r.statusCode, headers: r.headers, body: Buffer.concat(chunks) }, ms };
}

function queryOf(url: string): Record<string, string> {
  const q = url.indexOf('?');
  if (q < 0) return {};
  return Object.fromEntries(new URLSearchParams(url.slice(q + 1)));
}

/** Mirrors one sampled request to the new service and records the comparison. Never throws. */
export async function mirror(
  fam: FamilyRuntime,
  method: string,
  url: string,
  headers: Record<string, string | string[]>,
  body: Buffer | null,
  route: string,
  requestId: string,
  cap: Captured,
  maxBytes: number,
): Promise<void> {
  const legacy: HttpSnapshot = { status: cap.status, headers: cap.headers, body: Buffer.concat(cap.chunks) };
  const q = url.indexOf('?');
  const path = q < 0 ? url : url.slice(0, q);
  fam.samples.push({
    at: Date.now(),
    method,
    path,
    query: queryOf(url),
    headers: dropSecretHeaders(headers),
    ...(body && body.length > 0 && body.length <= SAMPLE_BODY_BYTES ? { body: body.toString('utf8') } : {}),
    status: cap.status,
    route,
  });
  const safe = SAFE_METHODS.has(method);
  const timeout = fam.plan.guard.timeout;
  try {
    const mirrorHeaders = safe ? headers : { ...headers, 'x-phoenix-shadow': '1' };
    const got = await fetchSnapshot(fam.candidate, method, url, mirrorHeaders, body, timeout, maxBytes);
    if (got === 'too-large') {
      fam.stats.recordShadow('skippedTooLarge');
      return;
    }
    let candidate = got.snapshot;
    const adapter = fam.adapters.size > 0 ? fam.adapters.find(method, url) : undefined;
    if (adapter) candidate = applyAdapter(adapter, candidate);
    const rules = fam.rulesFor(route);
    if (safe && rules.rules.learnNoise) {
      const seen = fam.noiseWarmup.get(route) ?? 0;
      if (seen < NOISE_WARMUP || Math.random() < rules.rules.noiseSampleRate) {
        fam.noiseWarmup.set(route, seen + 1);
        const again = await fetchSnapshot(fam.legacy, method, url, headers, body, timeout, maxBytes).catch(() => undefined);
        if (again && again !== 'too-large') fam.noise.observe(route, legacy, again.snapshot, rules);
      }
    }
    const result = compareResponses(legacy, candidate, rules, fam.noise.filterFor(route));
    fam.stats.recordComparison(route, result, cap.legacyMs, got.ms);
    fam.counters.comparisons++;
    if (result.equal) return;
    const kinds = new Set(result.differences.map((d) => d.kind));
    for (const k of kinds) fam.counters.mismatches[k] = (fam.counters.mismatches[k] ?? 0) + 1;
    fam.mismatches.push({
      at: Date.now(),
      method,
      path,
      route,
      requestId,
      differences: result.differences
        .slice(0, DIFFERENCES_KEPT)
        .map((d) => (d.path.startsWith('header:') && isSecretHeader(d.path.slice(7)) ? { path: d.path, kind: d.kind, legacy: '[redacted]', candidate: '[redacted]' } : d)),
      legacy: { status: legacy.status, headers: redactHeaders(legacy.headers) },
      candidate: { status: candidate.status, headers: redactHeaders(candidate.headers) },
    });
  } catch {
    fam.stats.recordShadow('errors');
    fam.counters.mirrorErrors++;
  }
}
