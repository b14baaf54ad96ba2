/**
 * Sends a sampled request to the new service once the client has legacy's answer. It goes from
 * the router thread, like the client's request to legacy, so both latencies are measured alike.
 */
import type { Dispatcher } from 'undici';
import { SAFE_METHODS } from '../../plan/route-pattern.js';
import { collect, type Collected } from '../collect.js';
import type { FamilyRuntime } from '../family.js';
import type { SideIdentity } from '../identity.js';
import { withHost } from '../upstream-host.js';
import type { CapturedExchange, CompareJob } from './report.js';

/** New's answer, and the headers it got when its identity replaced some of the client's. */
export interface Mirrored {
  candidate: Collected;
  newHeaders: CompareJob['headers'] | undefined;
}

/**
 * Mirrors `x` to the family's new service; `'failed'` when its identity or the request failed,
 * `'too-large'` when the answer is over `maxBytes`. Unsafe mirrors are marked `x-phoenix-shadow: 1`.
 */
export async function mirrorToNew(
  fam: FamilyRuntime,
  x: CapturedExchange,
  side: SideIdentity | undefined,
  maxBytes: number,
): Promise<Mirrored | 'failed' | 'too-large'> {
  const timeout = fam.plan.guard.timeout;
  let headers = x.headers;
  try {
    if (side !== undefined) headers = await side.headers(x.headers);
    const upstreamHeaders = withHost(headers, x.host, fam.plan.preserveHost.new);
    const request: Dispatcher.DispatchOptions = {
      path: x.url,
      method: x.method,
      headers: SAFE_METHODS.has(x.method) ? upstreamHeaders : { ...upstreamHeaders, 'x-phoenix-shadow': '1' },
      body: x.body,
      headersTimeout: timeout,
      bodyTimeout: timeout,
    };
    const candidate = await collect(fam.candidate, request, maxBytes);
    if (candidate === 'too-large') return 'too-large';
    return { candidate, newHeaders: headers === x.headers ? undefined : headers };
  } catch {
    return 'failed';
  }
}
