/**
 * The shadow comparison of one exchange, run on the shadow thread once the router thread has both
 * answers (the legacy one the client got and the mirror's): redirects are followed, adapters
 * applied, noise learned by asking legacy a second time for a share of requests, and both answers
 * compared with the family's rules. What it finds goes into the family's {@link FamilyReport}.
 */
import type { Dispatcher } from 'undici';
import {
  applyAdapter,
  compareResponses,
  CONFIRM_SAMPLES,
  type CompareOptions,
  type Difference,
  type HttpSnapshot,
} from '../../parity/index.js';
import { LATENCY_PATH, type SlowRoute } from '../../parity/stats.js';
import { SAFE_METHODS } from '../../plan/route-pattern.js';
import type { MismatchRecord } from '../family.js';
import { fetchWhole } from '../redirects.js';
import { judgeChains } from '../../parity/redirect-chain.js';
import { withHost } from '../upstream-host.js';
import { dropSecretHeaders, isSecretHeader, redactHeaders, redactQuery } from '../redact.js';
import type { CompareJob, FamilyReport } from './report.js';
import type { ShadowFamily } from './shadow-family.js';
import { queryValues } from '../../lib/query-values.js';

/** Recorded request bodies are kept up to this size (bytes). */
const SAMPLE_BODY_BYTES = 64 * 1024;
/** Differences kept per mismatch record. */
const DIFFERENCES_KEPT = 20;

/**
 * A second legacy answer to the same request (noise learning). `finalUrl`: where legacy's
 * redirects led, asked directly, so the lesson is about the answer that is compared.
 */
async function fetchAgain(
  pool: Dispatcher,
  job: CompareJob,
  finalUrl: string | undefined,
  preserveHost: boolean,
  timeoutMs: number,
  maxBytes: number,
): Promise<HttpSnapshot | 'too-large'> {
  const headers = withHost(job.headers, job.host, preserveHost);
  const got = await fetchWhole(
    pool,
    finalUrl === undefined
      ? { path: job.url, method: job.method, headers, body: job.body }
      : { path: finalUrl, method: job.method, headers },
    timeoutMs,
    maxBytes,
  );
  return got ?? 'too-large';
}

function queryOf(url: string): Record<string, string | string[]> {
  const q = url.indexOf('?');
  return q < 0 ? {} : queryValues(new URLSearchParams(url.slice(q + 1)));
}

/**
 * Compares one exchange and records what it found in `report()` (asked at each finding: the
 * report in progress changes while a second legacy request is out). Never throws.
 */
export async function judge(
  fam: ShadowFamily,
  job: CompareJob,
  report: () => FamilyReport,
  maxBytes: number,
): Promise<void> {
  const { method, url, legacy } = job;
  const q = url.indexOf('?');
  const path = q < 0 ? url : url.slice(0, q);
  // Noise and comparisons are keyed by route template, so a wildcard pattern's routes do not
  // share noise; the diff rules stay those of the plan pattern.
  const route = fam.routeKeys.keyFor(job.route, method, path);
  // A replayed request is not a new sample: it would be replayed again and recorded as a case.
  if (!job.replayed) recordSample(report(), job, path);
  // A client follows redirects: the final answers are compared, and the hops apart (see `redirects.ts`).
  const followed = await fam.followRedirects(job, maxBytes);
  const legacyFinal = followed ? followed.legacy.final : legacy;
  const candidateUrl = followed ? followed.candidate.url : url;
  const adapter = fam.adapters.size > 0 ? fam.adapters.find(method, candidateUrl) : undefined;
  const candidateFinal = followed ? followed.candidate.final : job.candidate;
  const candidate = adapter ? applyAdapter(adapter, candidateFinal) : candidateFinal;
  const rules = fam.rulesFor(job.route);
  // legacy's answer again, to learn noise from: asked where its redirects led.
  const askLegacy = (): Promise<HttpSnapshot | 'too-large'> =>
    fetchAgain(
      fam.legacy,
      job,
      followed && followed.legacy.chain.length > 0 ? followed.legacy.url : undefined,
      fam.plan.preserveHost.legacy,
      fam.plan.guard.timeout,
      maxBytes,
    );
  if (SAFE_METHODS.has(method) && fam.learnsNoiseNow(route, rules)) {
    await fam.learn(
      route,
      askLegacy().then(
        (again) => {
          if (again !== 'too-large' && fam.noise.observe(route, legacyFinal, again, rules).length > 0)
            fam.noiseChanged = true;
        },
        () => {},
      ),
    );
  }
  const lessons = fam.lessonsFor(route);
  if (lessons) await lessons;
  // A request that cannot be resampled on legacy (unsafe, or a route with no noise lesson yet)
  // is judged with value classes: two fresh ids or "now" timestamps are noise, not mismatches.
  // Later, only "now" timestamps: lessons learn ids reliably, but not a second-resolution clock.
  const classNoise = !SAFE_METHODS.has(method) || fam.noise.lessonsFor(route) === 0 ? true : 'time';
  const options: CompareOptions = {
    classNoise,
    request: { method, text: () => (job.body ? `${url} ${job.body.toString('utf8')}` : url) },
    now: Date.now(),
    // The `Host` each side got: a link it builds from it names that host.
    ownHosts: {
      legacy: fam.plan.preserveHost.legacy && job.host !== undefined ? job.host : fam.hosts.legacy,
      candidate: fam.plan.preserveHost.new && job.host !== undefined ? job.host : fam.hosts.candidate,
    },
  };
  let result = compareResponses(legacyFinal, candidate, rules, fam.noise.filterFor(route), options);
  // A difference new to the route may be legacy's own variation that its first answers happened to
  // share (a field it sends half the time): legacy is asked again, and the request judged with what
  // its answers teach. Each kind of difference is confirmed a few times per route, so a real
  // regression costs legacy a bounded number of requests, not some per request.
  if (
    !result.equal &&
    SAFE_METHODS.has(method) &&
    rules.rules.learnNoise &&
    fam.confirmations.wanted(route, result.differences)
  ) {
    const again = await Promise.all(
      Array.from({ length: CONFIRM_SAMPLES }, () => askLegacy().catch(() => 'too-large' as const)),
    );
    let learned = false;
    for (const a of again)
      if (a !== 'too-large' && fam.noise.observe(route, legacyFinal, a, rules).length > 0) learned = true;
    if (learned) {
      fam.noiseChanged = true;
      result = compareResponses(legacyFinal, candidate, rules, fam.noise.filterFor(route), options);
    }
  }
  if (result.noise.length > 0 && fam.noise.noteClassNoise(route, result.noise)) fam.noiseChanged = true;
  const hops =
    followed && judgeChains(followed.legacy.chain, followed.candidate.chain, url, fam.redirectBlocks(job.route));
  if (hops?.counts === true) {
    result.differences.push(hops.difference);
    result.equal = false;
  } else if (hops) result.informational.push(hops.difference);
  report().comparisons.push({
    route,
    equal: result.equal,
    differences: result.equal ? [] : result.differences,
    noisy: result.noise.length > 0,
    requestId: job.requestId,
    informational: result.informational,
    legacyMs: job.legacyMs,
    newMs: job.newMs,
    startedAt: job.startedAt,
    ...(job.replayed ? { replayed: true as const } : {}),
  });
  if (result.informational.length > 0)
    report().informational.push(recordOf(job, path, route, result.informational, legacyFinal, candidate));
  // A slow route's comparisons are kept as records even when the answers agree; the latency
  // difference is not in the comparison above, so it never counts as a mismatch.
  const flagged = fam.slowRoutes.size === 0 ? undefined : fam.slowRoutes.get(route);
  // A route flagged for its tail marks only the answers in that tail.
  const slow =
    flagged !== undefined && (flagged.slowerThanMs === undefined || job.newMs > flagged.slowerThanMs)
      ? flagged
      : undefined;
  if (result.equal && slow === undefined) return;
  const found = result.equal ? [] : result.differences;
  const differences = slow ? [latencyDifference(job, slow), ...found] : found;
  report().mismatches.push(recordOf(job, path, route, differences, legacyFinal, candidate));
}

/** The `latency` difference of a comparison on a route flagged slower: this request's times and the route's figures. */
function latencyDifference(job: CompareJob, slow: SlowRoute): Difference {
  return {
    path: LATENCY_PATH,
    kind: 'latency',
    legacy: { ms: job.legacyMs, p50: slow.legacy.p50, p95: slow.legacy.p95 },
    candidate: {
      ms: job.newMs,
      p50: slow.new.p50,
      p95: slow.new.p95,
      shiftMs: slow.shiftMs,
      pValue: slow.pValue,
      ...(slow.tail ? { tail: slow.tail } : {}),
    },
  };
}

/** Keeps a sampled request without its credentials, noting when some were dropped (a replay needs them supplied). */
function recordSample(report: FamilyReport, job: CompareJob, path: string): void {
  let credentials = false;
  for (const k in job.headers)
    if (isSecretHeader(k.toLowerCase())) {
      credentials = true;
      break;
    }
  const body = job.body;
  report.samples.push({
    at: Date.now(),
    method: job.method,
    path,
    query: queryOf(job.url),
    headers: dropSecretHeaders(job.headers),
    ...(body && body.length > 0 && body.length <= SAMPLE_BODY_BYTES ? { body: body.toString('utf8') } : {}),
    status: job.legacy.status,
    route: job.route,
    ...(credentials ? { credentials: true as const } : {}),
  });
}

/** A comparison's record for the rings, secrets masked. */
function recordOf(
  job: CompareJob,
  path: string,
  route: string,
  differences: Difference[],
  legacy: HttpSnapshot,
  candidate: HttpSnapshot,
): MismatchRecord {
  const q = job.url.indexOf('?');
  return {
    at: Date.now(),
    method: job.method,
    path,
    query: q < 0 ? '' : redactQuery(job.url.slice(q + 1)),
    route,
    requestId: job.requestId,
    legacyMs: job.legacyMs,
    newMs: job.newMs,
    differences: differences
      .slice(0, DIFFERENCES_KEPT)
      .map((d) =>
        d.path.startsWith('header:') && isSecretHeader(d.path.slice(7))
          ? { path: d.path, kind: d.kind, legacy: '[redacted]', candidate: '[redacted]' }
          : d,
      ),
    legacy: { status: legacy.status, headers: redactHeaders(legacy.headers) },
    candidate: { status: candidate.status, headers: redactHeaders(candidate.headers) },
    ...(job.replayed ? { replayed: true as const } : {}),
  };
}
