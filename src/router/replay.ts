/**
 * Replay of recorded safe requests through the shadow comparison (`POST
 * /v1/families/:family/replay`), for a family whose live traffic is too thin for the parity gate.
 * Each request goes to legacy from here (with the legacy identity, as a live one would), then
 * takes the same path as a live sample: mirrored to new (with the new identity), adapters, noise,
 * diff, signatures. Nothing goes to a client. Comparisons carry `replayed: true`, so the
 * statistics count them apart. Runs off the proxy's hot path: live requests do no extra work.
 */
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { z } from 'zod';
import type { Matcher } from '../plan/route-match.js';
import { queryString } from '../lib/query-values.js';
import { SAFE_METHODS } from '../plan/route-pattern.js';
import { AdminError } from './admin-error.js';
import { collect } from './collect.js';
import type { FamilyRuntime } from './family.js';
import { identityFor, type SideIdentity } from './identity.js';
import type { ShadowPipeline } from './shadow/pipeline.js';
import { unsafeTarget } from './target.js';

/** Requests in one replay call at most. */
export const MAX_REPLAY_REQUESTS = 500;
/** Longest a replay call waits for its comparisons once every request was sent, ms. */
const SETTLE_MS = 10_000;

/** Headers a replayed request never carries over: per-connection, or set by the router. */
const DROPPED = new Set([
  'host',
  'connection',
  'content-length',
  'transfer-encoding',
  'keep-alive',
  'upgrade',
  'te',
  'trailer',
  'proxy-connection',
  'x-request-id',
]);

const replayRequestSchema = z.strictObject({
  method: z.string('expected an HTTP method').max(16, 'expected an HTTP method'),
  path: z
    .string('expected a path')
    .startsWith('/', 'expected a path starting with "/"')
    .max(4096, 'expected at most 4096 characters')
    .regex(/^[^?#\s]*$/, 'expected a path without "?", "#" or spaces (put the query string in "query")'),
  /** A list value is the parameter repeated, in list order. */
  query: z
    .record(
      z.string(),
      z.union(
        [z.string(), z.array(z.string()).min(1)],
        'expected a string value, or a non-empty list of them (the parameter repeated)',
      ),
    )
    .optional(),
  headers: z
    .record(z.string(), z.string('expected a string value'))
    .refine((h) => Object.keys(h).length <= 100, 'expected at most 100 headers')
    .optional(),
});
export type ReplayRequest = z.output<typeof replayRequestSchema>;

export const replayBodySchema = z.strictObject({
  requests: z
    .array(replayRequestSchema, 'expected a list of requests')
    .min(1, 'expected at least one request')
    .max(MAX_REPLAY_REQUESTS, `expected at most ${MAX_REPLAY_REQUESTS} requests`),
  /** Requests sent per second at most. @default 5 (requests/s) */
  perSecond: z.number('expected a number').positive('expected a number above 0').max(1000).default(5),
});
export type ReplayBody = z.output<typeof replayBodySchema>;

/** What one replay call did. Compared requests are in the family's statistics as `parity.replayed`. */
export interface ReplayResult {
  family: string;
  /** Requests answered by legacy and handed to the shadow comparison. */
  submitted: number;
  /** No shadow slot free (the pipeline is behind): not sent. */
  dropped: number;
  /** Legacy did not answer, or its identity could not be had. */
  failed: number;
  /** Legacy's answer was larger than `router.maxCompareBytes`. */
  tooLarge: number;
  /** Comparisons of the family still pending when the call returned (live ones included). */
  pending: number;
}

/**
 * Checks every request before any is sent: only safe methods, only paths of the family.
 * @throws AdminError `PHX_ERR_REPLAY_UNSAFE_METHOD`, `PHX_ERR_REPLAY_FOREIGN_PATH`
 */
export function checkReplay(
  body: ReplayBody,
  family: FamilyRuntime,
  index: number,
  matcher: Matcher,
): { url: string; route: string; request: ReplayRequest }[] {
  return body.requests.map((r, i) => {
    const method = r.method.toUpperCase();
    if (!SAFE_METHODS.has(method))
      throw new AdminError(
        400,
        'PHX_ERR_REPLAY_UNSAFE_METHOD',
        `requests.${i}.method: ${method} is not replayed; only GET, HEAD and OPTIONS are (a replay must not change state)`,
      );
    const bad = unsafeTarget(r.path);
    if (bad !== undefined) throw new AdminError(400, 'PHX_ERR_REPLAY_FOREIGN_PATH', `requests.${i}.path: ${bad}`);
    const m = matcher.match(method, r.path);
    if (!m || m.family !== index)
      throw new AdminError(
        400,
        'PHX_ERR_REPLAY_FOREIGN_PATH',
        `requests.${i}.path: ${method} ${r.path} is not a route of family "${family.name}" (routes: ${family.plan.routes.join(', ')})`,
      );
    const qs = queryString(r.query);
    return { url: qs === '' ? r.path : `${r.path}?${qs}`, route: m.route, request: { ...r, method } };
  });
}

/** Replays checked requests of one family, paced at `perSecond`. */
export class Replayer {
  private readonly shadow: ShadowPipeline;
  private readonly families: readonly FamilyRuntime[];
  private readonly legacyIdentity: (SideIdentity | undefined)[];
  private readonly maxCompareBytes: number;

  constructor(o: { shadow: ShadowPipeline; families: readonly FamilyRuntime[]; maxCompareBytes: number }) {
    this.shadow = o.shadow;
    this.families = o.families;
    this.legacyIdentity = o.families.map((f) => identityFor(f.plan).legacy);
    this.maxCompareBytes = o.maxCompareBytes;
  }

  async replay(index: number, checked: ReturnType<typeof checkReplay>, perSecond: number): Promise<ReplayResult> {
    const fam = this.families[index]!;
    const result: ReplayResult = { family: fam.name, submitted: 0, dropped: 0, failed: 0, tooLarge: 0, pending: 0 };
    const gap = 1000 / perSecond;
    const sent: Promise<void>[] = [];
    for (const [i, c] of checked.entries()) {
      if (i > 0) await sleep(gap);
      sent.push(this.one(fam, index, c, result));
    }
    await Promise.all(sent);
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([this.shadow.idle(index), new Promise((resolve) => (timer = setTimeout(resolve, SETTLE_MS)))]);
    clearTimeout(timer);
    result.pending = this.shadow.comparisons(index).pending;
    return result;
  }

  private async one(
    fam: FamilyRuntime,
    index: number,
    c: ReturnType<typeof checkReplay>[number],
    result: ReplayResult,
  ): Promise<void> {
    if (!this.shadow.reserve(index)) {
      result.dropped++;
      return;
    }
    const requestId = `replay-${randomUUID()}`;
    const headers: Record<string, string | string[]> = {};
    for (const [k, v] of Object.entries(c.request.headers ?? {})) {
      const name = k.toLowerCase();
      if (!DROPPED.has(name)) headers[name] = v;
    }
    headers['x-request-id'] = requestId;
    // Lets either service tell (and log) a replay from a client's request.
    headers['x-phoenix-replay'] = '1';
    let legacyHeaders = headers;
    const startedAt = Date.now();
    const side = this.legacyIdentity[index];
    try {
      if (side !== undefined) legacyHeaders = await side.headers(headers);
      const timeout = fam.plan.guard.timeout;
      const legacy = await collect(
        fam.legacy,
        {
          path: c.url,
          method: c.request.method,
          headers: legacyHeaders,
          headersTimeout: timeout,
          bodyTimeout: timeout,
        },
        this.maxCompareBytes,
      );
      if (legacy === 'too-large') {
        this.shadow.release(index);
        result.tooLarge++;
        return;
      }
      this.shadow.submit({
        family: index,
        method: c.request.method,
        url: c.url,
        headers,
        legacyHeaders: legacyHeaders === headers ? undefined : legacyHeaders,
        body: null,
        route: c.route,
        requestId,
        legacy,
        startedAt,
        replayed: true,
      });
      result.submitted++;
    } catch {
      this.shadow.release(index);
      result.failed++;
    }
  }
}
