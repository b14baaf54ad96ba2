/**
 * Shapes shared by the request path's modules: what the path needs from the router, one request
 * on its way through, and the calls the answer handlers and the adapter path make back into it.
 * Types only.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Readable } from 'node:stream';
import type { Pool } from 'undici';
import type { Logger } from '../lib/logger.js';
import type { Matcher } from '../plan/route-match.js';
import type { Trust } from './client-address.js';
import type { Collected } from './collect.js';
import type { FamilyRuntime } from './family.js';
import type { ShadowPipeline } from './shadow/pipeline.js';
import type { FailureCounts, UpstreamFailure } from './upstream-errors.js';

/** Router-wide cumulative counters. */
export interface RouterCounters {
  /** Requests refused before routing because their target was unsafe (see `target.ts`). */
  refusedTargets: number;
  /** Failed attempts on the default legacy (requests that match no family), by kind. */
  upstreamFailures: FailureCounts;
}

/** What the request path needs from the router. */
export interface ProxyContext {
  matcher: Matcher;
  families: FamilyRuntime[];
  /** Where requests that match no family go. */
  defaultLegacy: Pool;
  /** Its origin (`http://host:port`). */
  defaultLegacyOrigin: string;
  /** Trusted proxies (`router.trustedProxies`). */
  trust: Trust | undefined;
  shadow: ShadowPipeline;
  /** Largest body buffered for a comparison, bytes. */
  maxCompareBytes: number;
  /** Legacy's headers and body-chunk timeout, ms (`router.legacyTimeout`). */
  legacyTimeout: number;
  /** Largest new-service answer buffered to apply an adapter, bytes (`router.maxAdaptBytes`). */
  maxAdaptBytes: number;
  log: Logger;
  /** Called when a family's guard trips (saves state, logs). */
  onTrip(family: FamilyRuntime): void;
  /** Router-wide counters for `/metrics`. */
  counters: RouterCounters;
}

/** One request on its way through. */
export interface Exchange {
  req: IncomingMessage;
  res: ServerResponse;
  method: string;
  url: string;
  requestId: string;
  /** Sent upstream: hop-by-hop fields and `host` removed, forwarding fields added. */
  headers: Record<string, string | string[]>;
  /** What legacy got instead of `headers` when the family sets a legacy identity. */
  legacyHeaders?: Record<string, string | string[]>;
  /** The client's `Host`, for an upstream with `preserveHost`. */
  host: string | undefined;
  /** A buffered request body (sampled unsafe requests only). */
  body: Buffer | null;
  /** The request body when part of it was read before it turned out too large to buffer. */
  upload?: Readable;
  family: FamilyRuntime | undefined;
  /** Index of `family` in the plan. */
  familyIndex: number;
  route: string;
}

/** The legacy answer of a sampled request, as copied on its way to the client. */
export interface Captured extends Collected {
  /** Past `maxCompareBytes`: the copy was given up (the client still gets everything). */
  tooLarge: boolean;
  /** Epoch ms when the sampled request was taken on. */
  startedAt: number;
}

/** What the answer handlers and the adapter path call back into (implemented in `proxy.ts`). */
export interface RequestPath {
  readonly ctx: ProxyContext;
  /** Sends the request to legacy; `capture` copies the answer for the shadow thread. */
  toLegacy(x: Exchange, capture: Captured | undefined): void;
  /** Answers a safe request whose new attempt failed from legacy, counted as a fallback. */
  fallback(x: Exchange, fam: FamilyRuntime): void;
  /** Statistics for one new-backend answer; the guard hears of it now unless `guardLater`. */
  noteNew(fam: FamilyRuntime, ms: number, failed: boolean, status: number, guardLater?: boolean): void;
  /** How a streamed new answer ended: aborted ones count against the guard. */
  noteBodyOutcome(fam: FamilyRuntime, aborted: boolean): void;
  /** Counts an attempt that failed before its answer started, by kind. */
  countFailure(x: Exchange, which: 'legacy' | 'new', failure: UpstreamFailure): void;
  /** Logs a failed attempt and answers the client for it (or closes its connection). */
  fail(x: Exchange, which: 'legacy' | 'new', failure: UpstreamFailure, err: Error): void;
}
