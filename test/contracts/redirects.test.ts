/**
 * The contract runner follows same-origin redirects for safe requests as a client would: the
 * final answers are compared, a differing chain is an informational `redirect` difference (a
 * failure when `diff.blocking` lists it, or when a redirect is made temporary or permanent), and
 * a case expecting a 3xx gets the redirect itself.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, mkdir, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { FamilyPlan, FamilyPlanInput } from '../../src/plan/index.js';
import { runContractSuite } from '../../src/contracts/runner.js';
import { fakeUpstream, type FakeUpstream } from '../helpers/fake-upstream.js';
import { testPlan, writePlanFile } from '../helpers/plan-builder.js';

/** `diff.blocking` as a plan writes it. */
type Blocking = NonNullable<NonNullable<FamilyPlanInput['diff']>['blocking']>;

type Handler = (method: string, url: string) => { status: number; location?: string; body?: unknown };

function serve(h: Handler): Promise<FakeUpstream> {
  return fakeUpstream((req, res) => {
    const r = h(req.method ?? 'GET', req.url ?? '/');
    res.writeHead(r.status, {
      'content-type': 'application/json',
      ...(r.location ? { location: r.location } : {}),
    });
    res.end(JSON.stringify(r.body ?? {}));
  });
}

let legacy: Awaited<ReturnType<typeof serve>>;
let candidate: Awaited<ReturnType<typeof serve>>;

const CASES = `cases:
  - name: followed
    request: { path: /zones }
    expect: { status: 200 }
  - name: the redirect itself
    request: { path: /zones }
    expect: { status: 308 }
  - name: see other
    request: { path: /jobs/1 }
    expect: { status: 200 }
  - name: short link
    request: { path: /t/1 }
    expect: { status: 200 }
`;

async function family(blocking: Blocking): Promise<FamilyPlan> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'phx-redirects-'));
  await mkdir(path.join(dir, 'cases'));
  await writeFile(path.join(dir, 'cases', 'z.yaml'), CASES);
  const plan = await writePlanFile(
    path.join(dir, 'plan.yaml'),
    testPlan({
      name: 'redirects',
      legacy: legacy.url,
      families: [
        {
          name: 'zones',
          routes: ['GET /zones', 'GET /jobs/:id', 'GET /jobs/:id/result', 'GET /t/:id', 'GET /tools/:id'],
          new: candidate.url,
          contracts: ['cases/*.yaml'],
          diff: { blocking },
        },
      ],
    }),
  );
  return plan.families[0]!;
}

before(async () => {
  // legacy: /zones 308 → /zones/ (answers); new answers /zones directly. Both: /jobs/1 303 → result.
  // /t/1 → /tools/1: permanent (301) on legacy, temporary (307) on new.
  legacy = await serve((_m, url) =>
    url === '/t/1'
      ? { status: 301, location: '/tools/1' }
      : url === '/zones'
        ? { status: 308, location: '/zones/' }
        : url === '/zones/'
          ? { status: 200, body: { zones: [1, 2] } }
          : url === '/jobs/1'
            ? { status: 303, location: '/jobs/1/result' }
            : { status: 200, body: { done: true } },
  );
  candidate = await serve((_m, url) =>
    url === '/t/1'
      ? { status: 307, location: '/tools/1' }
      : url === '/zones'
        ? { status: 200, body: { zones: [1, 2] } }
        : url === '/jobs/1'
          ? { status: 303, location: `${candidate.url}/jobs/1/result` }
          : { status: 200, body: { done: true } },
  );
});
after(async () => {
  await legacy?.close();
  await candidate?.close();
});

describe('contract runner and redirects', () => {
  test('final answers are compared and a differing chain is informational', async () => {
    const r = await runContractSuite({
      family: await family([]),
      mode: 'parity',
      noiseGapMs: 10,
      latencyRepetitions: 0,
    });
    const [followed, itself, seeOther] = r.cases;
    assert.equal(followed!.passed, true, JSON.stringify(followed!.failures));
    assert.deepEqual(followed!.status, { legacy: 200, new: 200 });
    assert.deepEqual(followed!.informational, [
      { path: '$redirect', kind: 'redirect', legacy: ['308 /zones/'], candidate: [] },
    ]);
    // Expecting a 3xx: not followed; new answering 200 directly is a status failure.
    assert.deepEqual(itself!.status, { legacy: 308, new: 200 });
    assert.deepEqual(
      itself!.failures.map((f) => f.kind),
      ['status', 'parity'],
    );
    // 303 → GET on both, an absolute same-origin Location on new: same chain, equal answers.
    assert.equal(seeOther!.passed, true, JSON.stringify(seeOther!.failures));
    assert.deepEqual(seeOther!.informational, []);
  });

  test('a redirect made temporary (301 → 307) to the same page fails the case without diff.blocking; a slash redirect does not', async () => {
    const r = await runContractSuite({
      family: await family([]),
      mode: 'parity',
      noiseGapMs: 10,
      latencyRepetitions: 0,
    });
    const shortLink = r.cases[3]!;
    assert.equal(shortLink.passed, false);
    assert.deepEqual(shortLink.failures[0]!.differences, [
      { path: '$redirect', kind: 'redirect', legacy: ['301 /tools/1'], candidate: ['307 /tools/1'] },
    ]);
    assert.equal(r.cases[0]!.passed, true);
  });

  test('a differing chain fails the case when diff.blocking lists redirect', async () => {
    const r = await runContractSuite({
      family: await family(['redirect']),
      mode: 'parity',
      noiseGapMs: 10,
      latencyRepetitions: 0,
    });
    const followed = r.cases[0]!;
    assert.equal(followed.passed, false);
    assert.equal(followed.failures[0]!.kind, 'parity');
    assert.equal(followed.failures[0]!.differences?.[0]?.kind, 'redirect');
  });
});
