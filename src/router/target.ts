/**
 * Request targets the router refuses before matching a family. The router decides the family on
 * the path as sent, while frameworks route on the decoded, dot-resolved path: a `..` segment or
 * an encoded slash could make a request match one family here and reach another endpoint there
 * (for instance a legacy-only admin route on the new service). Such targets get a 400.
 */
import type { ServerResponse } from 'node:http';

/**
 * Why a request target is refused, or undefined when it is safe to route. Takes the target's path
 * (without the query string). Cheap for ordinary paths.
 */
export function unsafeTarget(path: string): string | undefined {
  if (path.charCodeAt(0) !== 0x2f)
    return 'the request target must be a path starting with "/" (absolute-form and "*" are not proxied)';
  if (!path.includes('.') && !path.includes('%') && !path.includes('\\')) return undefined;
  if (path.includes('\\')) return 'the path contains "\\", which some servers read as "/"';
  for (const raw of path.split('/')) {
    let seg = raw;
    if (raw.includes('%')) {
      try {
        seg = decodeURIComponent(raw);
      } catch {
        return 'the path has a malformed percent-encoding';
      }
      if (seg.includes('/') || seg.includes('\\'))
        return 'the path has an encoded "/" or "\\" (%2F, %5C), which would change how the upstream routes it';
    }
    if (seg === '.' || seg === '..') return 'the path has a "." or ".." segment; send the resolved path';
  }
  return undefined;
}

/** Answers a refused target: 400 `PHX_ERR_BAD_REQUEST_TARGET` with the reason. */
export function refuseTarget(res: ServerResponse, reason: string): void {
  const body = JSON.stringify({ error: { code: 'PHX_ERR_BAD_REQUEST_TARGET', message: reason } });
  res.writeHead(400, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
  res.end(body);
}
