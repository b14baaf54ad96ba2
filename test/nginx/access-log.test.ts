/**
 * nginx's JSON access-log lines (as the rendered `log_format` writes them) into the router's
 * figures and guard, and the tail that follows the file: appended, rotated, missing.
 */
import assert from 'node:assert/strict';
import { appendFile, mkdir, mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { hasCode } from '../../src/lib/errors.js';
import { parseLogLine } from '../../src/nginx/access-log.js';
import { NginxAgent } from '../../src/nginx/agent.js';
import { tailLog } from '../../src/nginx/log-tail.js';
import { guardSchema } from '../../src/plan/schema.js';
import { bucketOf } from '../../src/router/decide.js';
import type { GuardState } from '../../src/router/types.js';
import { waitFor } from '../helpers/wait.js';

let dir: string;
before(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'phx-access-log-'));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** A line as nginx writes it with the rendered `log_format` (times in seconds, per attempt). */
function line(o: {
  t: number;
  family?: string;
  backend: 'legacy' | 'new';
  status?: number;
  us: string;
  uh: string;
  ur?: string;
  method?: string;
}): string {
  return JSON.stringify({
    time: o.t / 1000,
    family: o.family ?? 'users',
    backend: o.backend,
    status: o.status ?? 200,
    request_time: 0.004,
    method: o.method ?? 'GET',
    upstream_status: o.us,
    upstream_header_time: o.uh,
    upstream_response_time: o.ur ?? o.uh,
  });
}

const guard = guardSchema.parse({ consecutiveFailures: 3, minRequests: 5, maxErrorRate: 0.5, timeout: 1000 });

describe('nginx access log', () => {
  it('parses a fallback line into its two attempts, new first', () => {
    const e = parseLogLine(
      line({ t: 1_700_000_000_123, backend: 'new', us: '502, 200', uh: '-, 0.003', ur: '0.001, 0.003' }),
    );
    assert.deepEqual(e?.attempts, [
      { status: 502, ms: 1, noAnswer: true },
      { status: 200, ms: 3 },
    ]);
    assert.equal(e?.time, 1_700_000_000_123);
    // The fallback is an error_page redirect: nginx separates the two attempts with " : ".
    const timedOut = parseLogLine(
      line({ t: 1, backend: 'new', us: '504 : 200', uh: '- : 0.003', ur: '0.300 : 0.003' }),
    );
    assert.deepEqual(timedOut?.attempts, [
      { status: 504, ms: 300, noAnswer: true },
      { status: 200, ms: 3 },
    ]);
    assert.equal(parseLogLine('{"time":1.5,'), undefined, 'a partial line');
    assert.equal(parseLogLine('127.0.0.1 - - [01/Dec/2026] "GET / HTTP/1.1" 200'), undefined, 'a foreign line');
  });

  it("reads a canary user's bucket, and reduces a sticky key that older lines logged to the router's bucket", () => {
    const at = (extra: Record<string, unknown>) =>
      parseLogLine(JSON.stringify({ ...JSON.parse(line({ t: 1, backend: 'new', us: '200', uh: '0.001' })), ...extra }));
    assert.equal(at({ user_bucket: '37.81' })?.bucket, 3781);
    assert.equal(at({ user_bucket: '0.5' })?.bucket, 5);
    assert.equal(at({ user_bucket: '' })?.bucket, undefined, 'not in canary');
    assert.equal(at({ user_bucket: '100.1' })?.bucket, undefined, 'not a bucket');
    assert.equal(at({ user: 'u7' })?.bucket, bucketOf('u7'));
    const agent = new NginxAgent([{ name: 'users', guard }], () => assert.fail('no trip'), 0);
    for (const b of ['1.2', '1.2', '3.4', '99.99'])
      agent.recordLine(
        JSON.stringify({ ...JSON.parse(line({ t: 10, backend: 'new', us: '200', uh: '0.001' })), user_bucket: b }),
      );
    assert.equal(agent.figures('users', 20).stats.canary.distinctUsers, 3);
  });

  it('counts requests, failures, latency and the share on new per backend, as the router reports them', () => {
    const agent = new NginxAgent([{ name: 'users', guard }], () => assert.fail('no trip'), 0);
    for (let i = 1; i <= 60; i++)
      agent.recordLine(line({ t: i * 10, backend: 'legacy', us: '200', uh: `0.0${i < 10 ? '0' : ''}${i}` }));
    for (let i = 0; i < 20; i++) agent.recordLine(line({ t: 700 + i * 10, backend: 'new', us: '200', uh: '0.002' }));
    // Legacy's own 5xx counts against legacy; a fallback counts new's failure and legacy's answer.
    agent.recordLine(line({ t: 1000, backend: 'legacy', status: 500, us: '500', uh: '0.001' }));
    agent.recordLine(line({ t: 1010, backend: 'new', us: '502, 200', uh: '-, 0.003', ur: '0.001, 0.003' }));
    agent.recordLine(line({ t: 1020, family: '', backend: 'legacy', us: '200', uh: '0.001' }));
    agent.recordLine(line({ t: 1030, family: 'other', backend: 'new', us: '500', uh: '0.001' }));
    const { stats, guard: g } = agent.figures('users', 2000);
    assert.equal(stats.backends.legacy.requests, 62);
    assert.equal(stats.backends.legacy.failures, 1);
    assert.equal(stats.backends.new.requests, 21);
    assert.equal(stats.backends.new.failures, 1);
    assert.equal(stats.fallbacks, 1);
    assert.ok(Math.abs((stats.backends.legacy.p50 ?? 0) - 30) <= 2, `legacy p50 ${stats.backends.legacy.p50}`);
    assert.ok(Math.abs((stats.backends.new.p95 ?? 0) - 2) <= 0.2, `new p95 ${stats.backends.new.p95}`);
    assert.equal(g.tripped, false);
    agent.resetFigures('users', 3000);
    assert.equal(agent.figures('users').stats.backends.legacy.requests, 0);
    // The /metrics counters, by status class (error, 2xx, 3xx, 4xx, 5xx) as the router's: new's
    // attempt with no response headers is `error`; they are not reset with the figures.
    const c = agent.counters('users');
    assert.deepEqual(c.requests.legacy, [0, 61, 0, 0, 1]);
    assert.deepEqual(c.requests.new, [1, 20, 0, 0, 0]);
    assert.equal(c.fallbacks, 1);
  });

  it('leaves out of a reset window a request taken on before the reset', () => {
    const agent = new NginxAgent([{ name: 'users', guard }], () => assert.fail('no trip'), 0);
    agent.resetFigures('users', 3000);
    // Logged when it ended: 4 ms of request_time put its start at 2998.
    agent.recordLine(line({ t: 3002, backend: 'new', us: '200', uh: '0.003' }));
    agent.recordLine(line({ t: 3010, backend: 'new', us: '200', uh: '0.003' }));
    agent.recordLine(line({ t: 3003, backend: 'legacy', us: '200', uh: '0.003' }));
    const { backends } = agent.figures('users', 4000).stats;
    assert.deepEqual([backends.new.requests, backends.legacy.requests], [1, 0]);
    assert.deepEqual(agent.counters('users').requests.new, [0, 2, 0, 0, 0], 'the /metrics counters take every request');
  });

  it('trips on consecutive failures of new, timing the trip from the first failing answer in the log', () => {
    const trips: GuardState[] = [];
    const agent = new NginxAgent([{ name: 'users', guard }], (_f, g) => trips.push(g), 0);
    agent.recordLine(line({ t: 100, backend: 'new', us: '200', uh: '0.002' }));
    agent.recordLine(line({ t: 200, backend: 'new', status: 500, us: '500', uh: '0.002' }));
    agent.recordLine(line({ t: 230, backend: 'new', us: '200', uh: '1.500' })); // slower than guard.timeout
    assert.equal(trips.length, 0);
    agent.recordLine(line({ t: 260, backend: 'new', us: '502, 200', uh: '-, 0.002' }));
    assert.equal(trips.length, 1);
    assert.equal(trips[0]?.trippedAt, 260);
    assert.equal(trips[0]?.tripMs, 60);
    assert.match(trips[0]?.reason ?? '', /3 consecutive failures/);
    assert.equal(agent.isTripped('users'), true);
    agent.recordLine(line({ t: 270, backend: 'new', us: '500', uh: '0.002' }));
    assert.equal(trips.length, 1, 'a tripped guard does not trip again');
    assert.equal(agent.clear('users').tripped, false);
    assert.deepEqual(agent.trips(), []);
  });

  it('follows an appended file from its end, across a rotation', async () => {
    const file = path.join(dir, 'follow.log');
    await writeFile(file, `${line({ t: 1, backend: 'legacy', us: '200', uh: '0.001' })}\n`);
    const seen: string[] = [];
    const tail = await tailLog(file, { onLine: (l) => seen.push(l), pollMs: 50 });
    try {
      await appendFile(file, 'one\ntw');
      await waitFor('the first line', () => seen.length === 1);
      await appendFile(file, 'o\n');
      await waitFor('the second line, whole', () => seen.length === 2);
      assert.deepEqual(seen, ['one', 'two'], 'lines before the start are not read; a partial line waits for its end');
      await appendFile(file, 'three\n');
      // logrotate: rename, create an empty file; nginx writes to the old one until it reopens.
      await rename(file, `${file}.1`);
      await writeFile(file, '');
      await appendFile(`${file}.1`, 'three-b\n');
      await waitFor('the old file read to its end', () => seen.length === 4);
      await appendFile(file, 'four\n');
      await waitFor('the rotated-in file', () => seen.length === 5);
      assert.deepEqual(seen, ['one', 'two', 'three', 'three-b', 'four']);
    } finally {
      await tail.close();
    }
  });

  it('names the file and the cause when the log is missing or not a file', async () => {
    const missing = path.join(dir, 'nope', 'access.log');
    await assert.rejects(tailLog(missing, { onLine: () => undefined }), (err) => {
      assert.ok(hasCode(err, 'PHX_ERR_NGINX_ACCESS_LOG'), String(err));
      assert.match((err as Error).message, /dataPlane\.accessLog ".*nope\/access\.log"\): it does not exist/);
      return true;
    });
    const folder = path.join(dir, 'a-dir');
    await mkdir(folder);
    await assert.rejects(tailLog(folder, { onLine: () => undefined }), (err) => {
      assert.ok(hasCode(err, 'PHX_ERR_NGINX_ACCESS_LOG'), String(err));
      assert.match((err as Error).message, /not a regular file/);
      return true;
    });
  });
});
