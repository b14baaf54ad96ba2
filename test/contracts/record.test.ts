import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseCaseFile } from '../../src/contracts/cases.js';
import {
  caseFileText,
  fromSamples,
  parseRequestList,
  replayOnBoth,
  toCases,
  withLegacyStatus,
} from '../../src/contracts/record.js';
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
    assert.throws(
      () => parseRequestList('{"path":"no-slash"}', 'r.jsonl'),
      /r\.jsonl:1: "path": expected a path starting with "\/"/,
    );
  });

  test('a body with an id past 2^53 is recorded and kept digit for digit', () => {
    const [r] = parseRequestList(
      '{"method":"POST","path":"/api/orders/7/track","body":{"tracking_no":9007199254740997,"n":1.5}}',
      'reqs.jsonl',
    );
    assert.equal(r?.body, '{"tracking_no":9007199254740997,"n":1.5}');
    // The case keeps it as text, sent as it came: a case file's numbers would be read as doubles.
    const [c] = toCases([{ ...r, status: 200 }]);
    assert.equal(c?.request.body, '{"tracking_no":9007199254740997,"n":1.5}');
  });

  test('a JSON line may carry its body as JSON and numbers in its query; a wrong type is named, not sent', () => {
    const [created, typed] = parseRequestList(
      [
        '{"method":"POST","path":"/api/appointments","query":{"notify":true,"n":2},"body":{"pet_id":6,"vet_id":2}}',
        '{"method":"PUT","path":"/api/pets/1","headers":{"Content-Type":"application/merge-patch+json"},"body":[1]}',
      ].join('\n'),
      'reqs.jsonl',
    );
    assert.deepEqual(created, {
      method: 'POST',
      path: '/api/appointments',
      query: { notify: 'true', n: '2' },
      headers: { 'content-type': 'application/json' },
      body: '{"pet_id":6,"vet_id":2}',
    });
    assert.deepEqual(typed?.headers, { 'Content-Type': 'application/merge-patch+json' });
    assert.equal(typed?.body, '[1]');
    for (const [line, said] of [
      ['{"path":"/a","headers":{"x-n":1}}', /reqs\.jsonl:1: "headers\.x-n": expected a header value as a string/],
      ['{"path":"/a","method":"GET /a"}', /reqs\.jsonl:1: "method": expected an HTTP method/],
      ['{"path":"/a","bdy":"x"}', /reqs\.jsonl:1: unknown key "bdy"/],
      ['{"method":"GET"}', /reqs\.jsonl:1: "path": expected a path starting with "\/"/],
    ] as const)
      assert.throws(
        () => parseRequestList(line, 'reqs.jsonl'),
        (e: unknown) => hasCode(e, 'PHX_ERR_REQUEST_LIST_INVALID') && said.test((e as Error).message),
        line,
      );
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

  test('a safe request is recorded by where its same-origin redirects end; a write and a redirect elsewhere by their 3xx', async () => {
    const server = await fakeUpstream((req, res) => {
      if (req.url === '/api/vets/') res.writeHead(308, { location: '/api/vets' });
      else if (req.url === '/old') res.writeHead(301, { location: 'https://elsewhere.example/new' });
      else if (req.method === 'POST') res.writeHead(303, { location: '/api/vets' });
      else res.writeHead(200, { 'content-type': 'application/json' });
      res.end(req.method === 'GET' && req.url === '/api/vets' ? '[]' : '');
    });
    try {
      const listed = parseRequestList('GET /api/vets/\nGET /old\nPOST /api/vets\n', 'reqs.txt');
      const replayed = await replayOnBoth(listed, server.url, server.url);
      assert.deepEqual(
        replayed.map((r) => [r.status, r.newStatus]),
        [
          [200, 200],
          [301, 301],
          [303, 303],
        ],
      );
      const sampled = fromSamples(
        ['/api/vets/', '/old'].map(
          (p) => ({ method: 'GET', path: p, headers: {}, status: p === '/old' ? 301 : 308 }) as SampleRecord,
        ),
      );
      assert.deepEqual(
        sampled.map((r) => r.status),
        [undefined, undefined],
        'a sampled redirect of a safe request is asked again',
      );
      assert.deepEqual(
        (await withLegacyStatus(sampled, server.url)).map((r) => r.status),
        [200, 301],
      );
    } finally {
      await server.close();
    }
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
