/**
 * The family match rendered for nginx picks the same family as the built-in router's matcher,
 * and patterns nginx cannot express are refused naming the family and pattern. The regexes are
 * run here with JavaScript's engine; they use only syntax PCRE reads the same way.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { hasCode } from '../../src/lib/errors.js';
import { routeRegexes } from '../../src/nginx/route-regex.js';
import { parsePlan } from '../../src/plan/index.js';
import { createMatcher } from '../../src/plan/route-match.js';
import { oneFamilyPlan, planProblems } from '../helpers/plan-text.js';

const families = [
  { name: 'users', routes: ['GET /api/users/:id', 'POST|PUT /api/users/:id'] },
  { name: 'me', routes: ['GET /api/users/me', '/api/users/me/*'] },
  { name: 'orders', routes: ['/api/orders/*'], strictSlashes: true },
  { name: 'files', routes: ['GET /static/v1.2/:name', '/'] },
  { name: 'catch', routes: ['DELETE /*'] },
];

describe('nginx route regexes', () => {
  it('match every request to the same family as the router', () => {
    const matcher = createMatcher(families);
    const regexes = routeRegexes(families).map((r) => ({ family: r.family, re: new RegExp(r.regex) }));
    const paths = [
      '/',
      '//',
      '/api',
      '/api/users',
      '/api/users/',
      '/api/users/1',
      '/api/users/1/',
      '/api/users/me',
      '/api/users/me/',
      '/api/users/me/x/y',
      '/api/orders',
      '/api/orders/',
      '/api/orders/1/2',
      '/api/ordersx',
      '/static/v1.2/a',
      '/static/v1x2/a',
      '/static/v1.2/a/',
      '/x/y/z',
    ];
    for (const method of ['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'PATCH']) {
      for (const p of paths) {
        const want = matcher.match(method, p)?.family;
        const got = regexes.find((r) => r.re.test(`${method} ${p}`))?.family;
        assert.equal(got, want, `${method} ${p}`);
      }
    }
  });

  it('refuses a pattern with characters nginx would read differently, naming family and pattern', () => {
    assert.throws(
      () => routeRegexes([{ name: 'odd', routes: ['GET /api/a%20b'] }]),
      (err: Error) => hasCode(err, 'PHX_ERR_NGINX_PATTERN') && /family "odd".*"GET \/api\/a%20b"/.test(err.message),
    );
  });
});

describe('plan dataPlane', () => {
  it('defaults to the built-in router', async () => {
    const plan = await parsePlan(oneFamilyPlan(''), '/tmp/plan.yaml', 'plan.yaml');
    assert.deepEqual(plan.dataPlane, { kind: 'phoenix', adminTimeout: 3000 });
  });

  it('fills the nginx defaults', async () => {
    const text = `${oneFamilyPlan('')}dataPlane:\n  kind: nginx\n  includeFile: /etc/nginx/phoenix.conf\n  mainConfig: /etc/nginx/nginx.conf\n`;
    const plan = await parsePlan(text, '/tmp/plan.yaml', 'plan.yaml');
    assert.equal(plan.dataPlane.kind, 'nginx');
    if (plan.dataPlane.kind === 'nginx') {
      assert.equal(plan.dataPlane.nginxBinary, 'nginx');
      assert.equal(plan.dataPlane.controlListen, '127.0.0.1:9091');
      assert.equal(plan.dataPlane.accessLog, '/var/log/nginx/phoenix-access.log');
      assert.equal(plan.dataPlane.upstreamCa, '/etc/ssl/certs/ca-certificates.crt');
    }
  });

  it('refuses bad values naming the field', async () => {
    const text = `${oneFamilyPlan('')}dataPlane:\n  kind: nginx\n  includeFile: phoenix.conf\n  mainConfig: /etc/nginx/nginx.conf\n  listen: "here"\n`;
    const paths = (await planProblems(text)).map((p) => p.path);
    assert.ok(paths.includes('dataPlane.includeFile'), paths.join());
    assert.ok(paths.includes('dataPlane.listen'), paths.join());
    const kind = await planProblems(`${oneFamilyPlan('')}dataPlane:\n  kind: envoy\n`);
    assert.ok(
      kind.some((p) => p.path === 'dataPlane.kind'),
      JSON.stringify(kind),
    );
  });
});
