/**
 * A private nginx for tests: a temp prefix, a main config that includes Phoenix's file, started
 * in the foreground (master + one worker) and stopped in `after`. Plus small upstreams that say
 * who answered.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdirSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { nginxVersion, readServedState } from '../../src/nginx/apply.js';
import type { PlanInput } from '../../src/plan/index.js';
import { Pool } from 'undici';
import { fakeUpstream, sendJson } from '../helpers/fake-upstream.js';
import { freePort } from '../helpers/ports.js';
import { waitFor } from '../helpers/wait.js';

/** The plan's `dataPlane` for nginx, as written in a plan. */
export type NginxDataPlaneInput = Extract<NonNullable<PlanInput['dataPlane']>, { kind: 'nginx' }>;

export interface TestNginx {
  dir: string;
  mainConfig: string;
  includeFile: string;
  /** Where the rendered server takes clients (a free port). */
  listenUrl: string;
  /** Where nginx answers `GET /__phoenix/state` (a free port). */
  controlListen: string;
  /** The plan's `dataPlane` for this nginx (access log in its prefix), with `extra` fields such as `comparatorUrl`. */
  dataPlane(extra?: Partial<NginxDataPlaneInput>): NginxDataPlaneInput;
  /** Starts nginx (the include file must be in place) and waits for its control server. */
  start(controlListen?: string): Promise<void>;
  stop(): Promise<void>;
}

/** A temp prefix with a main config that includes Phoenix's file; nginx is not started yet. */
export async function prepareNginx(): Promise<TestNginx> {
  // Fails with PHX_ERR_NGINX_MISSING (naming the package) on a machine without nginx.
  await nginxVersion('nginx');
  const dir = await mkdtemp(path.join(os.tmpdir(), 'phx-nginx-test-'));
  for (const d of ['logs', 'tmp']) mkdirSync(path.join(dir, d));
  // Workers drop to "nobody" when nginx runs as root; they must be able to use the temp dirs.
  chmodSync(dir, 0o777);
  chmodSync(path.join(dir, 'tmp'), 0o777);
  const mainConfig = path.join(dir, 'nginx.conf');
  const includeFile = path.join(dir, 'phoenix.conf');
  await writeFile(
    mainConfig,
    `daemon off;
master_process on;
worker_processes 1;
pid ${dir}/nginx.pid;
error_log ${dir}/logs/error.log warn;
events { worker_connections 1024; }
http {
  access_log off;
  client_body_temp_path ${dir}/tmp/body;
  proxy_temp_path ${dir}/tmp/proxy;
  fastcgi_temp_path ${dir}/tmp/fastcgi;
  uwsgi_temp_path ${dir}/tmp/uwsgi;
  scgi_temp_path ${dir}/tmp/scgi;
  include ${includeFile};
}
`,
  );
  let child: ChildProcess | undefined;
  let exited: Promise<void> = Promise.resolve();
  const listen = `127.0.0.1:${await freePort()}`;
  const control = `127.0.0.1:${await freePort()}`;
  return {
    dir,
    mainConfig,
    listenUrl: `http://${listen}`,
    controlListen: control,
    dataPlane: (extra = {}) => ({
      kind: 'nginx',
      includeFile,
      mainConfig,
      prefix: dir,
      listen,
      controlListen: control,
      accessLog: path.join(dir, 'logs', 'phoenix.json.log'),
      ...extra,
    }),
    includeFile,
    start: async (controlListen = control) => {
      const c = spawn('nginx', ['-p', dir, '-c', mainConfig, '-e', path.join(dir, 'logs/error.log')], {
        stdio: ['ignore', 'ignore', 'pipe'],
      });
      child = c;
      let stderr = '';
      c.stderr?.on('data', (b: Buffer) => (stderr += b.toString()));
      exited = new Promise<void>((r) => c.once('exit', () => r()));
      c.once('error', (err) => (stderr += String(err)));
      await waitFor('nginx to serve its control server', async () => {
        if (c.exitCode !== null) throw new Error(`nginx exited: ${stderr}`);
        return (await readServedState(controlListen)) !== undefined;
      });
    },
    stop: async () => {
      if (child && child.exitCode === null) {
        child.kill('SIGQUIT');
        await exited;
      }
      await rm(dir, { recursive: true, force: true });
    },
  };
}

export interface Upstream {
  url: string;
  /** Requests seen: method, url and selected headers. */
  seen: { method: string; url: string; family?: string; requestId?: string }[];
  close(): Promise<void>;
}

/** An HTTP server answering `{"side": <name>}` to everything (reading the body first). */
export async function startUpstream(name: string): Promise<Upstream> {
  const seen: Upstream['seen'] = [];
  const upstream = await fakeUpstream((req, res) => {
    seen.push({
      method: req.method ?? '',
      url: req.url ?? '',
      family: req.headers['x-phoenix-family'] as string | undefined,
      requestId: req.headers['x-request-id'] as string | undefined,
    });
    req.resume();
    req.on('end', () => sendJson(res, 200, { side: name }));
  });
  upstream.server.keepAliveTimeout = 60_000;
  return { url: upstream.url, seen, close: upstream.close };
}

/**
 * Which side answered each of `users` users' requests through the nginx at `listenUrl` (the
 * example apps' `meta.request_id` is `<side>-<n>`), one request per user with `X-User: u<i>`.
 */
export async function answeredBy(listenUrl: string, users: number): Promise<Set<string>> {
  const client = new Pool(listenUrl, { connections: 4 });
  const sides = new Set<string>();
  try {
    for (let i = 0; i < users; i++) {
      const res = await client.request({ path: `/api/users/${i + 1}`, method: 'GET', headers: { 'x-user': `u${i}` } });
      const answer = (await res.body.json()) as { meta?: { request_id?: string } };
      if (res.statusCode !== 200) throw new Error(`user u${i} got status ${res.statusCode} through ${listenUrl}`);
      sides.add(answer.meta?.request_id?.split('-')[0] ?? 'none');
    }
  } finally {
    await client.close();
  }
  return sides;
}
