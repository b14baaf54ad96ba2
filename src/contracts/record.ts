/**
 * Turns real traffic into contract cases: the router's recent sampled requests, or a list of
 * requests replayed against legacy and new (each request sent once to each side, in order, so the
 * two sides' data stay equal). Credentials never reach a case file: a request that carried
 * `Authorization` gets a reference (`auth`) resolved at run time. One case per distinct method,
 * path, query and body.
 */
import { getGlobalDispatcher } from 'undici';
import { stringify } from 'yaml';
import { z } from 'zod';
import { PhoenixError } from '../lib/errors.js';
import { isRedirectStatus } from '../parity/redirect-chain.js';
import { describeIssue, formatPath } from '../plan/problems.js';
import { SAFE_METHODS } from '../plan/route-pattern.js';
import type { SampleRecord } from '../router/client.js';
import { queryValueSchema, type ContractCaseInput } from './cases.js';
import { fetchCase } from './exchange.js';
import { appendQuery, queryString, queryValues } from '../lib/query-values.js';
import { holdsLongIntegers, parseExactJson, stringifyExactJson } from '../parity/index.js';

const SECRET = /authorization|cookie|token|secret|key|password|session|auth/i;
/** Headers worth keeping in a case: they change what the service answers. */
const KEPT = new Set(['accept', 'accept-language', 'content-type']);

/** One request to turn into a case. */
export interface RecordedRequest {
  method: string;
  /** Without its query string. */
  path: string;
  /** Decoded values; a parameter repeated has a list, in the order it was sent. */
  query?: Record<string, string | string[]>;
  headers?: Record<string, string>;
  body?: string;
  /** Legacy's status (the case's expectation). */
  status?: number;
  /** New's status, when the request was replayed on new too. */
  newStatus?: number;
}

/** How a recorded case refers to the credential its request carried. */
export type RecordedAuth = string | { env: string };

export interface ToCasesOptions {
  /** For requests that carried `Authorization`: a profile name or `{ env: VAR }`. Without it the header is dropped. */
  auth?: RecordedAuth;
}

/**
 * One JSON line of a request list. `body` is text as sent, or any other JSON value, sent as JSON
 * (with `content-type: application/json` unless the line gives one); query values may be numbers
 * or booleans, sent as written, or lists of them (the parameter repeated); the path may carry a
 * query string too, sent before `query`.
 */
const jsonLineSchema = z.strictObject({
  method: z
    .string()
    .regex(/^[A-Za-z]+$/, 'expected an HTTP method such as GET or POST')
    .default('GET'),
  path: z.string('expected a path starting with "/"').startsWith('/', 'expected a path starting with "/"'),
  query: z.record(z.string(), queryValueSchema).optional(),
  headers: z.record(z.string(), z.string('expected a header value as a string')).optional(),
  body: z.json().optional(),
});

function recordedFromLine(j: z.infer<typeof jsonLineSchema>): RecordedRequest {
  // The route is matched on the path alone; its query string is the case's query, as on a plain line.
  const q = j.path.indexOf('?');
  const params = appendQuery(new URLSearchParams(q < 0 ? '' : j.path.slice(q + 1)), j.query);
  const r: RecordedRequest = { method: j.method.toUpperCase(), path: q < 0 ? j.path : j.path.slice(0, q) };
  if (params.size > 0) r.query = queryValues(params);
  if (j.headers !== undefined) r.headers = j.headers;
  if (j.body === undefined || j.body === null) return r;
  if (typeof j.body === 'string') {
    r.body = j.body;
    return r;
  }
  r.body = JSON.stringify(j.body);
  const typed = Object.keys(r.headers ?? {}).some((k) => k.toLowerCase() === 'content-type');
  if (!typed) r.headers = { ...r.headers, 'content-type': 'application/json' };
  return r;
}

/** Parses a request list: `GET /api/users/1?x=2` per line, or JSON lines `{method, path, query?, headers?, body?}`. */
export function parseRequestList(text: string, file: string): RecordedRequest[] {
  const out: RecordedRequest[] = [];
  text.split('\n').forEach((raw, i) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    const where = `${file}:${i + 1}`;
    if (line.startsWith('{')) {
      let json: unknown;
      try {
        json = JSON.parse(line);
      } catch {
        throw new PhoenixError('PHX_ERR_REQUEST_LIST_INVALID', `${where}: not valid JSON`);
      }
      const parsed = jsonLineSchema.safeParse(json);
      if (!parsed.success) {
        const issue = parsed.error.issues[0]!;
        const field = formatPath(issue.path);
        throw new PhoenixError(
          'PHX_ERR_REQUEST_LIST_INVALID',
          `${where}: ${field === '' ? '' : `"${field}": `}${describeIssue(issue)}`,
        );
      }
      const r = recordedFromLine(parsed.data);
      // An id past 2^53 in a JSON body keeps its digits (the check above read it as a double).
      if (typeof parsed.data.body === 'object' && parsed.data.body !== null && holdsLongIntegers(line))
        r.body = stringifyExactJson((parseExactJson(line) as { body: unknown }).body);
      out.push(r);
      return;
    }
    const m = /^([A-Za-z]+)\s+(\/\S*)$/.exec(line);
    if (!m)
      throw new PhoenixError(
        'PHX_ERR_REQUEST_LIST_INVALID',
        `${where}: expected "METHOD /path?query", got "${line.slice(0, 80)}"`,
      );
    const url = new URL(m[2]!, 'http://x');
    out.push({ method: m[1]!.toUpperCase(), path: url.pathname, query: queryValues(url.searchParams) });
  });
  return out;
}

/**
 * The router's sampled requests as recorded requests. A safe request the client saw redirected
 * gets no status: {@link withLegacyStatus} asks legacy where its redirects end.
 */
export function fromSamples(samples: readonly SampleRecord[]): RecordedRequest[] {
  return samples.map((s) => ({
    method: s.method,
    path: s.path,
    query: s.query,
    headers: s.headers,
    body: s.body,
    status: SAFE_METHODS.has(s.method) && isRedirectStatus(s.status) ? undefined : s.status,
  }));
}

/** Asks legacy for the status of requests that do not carry one yet (safe ones, following redirects). */
export async function withLegacyStatus(
  requests: readonly RecordedRequest[],
  legacy: string,
  timeoutMs = 10_000,
): Promise<RecordedRequest[]> {
  const out: RecordedRequest[] = [];
  for (const r of requests) out.push(r.status !== undefined ? r : { ...r, status: await send(r, legacy, timeoutMs) });
  return out;
}

/**
 * The status `r` ends on at `base`. A safe request follows same-origin redirects, as its case will
 * when it runs (a case that expects no 3xx follows them, and two chains that differ are an
 * informational `redirect` difference): recording the 3xx instead would make the hops themselves
 * the contract, and a 308 against a 307 to the same page a failure.
 */
async function send(r: RecordedRequest, base: string, timeoutMs: number): Promise<number> {
  const qs = queryString(r.query);
  const sent = await fetchCase(
    getGlobalDispatcher(),
    base,
    {
      method: r.method,
      target: `${r.path}${qs ? `?${qs}` : ''}`,
      headers: r.headers ?? {},
      body: r.body,
      follow: SAFE_METHODS.has(r.method),
    },
    timeoutMs,
    undefined,
  );
  return sent.snapshot.status;
}

/**
 * Replays requests on both sides, in order: each request is sent exactly once to legacy and once
 * to new, so whatever a write changes, it changes on both sides alike.
 */
export async function replayOnBoth(
  requests: readonly RecordedRequest[],
  legacy: string,
  candidate: string,
  timeoutMs = 10_000,
): Promise<RecordedRequest[]> {
  const out: RecordedRequest[] = [];
  for (const r of requests) {
    const [status, newStatus] = await Promise.all([send(r, legacy, timeoutMs), send(r, candidate, timeoutMs)]);
    out.push({ ...r, status, newStatus });
  }
  return out;
}

/** Splits requests into those a family's routes own and the others. */
export function ownRequests(
  requests: readonly RecordedRequest[],
  owns: (method: string, path: string) => boolean,
): { kept: RecordedRequest[]; skipped: RecordedRequest[] } {
  const kept: RecordedRequest[] = [];
  const skipped: RecordedRequest[] = [];
  for (const r of requests) (owns(r.method, r.path) ? kept : skipped).push(r);
  return { kept, skipped };
}

function parsedBody(body: string | undefined): unknown {
  // A JSON body with an integer past 2^53 stays text: a case file's numbers are read as doubles.
  if (typeof body !== 'string' || holdsLongIntegers(body)) return body;
  try {
    return JSON.parse(body) as unknown;
  } catch {
    return body;
  }
}

/** `METHOD /path?query`, then the body when there is one: what makes two requests one case. */
export function caseKey(
  method: string,
  path: string,
  query: Record<string, unknown> | undefined,
  body: unknown,
): string {
  const qs = queryString(query);
  const name = `${method} ${path}${qs ? `?${qs}` : ''}`;
  return body === undefined || body === '' ? name : `${name} ${typeof body === 'string' ? body : JSON.stringify(body)}`;
}

/**
 * Cases from recorded requests, marked `recorded`: one per method + path + query + body (a good
 * login and a wrong password are two cases), secrets dropped, `Authorization` kept by reference.
 * @param existing case keys ({@link caseKey}) or names already in the family's files: skipped.
 */
export function toCases(
  requests: readonly RecordedRequest[],
  existing: ReadonlySet<string> = new Set(),
  options: ToCasesOptions = {},
): ContractCaseInput[] {
  const seen = new Set(existing);
  const names = new Set(existing);
  const cases: ContractCaseInput[] = [];
  for (const r of requests) {
    const body = parsedBody(r.body);
    const key = caseKey(r.method, r.path, r.query, body);
    if (seen.has(key)) continue;
    seen.add(key);
    const base = caseKey(r.method, r.path, r.query, undefined);
    let name = base;
    for (let n = 2; names.has(name); n++) name = `${base} #${n}`;
    names.add(name);
    const headers = Object.fromEntries(
      Object.entries(r.headers ?? {}).filter(([k]) => KEPT.has(k.toLowerCase()) && !SECRET.test(k)),
    );
    const carriedAuth = Object.keys(r.headers ?? {}).some((k) => k.toLowerCase() === 'authorization');
    cases.push({
      name,
      source: 'recorded',
      request: {
        method: r.method,
        path: r.path,
        ...(r.query && Object.keys(r.query).length > 0 ? { query: r.query } : {}),
        ...(Object.keys(headers).length > 0 ? { headers } : {}),
        ...(body !== undefined && body !== '' ? { body } : {}),
      },
      expect: { ...(r.status !== undefined ? { status: r.status } : {}), parity: true },
      ...(carriedAuth && options.auth !== undefined ? { auth: options.auth } : {}),
    });
  }
  return cases;
}

/** A case file's text. */
export function caseFileText(
  family: string,
  cases: readonly ContractCaseInput[],
  profiles?: Record<string, { env: string }>,
): string {
  const used = profiles && cases.some((c) => typeof c.auth === 'string' && c.auth in profiles);
  return `# Recorded from traffic by \`phoenix contracts record\`; edit freely.\n${stringify({
    family,
    ...(used ? { auth: profiles } : {}),
    cases,
  })}`;
}
