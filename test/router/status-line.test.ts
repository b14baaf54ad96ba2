import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { createRouterAdminClient, type RouterAdminClient } from '../../src/router/client.js';
import type { RunningRouter } from '../../src/router/server.js';
import { closeAll, planFor, router, upstream, type TestUpstream } from './support.js';

let legacy: TestUpstream;
let candidate: TestUpstream;
let r: RunningRouter;
let admin: RouterAdminClient;

/** Answers with the reason phrase the path names: `/api/users/418-Short%20and%20Stout`. */
function withReason(prefix: string): TestUpstream['handler'] {
  return (req, res) => {
    const [code, reason] = decodeURIComponent(req.url!.split('/')[3]!).split('-');
    const body = JSON.stringify({ ok: true });
    res.writeHead(Number(code), `${prefix}${reason}`, {
      'content-type': 'application/json',
      'content-length': Buffer.byteLength(body),
    });
    res.end(body);
  };
}

/** The status line as a client reads it (undici does not expose the reason phrase). */
function statusLine(path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    http
      .get(`${r.url}${path}`, (res) => {
        res.resume();
        res.on('end', () => resolve(`${res.statusCode} ${res.statusMessage}`));
      })
      .on('error', reject);
  });
}

before(async () => {
  legacy = await upstream(withReason('Legacy '));
  candidate = await upstream(withReason('New '));
  const { plan, dir } = await planFor(legacy.url, candidate.url);
  plan.router.shadowMaxBusy = 1;
  r = await router(plan, dir);
  admin = createRouterAdminClient({ baseUrl: r.adminUrl, token: 'test-token' });
});
after(() => closeAll(admin, r, legacy, candidate));

describe('status line', () => {
  test('the upstream’s reason phrase is passed on unchanged', async () => {
    await admin.setRoute('users', { mode: 'legacy', percent: 0, version: 1 });
    assert.equal(await statusLine('/api/users/200-Fine%20Thanks'), '200 Legacy Fine Thanks');
    assert.equal(await statusLine('/api/users/404-Gone%20Fishing'), '404 Legacy Gone Fishing');
    await admin.setRoute('users', { mode: 'new', percent: 100, version: 2 });
    assert.equal(await statusLine('/api/users/201-Made'), '201 New Made');
  });

  test('the shadow comparison ignores reason phrases', async () => {
    await admin.setRoute('users', { mode: 'shadow', percent: 0, version: 3, sampleRate: 1 });
    await admin.waitForComparisons('users');
    await admin.resetStats('users');
    assert.equal(await statusLine('/api/users/200-OK'), '200 Legacy OK');
    await admin.waitForComparisons('users');
    const s = (await admin.getStats('users')).stats.parity;
    assert.deepEqual([s.samples, s.mismatches], [1, 0]);
  });
});
