/**
 * What the router answers when an upstream fails before its answer started, as nginx and Envoy
 * do: 502 when it could not be reached or reset the connection, 504 when it did not answer in
 * time, 503 (with `Retry-After`) when the router has no upstream to send to. The body is the
 * router's JSON error shape with a stable `PHX_ERR_*` code. Once an answer has started, a failure
 * can only close the client's connection: an error body appended to half an answer would be
 * read as part of it.
 */
import type { ServerResponse } from 'node:http';
import type { Logger } from '../lib/logger.js';

/** Last warning per upstream and side; read before any failure is logged. */
const lastLogged = new Map<string, number>();

/** Why an upstream attempt gave no usable answer. */
export type UpstreamFailure = 'unreachable' | 'timeout' | 'closed' | 'adapterTooLarge';

/** Each failure's status and code, as the client and `/metrics` see them. */
export const UPSTREAM_FAILURES: Readonly<
  Record<UpstreamFailure, { status: number; code: string; retryAfter?: string }>
> = {
  unreachable: { status: 502, code: 'PHX_ERR_UPSTREAM_UNAVAILABLE' },
  timeout: { status: 504, code: 'PHX_ERR_UPSTREAM_TIMEOUT' },
  closed: { status: 503, code: 'PHX_ERR_UPSTREAM_CLOSED', retryAfter: '1' },
  adapterTooLarge: { status: 502, code: 'PHX_ERR_ADAPTER_BODY_TOO_LARGE' },
};

/** Failures counted by kind. */
export type FailureCounts = Record<UpstreamFailure, number>;

/** A zeroed {@link FailureCounts}. */
export function failureCounts(): FailureCounts {
  return { unreachable: 0, timeout: 0, closed: 0, adapterTooLarge: 0 };
}

/** undici's and the socket's timeouts: connect, headers, body. */
const TIMEOUT_CODES = new Set([
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
  'ETIMEDOUT',
]);
/** The upstream's pool is closed: the router is shutting down, nothing can be sent any more. */
const CLOSED_CODES = new Set(['UND_ERR_CLOSED', 'UND_ERR_DESTROYED']);

/**
 * The failure an undici error stands for. Everything that is neither a timeout nor a closed pool
 * (refused, reset, DNS, a failed identity exchange) means the upstream could not be reached.
 */
export function classifyUpstreamError(err: Error): UpstreamFailure {
  const code = (err as { code?: unknown }).code;
  if (typeof code !== 'string') return 'unreachable';
  if (TIMEOUT_CODES.has(code)) return 'timeout';
  if (CLOSED_CODES.has(code)) return 'closed';
  return 'unreachable';
}

/** The sentence after "the legacy upstream …" in an error answer. */
function explain(failure: UpstreamFailure, err: Error | null): string {
  const cause = (err as { code?: string } | null)?.code ?? err?.message ?? 'error';
  switch (failure) {
    case 'timeout':
      return `did not answer in time (${cause})`;
    case 'closed':
      return `is not taking requests: the router is shutting down (${cause})`;
    case 'adapterTooLarge':
      return `answered with a body larger than router.maxAdaptBytes, the most the router buffers to apply an adapter`;
    case 'unreachable':
      return `did not answer (${cause})`;
  }
}

/**
 * Answers the client for a failed upstream attempt: the failure's status and code in the router's
 * JSON error shape, or, when the answer already started, a closed connection.
 */
export function answerFailure(
  res: ServerResponse,
  requestId: string,
  which: string,
  failure: UpstreamFailure,
  err: Error | null,
): void {
  if (res.headersSent) {
    res.destroy(err ?? undefined);
    return;
  }
  const { status, code, retryAfter } = UPSTREAM_FAILURES[failure];
  const body = JSON.stringify({
    error: { code, message: `the ${which} upstream ${explain(failure, err)}; request id ${requestId}` },
  });
  const headers: Record<string, string | number> = {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(body),
    'x-request-id': requestId,
  };
  if (retryAfter !== undefined) headers['retry-after'] = retryAfter;
  res.writeHead(status, headers);
  res.end(body);
}

/** Logs a failed upstream attempt, at most once per upstream and side every 5 s. */
export function logFailure(log: Logger, which: string, origin: string, err: Error): void {
  // Rate-limited so an upstream outage cannot turn into a log flood on the request path.
  const now = Date.now();
  const key = `${which} ${origin}`;
  if ((lastLogged.get(key) ?? 0) + 5000 > now) return;
  lastLogged.set(key, now);
  log.warn(
    { upstream: origin, which, code: (err as { code?: string }).code, err: err.message },
    'upstream request failed',
  );
}
