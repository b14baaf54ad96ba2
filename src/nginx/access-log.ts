/**
 * The JSON access log nginx writes for Phoenix's agent: the `log_format` the include file
 * declares, and the parse of one line into what the figures and the guard need (which side the
 * route chose, and each upstream attempt with its status and time to headers). Pure.
 */
import { bucketOf } from '../router/decide.js';

/** The `log_format` name the rendered include declares (prefixed, so it cannot clash with the operator's). */
export const LOG_FORMAT = 'phoenix_json';

/**
 * The `log_format` directive: one JSON object per request, values escaped by nginx
 * (`escape=json`). The upstream fields hold one value per attempt, comma-separated within one
 * location and ` : ` across an internal redirect (`502 : 200` when a safe request fell back to
 * legacy), or `-` where nginx had none.
 */
export const LOG_FORMAT_DIRECTIVE =
  `log_format ${LOG_FORMAT} escape=json '{"time":$msec,"family":"$phx_log_family","backend":"$phx_side",` +
  `"status":$status,"request_time":$request_time,"method":"$request_method","user_bucket":"$phx_user_bucket",` +
  `"upstream_status":"$upstream_status",` +
  `"upstream_header_time":"$upstream_header_time","upstream_response_time":"$upstream_response_time"}';`;

/** One upstream attempt of a request. */
export interface Attempt {
  /** The upstream's status; 0 when it gave none (connection refused, timeout, reset). */
  status: number;
  /** Time to the upstream's response headers, or to the attempt's end when there were none; ms. */
  ms: number;
  /**
   * No response headers came (refused, reset, timed out before them): `status` is then nginx's
   * own 502/504, which the router counts as no answer (`error`), not as the upstream's 5xx.
   */
  noAnswer?: true;
}

/** One request as the agent reads it. */
export interface LogEntry {
  /** When nginx finished the request (epoch ms). */
  time: number;
  /** The family's name; empty for requests matching no family. */
  family: string;
  /** The side the route chose: `legacy` or `new` (a safe request on new may still be answered by legacy). */
  backend: 'legacy' | 'new';
  /** The status sent to the client. */
  status: number;
  method: string;
  /** Whole request time, ms. */
  requestMs: number;
  /** Upstream attempts in order; empty when nginx answered by itself. */
  attempts: Attempt[];
  /**
   * The canary user's bucket (0–9,999, as many as the router's), from the sticky key; only while
   * the family is in canary. Lines written before the bucket was logged carry the key itself
   * (`user`), reduced to the router's bucket here.
   */
  bucket?: number;
}

/** nginx's per-attempt list (`"0.001, 0.002"`; a `:` separates internal redirects) as strings. */
function split(v: unknown): string[] {
  if (typeof v !== 'string' || v === '' || v === '-') return [];
  return v.split(/[,:]\s*/);
}

const seconds = (s: string | undefined): number | undefined => {
  if (s === undefined) return undefined;
  const n = Number.parseFloat(s);
  return Number.isFinite(n) ? n * 1000 : undefined;
};

/**
 * Parses one access-log line.
 * @returns undefined for a line that is not Phoenix's format (a partial or foreign line)
 */
export function parseLogLine(line: string): LogEntry | undefined {
  let o: Record<string, unknown>;
  try {
    o = JSON.parse(line) as Record<string, unknown>;
  } catch {
    return undefined;
  }
  if (typeof o !== 'object' || o === null || typeof o.time !== 'number' || typeof o.family !== 'string') {
    return undefined;
  }
  const statuses = split(o.upstream_status);
  const header = split(o.upstream_header_time);
  const response = split(o.upstream_response_time);
  const attempts: Attempt[] = statuses.map((s, i) => {
    const status = Number.parseInt(s, 10);
    const headers = seconds(header[i]);
    return {
      status: Number.isFinite(status) ? status : 0,
      ms: headers ?? seconds(response[i]) ?? 0,
      ...(headers === undefined ? { noAnswer: true as const } : {}),
    };
  });
  return {
    time: Math.round(o.time * 1000),
    family: o.family,
    backend: o.backend === 'new' ? 'new' : 'legacy',
    status: typeof o.status === 'number' ? o.status : 0,
    method: typeof o.method === 'string' ? o.method : '',
    requestMs: typeof o.request_time === 'number' ? o.request_time * 1000 : 0,
    attempts,
    ...userBucket(o),
  };
}

/** `user_bucket`'s two halves (`"37.81"`): 100 values each, the router's 10,000 buckets together. */
const HALF = 100;

/**
 * The `split_clients` that give a canary family its users' bucket in the log, `$phx_ubh_<id>` and
 * `$phx_ubl_<id>` (`"<h>.<l>"`, bucket `h × 100 + l`), each hashing the sticky key with its own
 * suffix. The agent counts distinct users by bucket, as the router does, while the key itself (a
 * session cookie, a user id) never reaches the log file. Two splits of 100 because nginx scans a
 * split's parts in order: one of 10,000 would cost thousands of comparisons per request.
 */
export function userBucketSplits(keyVar: string, id: string): string[] {
  const parts = Array.from({ length: HALF - 1 }, (_, i) => `1% ${i};`).join(' ');
  return (['h', 'l'] as const).map(
    (half) => `split_clients "${keyVar}:${half}" $phx_ub${half}_${id} { ${parts} * ${HALF - 1}; }`,
  );
}

/** The `$phx_user_bucket` value of a canary family (see {@link userBucketSplits}). */
export const userBucketValue = (id: string): string => `"$phx_ubh_${id}.$phx_ubl_${id}"`;

function userBucket(o: Record<string, unknown>): { bucket?: number } {
  const b = o.user_bucket;
  if (typeof b === 'string' && b !== '') {
    const m = /^(\d{1,2})\.(\d{1,2})$/.exec(b);
    return m === null ? {} : { bucket: Number(m[1]) * HALF + Number(m[2]) };
  }
  return typeof o.user === 'string' && o.user !== '' ? { bucket: bucketOf(o.user) } : {};
}
