import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { TokenExchange } from '../../src/router/identity.js';
import { hasCode } from '../../src/lib/errors.js';
import { closeAll, json, upstream, type TestUpstream } from './support.js';

let service: TestUpstream;
before(async () => {
  service = await upstream((req, res) => {
    const auth = String(req.headers.authorization);
    if (auth === 'Bearer text') {
      res.writeHead(200, { 'content-type': 'text/plain' });
      return res.end('plain-token\n');
    }
    if (auth === 'Bearer empty') return json(res, 200, { other: 1 });
    if (auth.startsWith('Bearer ok-')) return json(res, 200, { access_token: `new-${auth.slice(10)}` });
    json(res, 401, { error: 'no' });
  });
});
after(() => closeAll(service));

const plan = (field = 'access_token', ttl = 60_000) => ({
  url: `${service.url}/x`,
  from: 'authorization',
  field,
  ttl,
  timeout: 2000,
});

describe('token exchange', () => {
  test('tokens are cached per credential until the TTL, and one exchange serves concurrent callers', async () => {
    const x = new TokenExchange(plan('access_token', 1000), 'test');
    service.seen.length = 0;
    const [a, b] = await Promise.all([x.token('Bearer ok-ana'), x.token('Bearer ok-ana')]);
    assert.equal(a, 'new-ana');
    assert.equal(b, 'new-ana');
    assert.equal(service.seen.length, 1);
    assert.equal(x.cached('Bearer ok-ana'), 'new-ana');
    assert.equal(x.cached('Bearer ok-bo'), undefined, 'another credential is not served from the cache');
    assert.equal(x.cached('Bearer ok-ana', Date.now() + 1001), undefined, 'expired after the TTL');
    assert.equal(await x.token('Bearer ok-ana'), 'new-ana');
    assert.equal(service.seen.length, 2);
  });

  test('a plain-text answer is the token itself', async () => {
    assert.equal(await new TokenExchange(plan(), 'test').token('Bearer text'), 'plain-token');
  });

  test('a refusal or an answer without a token fails with a clear code and without the credential', async () => {
    const x = new TokenExchange(plan(), 'family "f" exchange');
    for (const cred of ['Bearer s3cret-value', 'Bearer empty']) {
      await assert.rejects(x.token(cred), (e: unknown) => {
        const m = (e as Error).message;
        return hasCode(e, 'PHX_ERR_IDENTITY_EXCHANGE') && m.includes('family "f"') && !m.includes(cred.slice(7));
      });
    }
    assert.equal(x.cached('Bearer s3cret-value'), undefined, 'failures are not cached');
  });
});
