/**
 * `router.clientKeepAlive`: how long the router keeps an idle client connection, which must
 * outlast a load balancer's idle timeout. A real router, real upstreams and raw client sockets.
 */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { mkdtemp } from 'node:fs/promises';
import { request } from 'undici';
import { hasCode } from '../../src/lib/errors.js';
import type { Plan } from '../../src/plan/index.js';
import type { RunningRouter } from '../../src/router/server.js';
import { writePlanFile } from '../helpers/plan-builder.js';
import { closeAll, echoRouter, type EchoRouter } from './support.js';

const started: EchoRouter[] = [];
after(async () => {
  for (const e of started) await closeAll(e.admin, e.r, e.legacy, e.candidate);
});

async function startWith(settings: Partial<Plan['router']> = {}): Promise<RunningRouter> {
  const e = await echoRouter(settings);
  started.push(e);
  return e.r;
}

describe('idle client connections', () => {
  test('are kept 75 s by default, as the answers tell the client', async () => {
    const r = await startWith();
    const res = await request(`${r.url}/api/users/1`);
    await res.body.dump();
    assert.equal(res.statusCode, 200);
    assert.equal(res.headers['keep-alive'], 'timeout=75');
  });

  test('are closed once idle for router.clientKeepAlive, and not before', async () => {
    const r = await startWith({ clientKeepAlive: 1500 });
    const socket = net.connect(Number(new URL(r.url).port), '127.0.0.1');
    const closed = new Promise<number>((resolve) => socket.once('close', () => resolve(Date.now())));
    let text = '';
    const answered = new Promise<number>((resolve) =>
      socket.on('data', (b: Buffer) => {
        text += b.toString();
        if (text.includes('"from":"legacy"')) resolve(Date.now());
      }),
    );
    socket.write('GET /api/users/1 HTTP/1.1\r\nHost: router\r\n\r\n');
    const idleFrom = await answered;
    assert.match(text, /keep-alive: timeout=1\r\n/i);
    const idle = (await closed) - idleFrom;
    assert.ok(idle >= 1400 && idle < 6000, `closed after ${idle} ms idle`);
  });

  test('refuses a keep-alive under 1 s in the plan, naming the field', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'phx-keep-alive-'));
    await assert.rejects(
      writePlanFile(path.join(dir, 'plan.yaml'), {
        version: 1,
        name: 'keep-alive',
        legacy: 'http://127.0.0.1:1',
        approvers: ['alice'],
        router: { clientKeepAlive: '10ms' },
        families: [{ name: 'users', routes: ['/api/users/*'], new: 'http://127.0.0.1:2' }],
      }),
      (err: unknown) => {
        assert.ok(hasCode(err, 'PHX_ERR_PLAN_INVALID'), String(err));
        assert.match((err as Error).message, /router\.clientKeepAlive.*at least 1s/);
        return true;
      },
    );
  });
});
