/**
 * The upstreams of the rendered file: which URLs nginx takes (http:// and https:// without a path),
 * and the TLS settings an https:// service brings, which a plain-HTTP plan never gets.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { hasCode } from '../../src/lib/errors.js';
import { renderNginx, type RenderFamily, type RenderInput } from '../../src/nginx/render.js';
import type { RouteState } from '../../src/router/types.js';

const CA = '/etc/phoenix/upstream-ca.pem';

function render(families: RenderFamily[], routes: RouteState[] = [], comparatorUrl?: string): string {
  const input: RenderInput = {
    legacy: 'http://10.0.0.1:5000',
    families,
    routes: new Map(routes.map((r) => [r.family, r])),
    dataPlane: {
      listen: '127.0.0.1:8080',
      controlListen: '127.0.0.1:9091',
      trustedProxies: [],
      accessLog: '/var/log/nginx/phoenix-access.log',
      upstreamCa: CA,
      ...(comparatorUrl === undefined ? {} : { comparatorUrl }),
    },
  };
  return renderNginx(input).text;
}

const family = (name: string, urls: { legacy?: string; new: string }): RenderFamily => ({
  name,
  routes: [`/api/${name}/*`],
  legacy: urls.legacy ?? 'http://10.0.0.1:5000',
  new: urls.new,
  sticky: { header: 'X-User' },
});
const on = (name: string, mode: RouteState['mode'], sampleRate = 0): RouteState => ({
  family: name,
  mode,
  percent: mode === 'new' ? 100 : 0,
  version: 1,
  sampleRate,
});

describe('rendered upstreams', () => {
  it('renders no TLS settings for a plan without an https:// service', () => {
    const text = render([family('users', { new: 'http://10.0.0.2:8000' })], [on('users', 'new')]);
    assert.doesNotMatch(text, /proxy_ssl|https:\/\//);
    assert.match(text, /proxy_pass http:\/\/phx_u1;/);
  });

  it('proxies to an https:// service over TLS, verifying it against upstreamCa by its host name', () => {
    const text = render(
      [
        family('users', { new: 'https://users.internal' }),
        family('shop', { legacy: 'https://shop.internal:8443', new: 'http://10.0.0.2:8000' }),
      ],
      [on('users', 'new')],
    );
    assert.match(text, /upstream phx_u1 \{ server users\.internal:443; /);
    assert.match(text, /proxy_ssl_verify on;\n {2}proxy_ssl_trusted_certificate \/etc\/phoenix\/upstream-ca\.pem;/);
    // new's named locations: a fixed https target, its Host without the default port, its name for the check.
    assert.match(
      text,
      /proxy_pass https:\/\/phx_u1;[^}]*proxy_set_header Host "users\.internal";[^}]*proxy_ssl_name "users\.internal";/,
    );
    // Legacy groups chosen per request (the plan's and shop's): scheme and name follow the group.
    assert.match(text, /proxy_pass \$phx_scheme:\/\/\$phx_upstream;/);
    assert.match(text, /map \$phx_upstream \$phx_scheme \{[^}]*phx_u2 https;/);
    assert.match(text, /map \$phx_upstream \$phx_sni \{[^}]*phx_u2 "shop\.internal";/);
    assert.match(text, /map \$phx_upstream \$phx_host \{[^}]*phx_u2 "shop\.internal:8443";/);
  });

  it('refuses an upstream URL with a path, and an https:// comparator, naming what to change', () => {
    assert.throws(
      () => render([family('users', { new: 'https://10.0.0.2/v2' })]),
      (err: Error) =>
        hasCode(err, 'PHX_ERR_NGINX_UPSTREAM') &&
        /family "users": new upstream "https:\/\/10\.0\.0\.2\/v2"/.test(err.message),
    );
    assert.throws(
      () =>
        render(
          [family('users', { new: 'http://10.0.0.2:8000' })],
          [on('users', 'shadow', 0.1)],
          'https://10.0.0.3:7000',
        ),
      (err: Error) =>
        hasCode(err, 'PHX_ERR_NGINX_UPSTREAM') && /comparatorUrl "https:\/\/10\.0\.0\.3:7000"/.test(err.message),
    );
  });
});
