/**
 * The proxying locations of the rendered server, from one list of shared `proxy_` lines:
 * `location /`, the named locations of requests routed to new (one per new upstream and
 * `guard.timeout`, since `proxy_read_timeout` takes no variable), and the fallback to legacy.
 * Pure; see docs/nginx.md.
 */
import { fixedTarget, type PassTarget, type Upstream } from './render-upstreams.js';

/** The named locations of requests sent to new: `@phx_new_<group>_<timeout>`, `_safe` appended for GET, HEAD, OPTIONS. */
export const NEW_LOCATION = '@phx_new_';
/** The named location a safe request on new falls back to legacy in. */
export const FALLBACK_LOCATION = '@phx_fallback';
/** The internal location of a shadow-sampled request: the client's answer from legacy, and the mirror. */
export const SHADOW_LOCATION = '/__phoenix_shadow';
/** What `$phx_new_safe` appends to a new location's name for a safe method. */
const SAFE_SUFFIX = '_safe';
/**
 * The status `location /` returns to itself for a request routed to new, which its `error_page`
 * turns into a jump to that request's named location: unlike `rewrite … last`, the URI stays the
 * client's and no location is searched again, so new's `proxy_pass` needs no variable.
 */
const TO_NEW_STATUS = 418;

/** Where a family's requests routed to new go: its new upstream group and its `guard.timeout`. */
export interface NewTarget {
  upstream: Upstream;
  /** new's read timeout, ms; nginx's own (60 s) when undefined. */
  timeout: number | undefined;
}

/** The part of a new location's name for a family's `guard.timeout` (ms); nginx's own timeout without one. */
const timeoutKey = (ms: number | undefined): string => (ms === undefined ? 'default' : `${ms}ms`);

/** The name of a target's locations, without the safe suffix. */
export const newTargetKey = (t: NewTarget): string => `${t.upstream.name}_${timeoutKey(t.timeout)}`;

/** `$phx_new_at`'s value for a family routed to new: the named location, chosen per method in nginx. */
export const newLocationOf = (t: NewTarget): string => `${NEW_LOCATION}${newTargetKey(t)}$phx_new_safe`;

/** Maps `$request_method` to the suffix of the safe methods' new locations. */
export const SAFE_SUFFIX_MAP = `map $request_method $phx_new_safe { GET ${SAFE_SUFFIX}; HEAD ${SAFE_SUFFIX}; OPTIONS ${SAFE_SUFFIX}; default ""; }`;

/**
 * The lines of `location /` that send a request routed to new on to its named location. The
 * `error_page` sits in the `if` block, so that `location /` keeps the operator's own error pages
 * for legacy's answers. The named `_safe` location's `error_page` (the fallback) must still apply
 * after this first one, hence `recursive_error_pages` (a location's setting, not an `if`'s).
 */
export const toNewLines = (): string[] => [
  '    recursive_error_pages on;',
  '    if ($phx_new_at) {',
  `      error_page ${TO_NEW_STATUS} = $phx_new_at;`,
  `      return ${TO_NEW_STATUS};`,
  '    }',
];

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
 * The named locations of requests routed to new, one pair per distinct new upstream and
 * `guard.timeout`, and the fallback they share. Each proxies to its group with a fixed
 * `proxy_pass`, which passes the client's URI as it came (the jump from `location /` keeps it).
 * new gets one attempt (`proxy_next_upstream off`, even when its name has several addresses), so
 * the guard sees each failure. A safe request whose attempt fails to connect, times out or gets
 * 502/503/504 goes on to the family's legacy in the fallback, with `legacyTimeout` (ms; nginx's
 * own when undefined) as the router gives legacy; any other method gets new's answer or nginx's
 * 502/504, never replayed. `fallback` is where the fallback proxies: the family's legacy group,
 * chosen per request. A certificate nginx cannot verify fails an attempt as a refused connection does.
 */
export function newLocations(
  targets: readonly NewTarget[],
  legacyTimeout: number | undefined,
  fallback: PassTarget,
): string[] {
  const out: string[] = [];
  const sorted = [...targets].sort((a, b) => newTargetKey(a).localeCompare(newTargetKey(b)));
  for (const t of sorted) {
    const name = `${NEW_LOCATION}${newTargetKey(t)}`;
    const target = fixedTarget(t.upstream);
    const common = [
      ...(t.timeout === undefined ? [] : [`    proxy_read_timeout ${t.timeout}ms;`]),
      '    proxy_next_upstream off;',
      ...proxyLines(target.pass, `"${t.upstream.host}"`),
      ...target.tls,
    ];
    out.push(`  location ${name} {`, ...common, '  }');
    out.push(
      `  location ${name}${SAFE_SUFFIX} {`,
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
      ...proxyLines(fallback.pass, '$phx_fallback_host'),
      ...fallback.tls,
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
export function shadowLocation(legacyTimeout: number | undefined, upstream: PassTarget): string[] {
  return [
    `  location = ${SHADOW_LOCATION} {`,
    '    internal;',
    '    set $phx_family_on $phx_family;',
    '    mirror /__phoenix_mirror;',
    ...legacyReadTimeout(legacyTimeout),
    ...proxyLines(upstream.pass, '$phx_host'),
    ...upstream.tls,
    '  }',
  ];
}
