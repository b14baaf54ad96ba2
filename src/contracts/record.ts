/**
 * Turns real traffic into contract cases: the router's recent sampled requests, or a list of
 * requests replayed against legacy. Credentials never reach a case file; one case per distinct
 * method, path and query.
 */
import { request } from 'undici';
import { stringify } from 'yaml';
import { PhoenixError } from '../lib/errors.js';
import type { SampleRecord } from '../router/client.js';
import type { ContractCaseInput } from './cases.js';

const SECRET = /authorization|cookie|token|secret|key|password|session|auth/i;
/** Headers worth keeping in a case: they change what the service answers. */
const KEPT = new Set(['accept', 'accept-language', 'content-type']);

/** One request to turn into a case. */
export interface RecordedRequest {
  method: string;
  path: string;
  query?: Record<string, string>;
  headers?: Record<string, string>;
  body?: string;
  status?: number;
}

/** Parses a request list: `GET /api/users/1?x=2` per line, or JSON lines `{method, path, query?, headers?, body?}`. */
export function parseRequestList(text: string, file: string): RecordedRequest[] {
  const out: RecordedRequest[] = [];
  text.split('\n').forEach((raw, i) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    const where = `${file}:${i + 1}`;
    if (line.startsWith('{')) {
      let j: Partial<RecordedRequest>;
      try {
        j = JSON.parse(line) as Partial<RecordedRequest>;
      } catch {
        throw new PhoenixError('PHX_ERR_REQUEST_LIST_INVALID', `${where}: not valid JSON`);
      }
      if (typeof j.path !== 'string' || !j.path.startsWith('/'))
        throw new PhoenixError('PHX_ERR_REQUEST_LIST_INVALID', `${where}: "path" must start with "/"`);
      out.push({
        method: (j.method ?? 'GET').toUpperCase(),
        path: j.path,
        query: j.query,
        headers: j.headers,
        body: j.body,
      });
      return;
    }
    const m = /^([A-Za-z]+)\s+(\/\S*)$/.exec(line);
    if (!m)
      throw new PhoenixError(
        'PHX_ERR_REQUEST_LIST_INVALID',
        `${where}: expected "METHOD /path?query", got "${line.slice(0, 80)}"`,
      );
    const url = new URL(m[2]!, 'http://x');
    out.push({ method: m[1]!.toUpperCase(), path: url.pathname, query: Object.fromEntries(url.searchParams) });
  });
  return out;
}

/** The router's sampled requests as recorded requests. */
export function fromSamples(samples: readonly SampleRecord[]): RecordedRequest[] {
  return samples.map((s) => ({
    method: s.method,
    path: s.path,
    query: s.query,
    headers: s.headers,
    body: s.body,
    status: s.status,
  }));
}

/** Asks legacy for the status of requests that do not carry one yet. */
export async function withLegacyStatus(
  requests: readonly RecordedRequest[],
  legacy: string,
  timeoutMs = 10_000,
): Promise<RecordedRequest[]> {
  const out: RecordedRequest[] = [];
  for (const r of requests) {
    if (r.status !== undefined) {
      out.push(r);
      continue;
    }
    const qs = new URLSearchParams(r.query ?? {}).toString();
    const res = await request(new URL(`${r.path}${qs ? `?${qs}` : ''}`, legacy), {
      method: r.method,
      headers: r.headers,
      body: r.body,
      headersTimeout: timeoutMs,
      bodyTimeout: timeoutMs,
    });
    await res.body.dump();
    out.push({ ...r, status: res.statusCode });
  }
  return out;
}

/** Cases from recorded requests: credentials dropped, one per method + path + query, marked `recorded`. */
export function toCases(
  requests: readonly RecordedRequest[],
  existingNames: ReadonlySet<string> = new Set(),
): ContractCaseInput[] {
  const seen = new Set(existingNames);
  const cases: ContractCaseInput[] = [];
  for (const r of requests) {
    const qs = new URLSearchParams(r.query ?? {}).toString();
    const name = `${r.method} ${r.path}${qs ? `?${qs}` : ''}`;
    if (seen.has(name)) continue;
    seen.add(name);
    const headers = Object.fromEntries(
      Object.entries(r.headers ?? {}).filter(([k]) => KEPT.has(k.toLowerCase()) && !SECRET.test(k)),
    );
    let body: unknown = r.body;
    if (typeof r.body === 'string') {
      try {
        body = JSON.parse(r.body);
      } catch {
        body = r.body;
      }
    }
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
    });
  }
  return cases;
}

/** A case file's text. */
export function caseFileText(family: string, cases: readonly ContractCaseInput[]): string {
  return `# Recorded from traffic by \`phoenix contracts record\`; edit freely.\n${stringify({ family, cases })}`;
}
