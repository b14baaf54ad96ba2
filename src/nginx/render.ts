/**
 * Renders the one include file Phoenix owns in the operator's nginx (inside `http {}`): upstream
 * groups with keepalive, the family match as an ordered regex `map`, the canary split on each
 * family's sticky key, new's read timeout with the fallback to legacy for safe methods
 * (`render-locations.ts`), the shadow mirror sampled in nginx, and a control server that reads back
 * what is applied. Pure; see docs/nginx.md.
 */
import { createHash } from 'node:crypto';
import { PhoenixError } from '../lib/errors.js';
import type { NginxDataPlane, StickyKey } from '../plan/schema.js';
import type { RouteState } from '../router/types.js';
import { LOG_FORMAT, LOG_FORMAT_DIRECTIVE, userBucketSplits, userBucketValue } from './access-log.js';
import type { SavedTrip } from './agent.js';
import {
  legacyReadTimeout,
  newLocationOf,
  newLocations,
  newTargetKey,
  proxyLines,
  SAFE_SUFFIX_MAP,
  SHADOW_LOCATION,
  shadowLocation,
  toNewLines,
  type NewTarget,
} from './render-locations.js';
import { routeRegexes } from './route-regex.js';
import { controlServer } from './render-control.js';
import { fixedTarget, UpstreamGroups, upstreamOf, type GroupVariables } from './render-upstreams.js';

/** What the renderer needs of a family. */
export interface RenderFamily {
  name: string;
  routes: readonly string[];
  strictSlashes?: boolean;
  legacy: string;
  new: string;
  sticky: StickyKey;
  /** `timeout`: how long new may take per read (ms), nginx's `proxy_read_timeout` for it. @default nginx's (60 s) */
  guard?: { timeout: number };
}

export interface RenderInput {
  /** The plan's legacy upstream: where requests matching no family go. */
  legacy: string;
  families: readonly RenderFamily[];
  /** Each family's route; a family without one is on legacy. */
  routes: ReadonlyMap<string, RouteState>;
  /** Families whose guard tripped: served by legacy whatever their route says, until cleared. */
  trips?: readonly SavedTrip[];
  /** How long legacy may take per read (ms), on requests routed to it and on a safe request's fallback from new: the plan's `router.legacyTimeout`. @default nginx's (60 s) */
  legacyTimeout?: number;
  dataPlane: Pick<
    NginxDataPlane,
    'listen' | 'controlListen' | 'comparatorUrl' | 'trustedProxies' | 'accessLog' | 'upstreamCa'
  >;
}

/** What the control server serves at `/__phoenix/state`, and the file's first state line holds. */
export interface AppliedState {
  /** sha256 of everything rendered except this state (ties a served answer to one rendering). */
  digest: string;
  routes: RouteState[];
  /** Tripped guards (absent from files rendered before the guard existed). */
  trips?: SavedTrip[];
}

export interface Rendered {
  text: string;
  state: AppliedState;
}

/** The comment line the rendered file starts its state with (read back at start-up). */
export const STATE_PREFIX = '# phoenix-state: ';
export { STATE_PATH } from './render-control.js';

function stickyVariable(s: StickyKey): string | undefined {
  if (s === 'ip') return undefined;
  const name = 'header' in s ? s.header : s.cookie;
  if (!/^[A-Za-z0-9_-]+$/.test(name)) {
    throw new PhoenixError(
      'PHX_ERR_NGINX_STICKY',
      `sticky key "${name}" cannot be read by nginx (letters, digits, "_", "-" only)`,
    );
  }
  const v = name.toLowerCase().replace(/-/g, '_');
  return 'header' in s ? `$http_${v}` : `$cookie_${v}`;
}

/** The variables `location /` and the shadow location choose legacy's group by (several legacy groups). */
const UPSTREAM_VARS: GroupVariables = {
  group: '$phx_upstream',
  host: '$phx_host',
  scheme: '$phx_scheme',
  sni: '$phx_sni',
};
/** The variables the fallback chooses the family's legacy by. */
const FALLBACK_VARS: GroupVariables = {
  group: '$phx_fallback',
  host: '$phx_fallback_host',
  scheme: '$phx_fallback_scheme',
  sni: '$phx_fallback_sni',
};

/** Shadow sampling's key: unique per request of one nginx (the connection serial is shared by its workers). */
const SAMPLE_KEY = '$msec-$connection-$connection_requests';

/** nginx's split_clients takes percentages with at most two decimals. */
const pct = (n: number): string => `${Math.round(n * 100) / 100}%`;

/** Renders the include file for the families' current routes. */
export function renderNginx(input: RenderInput): Rendered {
  const dp = input.dataPlane;
  const ups = new UpstreamGroups();
  const planLegacy = ups.add('(plan)', 'legacy', input.legacy);
  const defaultLegacy = planLegacy.name;
  const lines: string[] = [];
  const side: string[] = [];
  const mirror: string[] = [];
  const users: string[] = [];
  const pick: string[] = [];
  const toNew: string[] = [];
  const fallback: string[] = [];
  const newTargets = new Map<string, NewTarget>();
  const legacyGroups = new Set([defaultLegacy]);
  const routes: RouteState[] = [];
  const trips = input.trips ?? [];
  const tripped = new Set(trips.map((t) => t.family));
  input.families.forEach((f, i) => {
    const applied = input.routes.get(f.name) ?? {
      family: f.name,
      mode: 'legacy',
      percent: 0,
      version: 0,
      sampleRate: 0,
    };
    routes.push(applied);
    // A tripped family is rendered on legacy, as the router's effective mode; its route is kept.
    const route: RouteState = tripped.has(f.name) ? { ...applied, mode: 'legacy', percent: 0 } : applied;
    const legacy = ups.add(f.name, 'legacy', f.legacy).name;
    legacyGroups.add(legacy);
    const fresh = ups.add(f.name, 'new', f.new);
    const id = `f${i}`;
    // nginx's proxy_read_timeout takes no variable: requests the route sends to new go to a
    // named location with the family's guard.timeout, as the router's own limit on new, and a
    // safe one that fails there falls back to the family's legacy (render-locations.ts).
    if (route.mode === 'new' || (route.mode === 'canary' && route.percent > 0)) {
      const target: NewTarget = { upstream: fresh, timeout: f.guard?.timeout };
      toNew.push(`  "${id} new" ${newLocationOf(target)};`);
      fallback.push(`  ${id} ${legacy};`);
      newTargets.set(newTargetKey(target), target);
    }
    if (route.mode === 'new' || (route.mode === 'canary' && route.percent >= 100)) side.push(`  ${id} new;`);
    else if (route.mode === 'canary' && route.percent > 0) {
      const key = stickyVariable(f.sticky);
      let keyVar = '$remote_addr';
      if (key !== undefined) {
        // A request without the header or cookie falls back to the client address, as in the router.
        keyVar = `$phx_key_${id}`;
        lines.push(`map ${key} ${keyVar} { "" $remote_addr; default ${key}; }`);
      }
      lines.push(`split_clients "${keyVar}" $phx_canary_${id} { ${pct(route.percent)} new; * legacy; }`);
      side.push(`  ${id} $phx_canary_${id};`);
      // Logged so the agent can count the canary's distinct users, as the router does.
      lines.push(...userBucketSplits(keyVar, id));
      users.push(`  ${id} ${userBucketValue(id)};`);
    }
    if (route.mode === 'shadow' && route.sampleRate > 0) {
      if (dp.comparatorUrl === undefined) {
        throw new PhoenixError(
          'PHX_ERR_NGINX_NO_COMPARATOR',
          `family "${f.name}" cannot enter shadow through nginx: dataPlane.comparatorUrl is not set (where nginx mirrors sampled requests)`,
          { family: f.name },
        );
      }
      const rate = route.sampleRate >= 1 ? '*' : pct(route.sampleRate * 100);
      // Keyed on what makes each request unique in this nginx, not on `$request_id`: its random
      // bytes cost more than the hash (docs/benchmarks.md), and a client's own X-Request-Id must
      // not decide whether it is sampled.
      lines.push(`split_clients "${SAMPLE_KEY}" $phx_sample_${id} { ${rate} 1; ${rate === '*' ? '' : '* "";'} }`);
      mirror.push(`  ${id} $phx_sample_${id};`);
    }
    // Only legacy's side reads `$phx_upstream`: new's is sent on to its named location.
    pick.push(`  "${id} legacy" ${legacy};`);
  });

  const out: string[] = [];
  out.push(...ups.blocks());
  if (mirror.length > 0) {
    const comparator = upstreamOf('(plan)', 'comparator', dp.comparatorUrl as string);
    if (comparator.tls) {
      throw new PhoenixError(
        'PHX_ERR_NGINX_UPSTREAM',
        `dataPlane.comparatorUrl "${dp.comparatorUrl}" cannot be rendered for nginx: the comparator is mirrored to over http://, on a private address`,
        { url: dp.comparatorUrl },
      );
    }
    out.push(`upstream phx_comparator { server ${comparator.server}; keepalive 8; }`);
  }
  // The client's request id is kept, as the router keeps it. Otherwise one unique to this nginx's
  // requests: `$request_id` draws 16 random bytes from OpenSSL on every request, which cost about
  // 8% of a small request's CPU (docs/benchmarks.md).
  out.push(
    'map $http_x_request_id $phx_request_id { "" "$pid-$msec-$connection-$connection_requests"; default $http_x_request_id; }',
  );
  out.push(LOG_FORMAT_DIRECTIVE);
  out.push(
    'map $phx_family $phx_log_family {',
    '  default "";',
    ...input.families.map((f, i) => `  f${i} ${f.name};`),
    '}',
  );
  out.push('map "$request_method $uri" $phx_family {', '  default "";');
  for (const r of routeRegexes(input.families))
    out.push(`  "~${r.regex}" f${r.family}; # ${input.families[r.family]?.name} ${r.route}`);
  out.push('}', ...lines);
  out.push('map $phx_family $phx_side {', '  default legacy;', ...side, '}');
  out.push('map $phx_family $phx_mirror {', '  default "";', ...mirror, '}');
  out.push('map $phx_family $phx_user_bucket {', '  default "";', ...users, '}');
  if (toNew.length > 0) {
    // `$phx_new_safe` is evaluated only for requests routed to new (map values are computed on use).
    out.push(SAFE_SUFFIX_MAP, 'map "$phx_family $phx_side" $phx_new_at {', '  default "";', ...toNew, '}');
    out.push('map $phx_family $phx_fallback {', `  default ${defaultLegacy};`, ...fallback, '}');
    out.push(...ups.maps(FALLBACK_VARS));
  }
  if (mirror.length > 0) {
    // Family names as the comparator knows them (map keys use ids: a family may be named "default").
    out.push('map $phx_family_on $phx_family_name {', ...input.families.map((f, i) => `  f${i} ${f.name};`), '}');
  }
  out.push('map "$phx_family $phx_side" $phx_upstream {', `  default ${defaultLegacy};`, ...pick, '}');
  out.push(...ups.maps(UPSTREAM_VARS));
  const planTarget = fixedTarget(planLegacy);
  const upstreamTarget = ups.varTarget(UPSTREAM_VARS);
  out.push('server {', `  listen ${dp.listen};`);
  // Buffered and flushed every 100 ms: one write per batch of requests, not one per request (the
  // CPU bar), and bigger reads for the agent; the guard's trip time grows by at most 100 ms.
  out.push(`  access_log ${dp.accessLog} ${LOG_FORMAT} buffer=64k flush=100ms;`);
  out.push(...ups.serverTls(dp.upstreamCa));
  if (dp.trustedProxies.length > 0) {
    for (const c of dp.trustedProxies) out.push(`  set_real_ip_from ${c};`);
    out.push('  real_ip_header X-Forwarded-For;', '  real_ip_recursive on;');
  }
  out.push(
    '  location / {',
    // Only a sampled request goes on where the mirror is: nginx's `mirror` makes a subrequest for
    // every request of its location, sampled or not.
    ...(mirror.length > 0 ? [`    if ($phx_mirror) { rewrite ^ ${SHADOW_LOCATION} last; }`] : []),
    // A request the route sends to new goes on in its family's named location (below).
    ...(toNew.length > 0 ? toNewLines() : []),
    ...legacyReadTimeout(input.legacyTimeout),
    // Only legacy's side gets here (new's goes on above). With one legacy group, as in most
    // plans, the target is fixed: a `proxy_pass` with variables costs a URL parse and an upstream
    // lookup on every request, about 3% of a small request's CPU (docs/benchmarks.md).
    ...(legacyGroups.size === 1
      ? [...proxyLines(planTarget.pass, `"${planLegacy.host}"`), ...planTarget.tls]
      : [...proxyLines(upstreamTarget.pass, '$phx_host'), ...upstreamTarget.tls]),
    '  }',
    ...newLocations([...newTargets.values()], input.legacyTimeout, ups.varTarget(FALLBACK_VARS, '$request_uri')),
    ...(mirror.length > 0 ? shadowLocation(input.legacyTimeout, ups.varTarget(UPSTREAM_VARS, '$request_uri')) : []),
  );
  if (mirror.length > 0) {
    out.push(
      '  location = /__phoenix_mirror {',
      '    internal;',
      '    proxy_pass http://phx_comparator$request_uri;',
      '    proxy_http_version 1.1;',
      '    proxy_set_header Connection "";',
      '    proxy_set_header X-Phoenix-Family $phx_family_name;',
      '    proxy_set_header X-Request-Id $phx_request_id;',
      // When nginx took the request on: the comparator puts unsafe mirrors back in that order.
      '    proxy_set_header X-Phoenix-Taken-At $msec;',
      '  }',
    );
  }
  out.push('}');
  const body = out.join('\n');
  const digest = createHash('sha256').update(body).digest('hex').slice(0, 16);
  const state: AppliedState = { digest, routes, ...(trips.length > 0 ? { trips: [...trips] } : {}) };
  const text = [
    '# Rendered by Phoenix on every route change; do not edit (docs/nginx.md).',
    `${STATE_PREFIX}${JSON.stringify(state)}`,
    body,
    ...controlServer(dp.controlListen, digest, routes),
    '',
  ].join('\n');
  return { text, state };
}
