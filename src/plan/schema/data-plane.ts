/** The plan's `dataPlane`: which traffic provider carries the families' requests. */
import { z } from 'zod';
import { cidr, duration, url } from './primitives.js';

/** An nginx `listen` address: `host:port` (IPv4, `[IPv6]` or a name) or a bare port. */
const listenAddress = z
  .string()
  .regex(/^(?:(?:\d{1,3}(?:\.\d{1,3}){3}|\[[0-9a-fA-F:]+\]|[A-Za-z0-9.-]+):)?\d{1,5}$/, 'expected host:port or a port');

/** An absolute file path (nginx resolves relative ones against its own prefix, so Phoenix asks for absolute ones). */
const absolutePath = z
  .string()
  .regex(/^\/[^\s;'"{}$]*$/, 'expected an absolute path without spaces, quotes, ";", "{}" or "$"');

/** Where a URL points, for spotting the same member written twice (`/` and case of the host do not count). */
function memberKey(u: string): string {
  try {
    return new URL(u).href.replace(/\/+$/, '');
  } catch {
    return u;
  }
}

/**
 * A fleet's members: the admin API URL of every instance that carries the families' traffic
 * (each speaks the router's admin API). A step counts only once every member has it; figures are
 * summed across them (see docs/fleets.md). @default [router.adminUrl] (one member)
 */
const members = z
  .array(url)
  .min(1, 'a fleet needs at least one member; leave members out for the one router at router.adminUrl')
  .superRefine((list, ctx) => {
    const seen = new Map<string, number>();
    list.forEach((u, i) => {
      const first = seen.get(memberKey(u));
      if (first === undefined) seen.set(memberKey(u), i);
      else
        ctx.addIssue({
          code: 'custom',
          path: [i],
          message: `member ${u} is listed twice (also at members[${first}]); each member is one admin API`,
        });
    });
  })
  .optional();

/**
 * How long the worker waits for one admin API call to a member (duration, 100 ms–2 min): a route
 * change, a figures read, a health check. A call past it fails the attempt, which the workflow
 * retries (idempotently). An nginx route change answers once nginx serves it (`nginx -t` and a
 * reload), so a slow nginx host wants more. @default 3s
 */
const adminTimeout = duration
  .pipe(
    z
      .number()
      .min(100, 'expected at least 100 ms for an admin API call')
      .max(120_000, 'expected at most 2 min for an admin API call'),
  )
  .default(3000);

/** Phoenix's built-in router (the default). */
export const phoenixDataPlaneSchema = z.strictObject({
  kind: z.literal('phoenix'),
  /** The fleet's routers, by admin API URL. @default [router.adminUrl] */
  members,
  /** The worker's timeout for one admin API call to a member (ms after parsing). @default 3s */
  adminTimeout,
});

/** The operator's nginx, driven through one include file Phoenix owns (see docs/nginx.md). */
export const nginxDataPlaneSchema = z.strictObject({
  kind: z.literal('nginx'),
  /** The fleet's members, by the admin API URL each serves. @default [router.adminUrl] */
  members,
  /** The worker's timeout for one admin API call to a member (ms after parsing). @default 3s */
  adminTimeout,
  /** The file Phoenix renders and replaces; the main config must `include` it inside `http {}`. */
  includeFile: absolutePath,
  /** nginx's main configuration file (tested with `nginx -t -c` before each change). */
  mainConfig: absolutePath,
  /** The nginx executable. @default "nginx" (found on PATH) */
  nginxBinary: z.string().min(1).default('nginx'),
  /** nginx's prefix (`-p`), when it is not the compiled-in one. @default none */
  prefix: absolutePath.optional(),
  /** Where the rendered server takes client traffic. @default "127.0.0.1:8080" */
  listen: listenAddress.default('127.0.0.1:8080'),
  /** Where the rendered control server answers `GET /__phoenix/state` (keep it private). @default "127.0.0.1:9091" */
  controlListen: listenAddress.default('127.0.0.1:9091'),
  /** Where nginx mirrors shadow-sampled requests (a comparator). Required before a family enters shadow. @default none */
  comparatorUrl: url.optional(),
  /**
   * Proxies whose `X-Forwarded-For` nginx's realip module believes for the client address
   * (`sticky: ip`). @default [] (the socket's address)
   */
  trustedProxies: z.array(cidr).default([]),
  /**
   * The JSON access log the rendered server writes (one line per request) and Phoenix's agent
   * reads for the figures and the guard; nginx creates it, Phoenix must be able to read it.
   * @default "/var/log/nginx/phoenix-access.log"
   */
  accessLog: absolutePath.default('/var/log/nginx/phoenix-access.log'),
  /**
   * The admin API of the nginx data plane process (`phoenix router --plan` on the nginx host),
   * which the worker and the CLI drive for the families on this nginx. Give it when some
   * families stay on the built-in router, whose admin API is `router.adminUrl`.
   * @default the plan's `router.adminUrl`
   */
  adminUrl: url.optional(),
  /**
   * The CA bundle nginx verifies `https://` legacy and new services against (their certificates
   * must name the URL's host). @default "/etc/ssl/certs/ca-certificates.crt" (Debian's system bundle)
   */
  upstreamCa: absolutePath.default('/etc/ssl/certs/ca-certificates.crt'),
  /** How long to wait for nginx to serve a change after the reload. @default 10000 (ms) */
  reloadTimeoutMs: z.number().int().min(100).default(10_000),
});

/** `dataPlane`: the built-in router (`phoenix`) or the operator's nginx (`nginx`). */
export const dataPlaneSchema = z.discriminatedUnion('kind', [phoenixDataPlaneSchema, nginxDataPlaneSchema]);
export type DataPlane = z.infer<typeof dataPlaneSchema>;
export type NginxDataPlane = z.infer<typeof nginxDataPlaneSchema>;
