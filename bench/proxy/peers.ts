/**
 * Starting and stopping the benchmark's processes: Node peers (origin, lean undici, fastify,
 * phoenix) and nginx, each pinned with taskset, each its own process.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));

/** A running peer. */
export interface Peer {
  name: string;
  pid: number;
  port: number;
  /** Extra fields a peer reported on its READY line (phoenix: adminUrl). */
  info: Record<string, unknown>;
  stop(): Promise<void>;
}

const live = new Set<ChildProcess>();
/** Kills every process this module started (on exit, on Ctrl-C). */
export function killAll(): void {
  for (const c of live)
    if (c.exitCode === null && c.pid) {
      try {
        process.kill(c.pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
}
process.on('exit', killAll);
for (const sig of ['SIGINT', 'SIGTERM'] as const)
  process.on(sig, () => {
    killAll();
    process.exit(130);
  });

function stopper(child: ChildProcess): () => Promise<void> {
  return () =>
    new Promise((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) return resolve();
      const t = setTimeout(() => child.kill('SIGKILL'), 3000);
      child.once('exit', () => {
        clearTimeout(t);
        live.delete(child);
        resolve();
      });
      child.kill('SIGTERM');
    });
}

/**
 * Starts `bench/proxy/<script>` under `node --import tsx`, pinned to `cpu`, and waits for its
 * `READY <port> [json]` line.
 */
export function startNode(
  name: string,
  script: string,
  args: string[],
  cpu: string,
  env: NodeJS.ProcessEnv,
  nodeFlags: string[] = [],
): Promise<Peer> {
  const child = spawn(
    'taskset',
    ['-c', cpu, process.execPath, ...nodeFlags, '--import', 'tsx', join(here, script), ...args],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
      env,
    },
  );
  live.add(child);
  return new Promise((resolve, reject) => {
    let out = '';
    let err = '';
    const timer = setTimeout(() => fail(new Error(`${name} did not print READY within 30 s`)), 30_000);
    const fail = (e: Error): void => {
      clearTimeout(timer);
      child.kill('SIGKILL');
      reject(new Error(`${e.message}\n${err.trim()}`));
    };
    child.stderr.on('data', (d: Buffer) => {
      err += d.toString();
      if (err.length > 20_000) err = err.slice(-10_000);
    });
    child.on('exit', (code) => fail(new Error(`${name} exited early (code ${code})`)));
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /^READY (\d+)(?: (.*))?$/m.exec(out);
      if (!m) return;
      clearTimeout(timer);
      child.removeAllListeners('exit');
      child.stdout.removeAllListeners('data');
      child.stdout.resume();
      resolve({
        name,
        pid: child.pid as number,
        port: Number(m[1]),
        info: m[2] ? (JSON.parse(m[2]) as Record<string, unknown>) : {},
        stop: stopper(child),
      });
    });
  });
}

/** A free TCP port on 127.0.0.1. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

/** Whether a command is on PATH. */
export function has(cmd: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;
}

/** Installs Debian packages when running as root with apt-get; returns whether `cmd` is then present. */
export function ensureCommand(cmd: string, pkg: string, log: (m: string) => void): boolean {
  if (has(cmd)) return true;
  if (process.getuid?.() !== 0 || !has('apt-get')) {
    log(`${cmd} not found and cannot install it (need root and apt-get)`);
    return false;
  }
  log(`${cmd} not found; installing ${pkg} with apt-get …`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  spawnSync('apt-get', ['update', '-qq'], { stdio: 'ignore', env, timeout: 180_000 });
  spawnSync('apt-get', ['install', '-y', '-qq', pkg], { stdio: 'ignore', env, timeout: 300_000 });
  return has(cmd);
}

async function waitHttp(port: number, path: string, timeoutMs: number): Promise<void> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    try {
      const r = await fetch(`http://127.0.0.1:${port}${path}`);
      await r.arrayBuffer();
      if (r.status === 200) return;
    } catch {
      // not up yet
    }
    if (Date.now() > end) throw new Error(`nothing answered 200 on port ${port} within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/**
 * The benchmark's nginx main config for a prefix `dir` (with `logs/` and `tmp/`): one worker,
 * PCRE's JIT on, access log off, client keep-alive without a request limit, and `http` inside
 * `http {}`.
 */
export function nginxMainConfig(dir: string, http: string): string {
  return `daemon off;
master_process on;
worker_processes 1;
pid ${dir}/nginx.pid;
error_log ${dir}/logs/error.log warn;
# What docs/nginx.md asks of an operator's nginx under Phoenix; the plain nginx has no regex to run.
pcre_jit on;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path ${dir}/tmp/body;
  proxy_temp_path ${dir}/tmp/proxy;
  fastcgi_temp_path ${dir}/tmp/fastcgi;
  uwsgi_temp_path ${dir}/tmp/uwsgi;
  scgi_temp_path ${dir}/tmp/scgi;
  keepalive_timeout 75s;
  keepalive_requests 1000000;
${http}
}
`;
}

/**
 * nginx, one worker, `keepalive` upstream pool, buffers large enough to hold a 64 KB answer in
 * memory (so no temp files), access log off. Runs in the foreground with a temp prefix.
 */
export async function startNginx(originPort: number, cpu: string, probePath: string): Promise<Peer> {
  const dir = nginxPrefix('phx-nginx-');
  const port = await freePort();
  const conf = nginxMainConfig(
    dir,
    `  upstream origin {
    server 127.0.0.1:${originPort};
    keepalive 64;
    keepalive_requests 1000000;
  }
  server {
    listen 127.0.0.1:${port} reuseport;
    location / {
      proxy_pass http://origin;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_buffer_size 16k;
      proxy_buffers 8 16k;
      proxy_busy_buffers_size 32k;
    }
  }`,
  );
  writeFileSync(join(dir, 'nginx.conf'), conf);
  return runNginx('nginx', dir, cpu, port, probePath);
}

/** A temp prefix for nginx (`logs/`, `tmp/`) that its workers can write to. */
export function nginxPrefix(name: string): string {
  const dir = mkdtempSync(join(tmpdir(), name));
  for (const d of ['logs', 'tmp']) mkdirSync(join(dir, d));
  // Workers drop to "nobody" when nginx runs as root; they must be able to use the temp dirs and write logs.
  for (const d of [dir, join(dir, 'tmp'), join(dir, 'logs')]) chmodSync(d, 0o777);
  return dir;
}

/**
 * Runs nginx in the foreground on prefix `dir` with its `nginx.conf`, pinned to `cpu`, and waits
 * until `probePath` answers 200 on `port` (nginx's error log in the error when it does not).
 */
export async function runNginx(name: string, dir: string, cpu: string, port: number, probePath: string): Promise<Peer> {
  const child = spawn(
    'taskset',
    ['-c', cpu, 'nginx', '-p', dir, '-c', join(dir, 'nginx.conf'), '-e', join(dir, 'logs/error.log')],
    { stdio: 'ignore' },
  );
  live.add(child);
  try {
    await waitHttp(port, probePath, 10_000);
  } catch (e) {
    child.kill('SIGKILL');
    let log = '';
    try {
      log = readFileSync(join(dir, 'logs/error.log'), 'utf8');
    } catch {
      // no log
    }
    throw new Error(`${(e as Error).message}\n${log}`, { cause: e });
  }
  return { name, pid: child.pid as number, port, info: { dir }, stop: stopper(child) };
}

/** nginx -v, wrk -v first lines. */
export function version(cmd: string, arg: string): string | undefined {
  const r = spawnSync(cmd, [arg], { encoding: 'utf8' });
  const text = `${r.stdout ?? ''}${r.stderr ?? ''}`.trim().split('\n')[0];
  return text || undefined;
}
