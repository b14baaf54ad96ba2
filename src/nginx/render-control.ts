/**
 * The rendered file's control server: it answers with what nginx has loaded, so a route change
 * counts only once nginx serves it (see apply.ts). Pure; see docs/nginx.md.
 */
import type { RouteState } from '../router/types.js';

/** Where the control server answers with the applied state. */
export const STATE_PATH = '/__phoenix/state';

/** The control server on `listen`, serving the rendering's `digest` and `routes` at {@link STATE_PATH}. */
export function controlServer(listen: string, digest: string, routes: readonly RouteState[]): string[] {
  // Served JSON holds only names, numbers and the digest: nothing nginx would read as `$var` or a quote.
  const served = JSON.stringify({
    digest,
    routes: routes.map((r) => ({
      family: r.family,
      mode: r.mode,
      percent: r.percent,
      version: r.version,
      sampleRate: r.sampleRate,
    })),
  });
  return [
    'server {',
    `  listen ${listen};`,
    `  location = ${STATE_PATH} { default_type application/json; return 200 '${served}'; }`,
    '  location / { return 404; }',
    '}',
  ];
}
