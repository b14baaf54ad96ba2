import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseCaseFile } from '../../src/contracts/cases.js';
import { caseFileText, fromSamples, parseRequestList, toCases, withLegacyStatus } from '../../src/contracts/record.js';
import { hasCode } from '../../src/lib/errors.js';
import type { SampleRecord } from '../../src/router/client.js';
import { fakeUpstream } from '../helpers/fake-upstream.js';

describe('recording cases from traffic', () => {
  test('request lists: plain lines and JSON lines; a bad line is named', () => {
    const r = parseRequestList(
      '# comment\nGET /api/users/1?x=2\n\n{"method":"post","path":"/api/users","body":"{\\"a\\":1}"}\n',
      'reqs.txt',
    );
    assert.deepEqual(
      r.map((x) => [x.method, x.path, x.query]),
      [
        ['GET', '/api/users/1', { x: '2' }],
        ['POST', '/api/users', undefined],
      ],
    );
    assert.throws(
      () => parseRequestList('GET /ok\nfetch it please\n', 'reqs.txt'),
      (e: unknown) => hasCode(e, 'PHX_ERR_REQUEST_LIST_INVALID') && /reqs\.txt:2/.test((e as Error).message),
    );
    assert.throws(() => parseRequestList('{"path":"no-slash"}', 'r.jsonl'), /"path" must start with "\/"/);
  });

  test('router samples become deduplicated recorded cases without credentials, in a valid case file', () => {
    const samples: SampleRecord[] = [
      {
        at: 1,
        method: 'GET',
        path: '/api/users/1',
        query: {},
        headers: { accept: 'application/json', 'x-api-key': 'k', 'user-agent': 'curl' },
        status: 200,
        route: '/api/users/*',
      },
      { at: 2, method: 'GET', path: '/api/users/1', query: {}, headers: {}, status: 200, route: '/api/users/*' },
      {
        at: 3,
        method: 'GET',
        path: '/api/users',
        query: { page: '2' },
        headers: {},
        status: 200,
        route: 'GET /api/users',
      },
      {
        at: 4,
        method: 'POST',
        path: '/api/users',
        query: {},
        headers: { 'content-type': 'application/json' },
        body: '{"name":"x"}',
        status: 400,
        route: '/api/users/*',
      },
    ];
    const cases = toCases(fromSamples(samples), new Set(['GET /api/users?page=2']));
    assert.deepEqual(
      cases.map((c) => c.name),
      ['GET /api/users/1', 'POST /api/users'],
    );
    assert.deepEqual(cases[0]!.request.headers, { accept: 'application/json' });
    assert.deepEqual(cases[1]!.request.body, { name: 'x' });
    assert.equal(cases[1]!.expect?.status, 400);
    const parsed = parseCaseFile(caseFileText('users', cases), 'recorded.yaml', 'users');
    assert.deepEqual(
      parsed.map((c) => [c.name, c.source]),
      [
        ['GET /api/users/1', 'recorded'],
        ['POST /api/users', 'recorded'],
      ],
    );
  });

  test('listed requests get their status from legacy', async () => {
    const server = await fakeUpstream((req, res) => {
      res.writeHead(req.url?.startsWith('/missing') ? 404 : 200, { 'content-type': 'application/json' });
      res.end('{}');
    });
    try {
      const base = server.url;
      const dir = await mkdtemp(path.join(os.tmpdir(), 'phx-rec-'));
      await writeFile(path.join(dir, 'reqs.txt'), 'GET /found\nGET /missing?id=3\n');
      const reqs = await withLegacyStatus(
        parseRequestList(await readFile(path.join(dir, 'reqs.txt'), 'utf8'), 'reqs.txt'),
        base,
      );
      assert.deepEqual(
        reqs.map((r) => r.status),
        [200, 404],
      );
    } finally {
      await server.close();
    }
  });
});
