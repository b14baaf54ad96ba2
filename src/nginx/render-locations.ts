/**
 * The proxying locations of the rendered server, from one list of shared `proxy_` lines:
 * `location /`, the internal locations of requests routed to new (one per `guard.timeout`, since
 * `proxy_read_timeout` takes no variable), and the fallback to legacy. Pure; see docs/nginx.md.
 */

/** The internal locations of requests sent to new: `/__phoenix_new_<ms>ms`, `_safe` appended for GET, HEAD, OPTIONS. */
export const NEW_LOCATION = '/__phoenix_new_';
/** The named location a safe request on new falls back to legacy in. */
export const FALLBACK_LOCATION = '@phx_fallback';
/** The internal location of a shadow-sampled request: the client's answer from legacy, and the mirror. */
export const SHADOW_LOCATION = '/__phoenix_shadow';
/** What `$phx_new_safe` appends to a new location's name for a safe method. */
const SAFE_SUFFIX = '_safe';

/** The part of a new location's name for a family's `guard.timeout` (ms); nginx's own timeout without one. */
export const timeoutKey = (ms: number | undefined): string => (ms === undefined ? 'default' : `${ms}ms`);

/** `$phx_new_at`'s value for a family routed to new: the location, chosen per method in nginx. */
export const newLocationOf = (ms: number | undefined): string => `${NEW_LOCATION}${timeoutKey(ms)}$phx_new_safe`;

/** Maps `$request_method` to the suffix of the safe methods' new locations. */
export const SAFE_SUFFIX_MAP = `map $request_method $phx_new_safe { GET ${SAFE_SUFFIX}; HEAD ${SAFE_SUFFIX}; OPTIONS ${SAFE_SUFFIX}; default ""; }`;

/**
 * The `proxy_` lines every proxying location has, so they cannot drift apart: `pass` is the
 * target, `host` the `Host` sent (each upstream's own).
 */
export function proxyLines(pass: string, host: string): string[] {
  return [
    `    proxy_pass ${pass};`,
    '    proxy_http_version 1.1;',
    '    proxy_set_header Connection "";',
    `    proxy_set_header Host ${host};`,
    '    proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;',
    '    proxy_set_header X-Forwarded-Proto $scheme;',
    '    proxy_set_header X-Request-Id $phx_request_id;',
  ];
}

/**
 * `proxy_read_timeout` for legacy's reads: the plan's `router.legacyTimeout` (ms), as the router
 * gives legacy; nginx's own when undefined.
 */
export function legacyReadTimeout(ms: number | undefined): string[] {
  return ms === undefined ? [] : [`    proxy_read_timeout ${ms}ms;`];
}

/**
 * The locations of requests routed to new, per distinct `guard.timeout` (undefined: nginx's own
 * read timeout), and the fallback they share. new gets one attempt (`proxy_next_upstream off`,
 * even when its name has several addresses), so the guard sees each failure. A safe request whose
 * attempt fails to connect, times out or gets 502/503/504 goes on to legacy in the fallback, with
 * `legacyTimeout` (ms; nginx's own when undefined) as the router gives legacy; any other method
 * gets new's answer or nginx's 502/504, never replayed. The rewritten URI is internal, so the
 * client's own (`$request_uri`) is passed.
 */
export function newLocations(timeouts: ReadonlySet<number | undefined>, legacyTimeout: number | undefined): string[] {
  const out: string[] = [];
  const sorted = [...timeouts].sort((a, b) => (a ?? Infinity) - (b ?? Infinity));
  for (const ms of sorted) {
    const read = ms === undefined ? [] : [`    proxy_read_timeout ${ms}ms;`];
    const common = [
      ...read,
      '    proxy_next_upstream off;',
      ...proxyLines('http://$phx_upstream$request_uri', '$phx_host'),
    ];
    out.push(`  location = ${NEW_LOCATION}${timeoutKey(ms)} {`, '    internal;', ...common, '  }');
    out.push(
      `  location = ${NEW_LOCATION}${timeoutKey(ms)}${SAFE_SUFFIX} {`,
      '    internal;',
      ...common,
      // new's own 502/503/504 answers too (only the codes error_page names are intercepted).
      '    proxy_intercept_errors on;',
      `    error_page 502 503 504 = ${FALLBACK_LOCATION};`,
      '  }',
    );
  }
  if (sorted.length > 0) {
    out.push(
      `  location ${FALLBACK_LOCATION} {`,
      ...legacyReadTimeout(legacyTimeout),
      ...proxyLines('http://$phx_fallback$request_uri', '$phx_fallback_host'),
      '  }',
    );
  }
  return out;
}

/**
 * Where a shadow-sampled request goes on: proxied to its side (legacy, with `legacyTimeout` in
 * ms) as in `location /`, and mirrored to the comparator. The family is kept for the mirror subrequest, which would otherwise
 * match its own `$uri` (`$phx_family` was taken in `location /`, before the rewrite).
 */
export function shadowLocation(legacyTimeout: number | undefined): string[] {
  return [
    `  location = ${SHADOW_LOCATION} {`,
    '    internal;',
    '    set $phx_family_on $phx_family;',
    '    mirror /__phoenix_mirror;',
    ...legacyReadTimeout(legacyTimeout),
    ...proxyLines('http://$phx_upstream$request_uri', '$phx_host'),
    '  }',
  ];
}
