/**
 * Links each service builds from the `Host` it was sent: legacy's naming its own address and new's
 * naming its own are the same link; any other change to a link still counts.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { compareResponses, compileRules, type HttpSnapshot, type OwnHosts } from '../../src/parity/index.js';

const rules = compileRules({});
const hosts: OwnHosts = { legacy: '127.0.0.1:5400', candidate: '127.0.0.1:8400' };
const answer = (body: unknown, headers: Record<string, string> = {}): HttpSnapshot => ({
  status: 200,
  headers: { 'content-type': 'application/json', ...headers },
  body: Buffer.from(JSON.stringify(body)),
});
const page = (origin: string, next: number) => ({
  items: [1, 2],
  next: `${origin}/api/pets?page=${next}`,
  self: `${origin}/api/pets/1`,
  note: `see ${origin}/docs for more`,
});
const paths = (legacy: HttpSnapshot, candidate: HttpSnapshot, ownHosts?: OwnHosts): string[] =>
  compareResponses(legacy, candidate, rules, undefined, ownHosts === undefined ? {} : { ownHosts }).differences.map(
    (d) => d.path,
  );

describe('links each side builds from its own host', () => {
  test('name the same page when each names its own origin, in http, https and scheme-relative form', () => {
    for (const [l, c] of [
      ['http://127.0.0.1:5400', 'http://127.0.0.1:8400'],
      ['http://127.0.0.1:5400', 'https://127.0.0.1:8400'],
      ['//127.0.0.1:5400', '//127.0.0.1:8400'],
    ] as const)
      assert.deepEqual(paths(answer(page(l, 2)), answer(page(c, 2)), hosts), [], `${l} / ${c}`);
    // Without the hosts, every link differs.
    assert.deepEqual(paths(answer(page('http://127.0.0.1:5400', 2)), answer(page('http://127.0.0.1:8400', 2))), [
      '$.next',
      '$.self',
      '$.note',
    ]);
  });

  test('a page off by one, a hard-coded host or a longer port still differs', () => {
    assert.deepEqual(paths(answer(page('http://127.0.0.1:5400', 2)), answer(page('http://127.0.0.1:8400', 3)), hosts), [
      '$.next',
    ]);
    assert.deepEqual(paths(answer(page('http://127.0.0.1:5400', 2)), answer(page('http://localhost:8000', 2)), hosts), [
      '$.next',
      '$.self',
      '$.note',
    ]);
    assert.deepEqual(
      paths(answer({ self: 'http://127.0.0.1:5400/a' }), answer({ self: 'http://127.0.0.1:84000/a' }), hosts),
      ['$.self'],
    );
  });

  test('count in text bodies and in compared headers too', () => {
    const html = (origin: string): HttpSnapshot => ({
      status: 200,
      headers: { 'content-type': 'text/html', location: `${origin}/api/pets/9` },
      body: Buffer.from(`<a href="${origin}/api/pets?page=2">next</a>`),
    });
    const withLocation = compileRules({ headers: ['content-type', 'location'] });
    const r = (ownHosts?: OwnHosts) =>
      compareResponses(html('http://127.0.0.1:5400'), html('http://127.0.0.1:8400'), withLocation, undefined, {
        ...(ownHosts ? { ownHosts } : {}),
      }).differences.map((d) => d.path);
    // Without the hosts, the link (the value of the `a` element's `href`) differs.
    assert.deepEqual(r(), ['header:location', '$body.a["@href"].v1']);
    assert.deepEqual(r(hosts), []);
  });

  test('a location one side writes as a path and the other as a URL at its own origin sends the client to the same place; another path or host does not', () => {
    const withLocation = compileRules({ headers: ['content-type', 'location'] });
    const moved = (location: string): HttpSnapshot => ({ status: 201, headers: { location }, body: Buffer.from('') });
    const r = (l: string, c: string) =>
      compareResponses(moved(l), moved(c), withLocation, undefined, { ownHosts: hosts }).differences.map((d) => [
        d.path,
        d.candidate,
      ]);
    assert.deepEqual(r('/api/pets/9', 'http://127.0.0.1:8400/api/pets/9'), []);
    assert.deepEqual(r('http://127.0.0.1:5400/api/pets/9?x=1', '/api/pets/9?x=1'), []);
    assert.deepEqual(r('/', 'http://127.0.0.1:8400'), []);
    assert.deepEqual(r('/api/pets/9', 'http://127.0.0.1:8400/api/pets/10'), [
      ['header:location', 'http://127.0.0.1:8400/api/pets/10'],
    ]);
    // Legacy's origin written by new, or any other host, is not new's own.
    assert.deepEqual(r('/api/pets/9', 'http://127.0.0.1:5400/api/pets/9'), [
      ['header:location', 'http://127.0.0.1:5400/api/pets/9'],
    ]);
    assert.deepEqual(r('/api/pets/9', 'https://pets.example/api/pets/9'), [
      ['header:location', 'https://pets.example/api/pets/9'],
    ]);
  });
});
