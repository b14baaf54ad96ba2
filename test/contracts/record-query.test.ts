/**
 * Query strings in request lists (`contracts record --from-requests`, `comparator --from-requests`)
 * and in case files: a JSON line's path may carry its query, a repeated parameter keeps every
 * value in order, and the values reach the upstreams as they were captured. Real files, real
 * servers on free ports, the CLI as a child process.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, mkdir, readFile, writeFile } from 'node:fs/promises';
import type http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { parseCaseFile, requestTarget } from '../../src/contracts/cases.js';
import { caseFileText, parseRequestList, replayOnBoth, toCases } from '../../src/contracts/record.js';
import { hasCode } from '../../src/lib/errors.js';
import { fakeUpstream, type FakeUpstream } from '../helpers/fake-upstream.js';
import { PHOENIX_BIN, type CliRun } from '../helpers/phoenix-cli.js';
import { testPlan, writePlanFile } from '../helpers/plan-builder.js';

let dir: string;
let planFile: string;
let legacy: FakeUpstream;
let candidate: FakeUpstream;
/** Request targets each upstream received, as sent. */
const seen = { legacy: [] as string[], new: [] as string[] };

/** Answers with the query as the app reads it, so both sides agree whenever they got the same request. */
function echo(into: string[]): http.RequestListener {
  return (req, res) => {
    into.push(req.url ?? '');
    const url = new URL(req.url ?? '/', 'http://x');
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify([...url.searchParams]));
  };
}

/** `phoenix …args` as a child process; none of these commands needs Temporal. */
function phoenix(...args: string[]): Promise<CliRun> {
  return new Promise((resolve) => {
    execFile(process.execPath, [PHOENIX_BIN, ...args], { timeout: 60_000, cwd: dir }, (err, stdout, stderr) =>
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

before(async () => {
  legacy = await fakeUpstream(echo(seen.legacy));
  candidate = await fakeUpstream(echo(seen.new));
  dir = await mkdtemp(path.join(os.tmpdir(), 'phx-record-query-'));
  await mkdir(path.join(dir, 'cases'));
  planFile = path.join(dir, 'plan.yaml');
  await writePlanFile(
    planFile,
    testPlan({
      name: 'record-query',
      legacy: legacy.url,
      families: [
        {
          name: 'books',
          routes: ['GET /api/shipping/eta', 'GET /api/books'],
          new: candidate.url,
          contracts: ['cases/*.yaml'],
        },
      ],
    }),
  );
});

after(async () => {
  await legacy?.close();
  await candidate?.close();
});

describe('query strings in request lists and cases', () => {
  test('a JSON line whose path carries a query string is split into path and query, as a plain line is', () => {
    const [json, plain, both] = parseRequestList(
      [
        '{"method":"GET","path":"/api/shipping/eta?zone=intl&weight=2"}',
        'GET /api/shipping/eta?zone=intl&weight=2',
        '{"path":"/api/books?tag=fiction","query":{"tag":"prize","page":2}}',
      ].join('\n'),
      'reqs.jsonl',
    );
    assert.deepEqual(json, { method: 'GET', path: '/api/shipping/eta', query: { zone: 'intl', weight: '2' } });
    assert.deepEqual(plain, json);
    assert.deepEqual(both, {
      method: 'GET',
      path: '/api/books',
      query: { tag: ['fiction', 'prize'], page: '2' },
    });
  });

  test('a repeated parameter keeps every value in order in both list formats, and is a case of its own', () => {
    const listed = parseRequestList(
      [
        'GET /api/books?tag=fiction&tag=prize',
        '{"path":"/api/books?tag=fiction&tag=prize"}',
        '{"path":"/api/books","query":{"tag":["fiction","prize"]}}',
        'GET /api/books?tag=fiction,prize',
      ].join('\n'),
      'reqs.txt',
    );
    assert.deepEqual(
      listed.map((r) => r.query),
      [
        { tag: ['fiction', 'prize'] },
        { tag: ['fiction', 'prize'] },
        { tag: ['fiction', 'prize'] },
        { tag: 'fiction,prize' },
      ],
    );
    const cases = parseCaseFile(caseFileText('books', toCases(listed)), 'recorded.yaml', 'books');
    assert.deepEqual(
      cases.map((c) => [c.name, c.request.query, requestTarget(c)]),
      [
        ['GET /api/books?tag=fiction&tag=prize', { tag: ['fiction', 'prize'] }, '/api/books?tag=fiction&tag=prize'],
        ['GET /api/books?tag=fiction%2Cprize', { tag: 'fiction,prize' }, '/api/books?tag=fiction%2Cprize'],
      ],
    );
  });

  test('a case query may list values for a parameter; an empty list or an object is refused, naming the field', () => {
    const [listed] = parseCaseFile(
      'cases:\n  - name: tagged\n    request: { path: /api/books, query: { tag: [fiction, 2, true], page: 1 } }\n',
      'hand.yaml',
    );
    assert.equal(requestTarget(listed!), '/api/books?tag=fiction&tag=2&tag=true&page=1');
    for (const [value, said] of [
      ['[]', /hand\.yaml:\d+ cases\[0\]\.request\.query\.tag \(case "x"\): expected at least one value/],
      ['{ a: 1 }', /cases\[0\]\.request\.query\.tag \(case "x"\): expected a string, number or boolean, or a list/],
      ['[[a]]', /cases\[0\]\.request\.query\.tag \(case "x"\): expected a string, number or boolean, or a list/],
    ] as const)
      assert.throws(
        () => parseCaseFile(`cases:\n  - name: x\n    request: { path: /a, query: { tag: ${value} } }\n`, 'hand.yaml'),
        (e: unknown) => hasCode(e, 'PHX_ERR_CASE_FILE_INVALID') && said.test((e as Error).message),
        value,
      );
    assert.throws(
      () => parseRequestList('{"path":"/a","query":{"tag":[]}}', 'reqs.jsonl'),
      (e: unknown) =>
        hasCode(e, 'PHX_ERR_REQUEST_LIST_INVALID') &&
        /reqs\.jsonl:1: "query\.tag": expected at least one value/.test((e as Error).message),
    );
  });

  test('captured values reach both upstreams as captured: decoded once, a "+" a space, an encoded "+" still a plus', async () => {
    seen.legacy.length = 0;
    seen.new.length = 0;
    const listed = parseRequestList('GET /api/books?q=a%2Bb&q=a+b&q=caf%C3%A9&title=%26more\n', 'reqs.txt');
    assert.deepEqual(listed[0]!.query, { q: ['a+b', 'a b', 'café'], title: '&more' });
    const [replayed] = await replayOnBoth(listed, legacy.url, candidate.url);
    assert.deepEqual([replayed!.status, replayed!.newStatus], [200, 200]);
    const sent = '/api/books?q=a%2Bb&q=a+b&q=caf%C3%A9&title=%26more';
    assert.deepEqual(seen, { legacy: [sent], new: [sent] });
  });

  test('contracts record keeps the query of a JSON line and repeated parameters, and the recorded cases send them again', async () => {
    const list = path.join(dir, 'requests.jsonl');
    await writeFile(
      list,
      [
        '{"method":"GET","path":"/api/shipping/eta?zone=intl&weight=2"}',
        'GET /api/books?tag=fiction&tag=prize',
        '{"path":"/api/books","query":{"tag":["prize","fiction"]}}',
      ].join('\n'),
    );
    const out = path.join(dir, 'cases', 'recorded.yaml');
    seen.legacy.length = 0;
    seen.new.length = 0;
    const recorded = await phoenix(
      'contracts',
      'record',
      '--plan',
      planFile,
      '--family',
      'books',
      '--from-requests',
      list,
      '--out',
      out,
    );
    assert.equal(recorded.code, 0, recorded.stdout + recorded.stderr);
    assert.doesNotMatch(recorded.stdout, /skipped/);
    const targets = [
      '/api/shipping/eta?zone=intl&weight=2',
      '/api/books?tag=fiction&tag=prize',
      '/api/books?tag=prize&tag=fiction',
    ];
    assert.deepEqual(seen, { legacy: targets, new: targets });
    const cases = parseCaseFile(await readFile(out, 'utf8'), out, 'books');
    assert.deepEqual(
      cases.map((c) => [c.request.path, c.request.query]),
      [
        ['/api/shipping/eta', { zone: 'intl', weight: '2' }],
        ['/api/books', { tag: ['fiction', 'prize'] }],
        ['/api/books', { tag: ['prize', 'fiction'] }],
      ],
    );

    seen.legacy.length = 0;
    const ran = await phoenix('contracts', 'run', '--plan', planFile, '--family', 'books');
    assert.equal(ran.code, 0, ran.stdout + ran.stderr);
    // The run asks legacy again to learn noise and latency: every request it sent is one recorded.
    assert.deepEqual([...new Set(seen.legacy)].sort(), [...targets].sort());
  });

  test('comparator --from-requests sends a repeated parameter with every value, in order', async () => {
    const list = path.join(dir, 'compare.txt');
    await writeFile(list, 'GET /api/books?tag=fiction&tag=prize\n{"path":"/api/shipping/eta?zone=intl"}\n');
    seen.legacy.length = 0;
    seen.new.length = 0;
    const r = await phoenix(
      'comparator',
      'books',
      '--plan',
      planFile,
      '--from-requests',
      list,
      '--no-resample',
      '--json',
    );
    assert.equal(r.code, 0, r.stdout + r.stderr);
    const targets = ['/api/books?tag=fiction&tag=prize', '/api/shipping/eta?zone=intl'];
    assert.deepEqual(
      (JSON.parse(r.stdout) as { results: { target: string }[] }).results.map((x) => x.target),
      targets,
    );
    assert.deepEqual(seen, { legacy: targets, new: targets });
  });
});
