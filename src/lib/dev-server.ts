/**
 * Starts the Temporal CLI dev server (SQLite file, Web UI) with Phoenix's search attributes, or
 * reuses one that already answers on the port.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdir } from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { PhoenixError } from './errors.js';

/** The search attributes Phoenix writes; registered on every dev server it starts. */
export const SEARCH_ATTRIBUTES = {
  PhoenixFamily: 'Keyword',
  PhoenixStage: 'Keyword',
  PhoenixPercent: 'Int',
  PhoenixPlan: 'Keyword',
} as const;

export interface DevServerOptions {
  /** Path of the `temporal` CLI (see scripts/temporal-cli.ts). */
  cli: string;
  /** gRPC port. @default 7233 */
  port?: number;
  /** Web UI port. @default 8233 */
  uiPort?: number;
  /** Bind address. @default 127.0.0.1 */
  ip?: string;
  /** SQLite file; `:memory:` keeps nothing. @default .phoenix/temporal.db */
  dbFile?: string;
  /** @default default */
  namespace?: string;
  /** Disable the Web UI. @default false */
  headless?: boolean;
  /** Where the server's output goes. @default ignored */
  stdio?: 'inherit' | 'ignore' | 'pipe';
  /** Register Phoenix's search attributes (off: a namespace as a fresh cluster has it, for `phoenix setup`). @default true */
  searchAttributes?: boolean;
  /** How long to wait for the server to answer. @default 60000 (ms) */
  startTimeoutMs?: number;
}

export interface RunningDevServer {
  address: string;
  uiUrl: string | undefined;
  namespace: string;
  /** True when a server was already answering and was reused (stop() then does nothing). */
  reused: boolean;
  process: ChildProcess | undefined;
  stop(): Promise<void>;
}

/** True when something accepts TCP connections on host:port. */
export function portAnswers(host: string, port: number, timeoutMs = 500): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    const done = (ok: boolean): void => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

/**
 * Starts (or reuses) a dev server and waits until it answers.
 * @throws PhoenixError `PHX_ERR_DEV_SERVER_START` when it exits or does not answer in time.
 */
export async function startDevServer(options: DevServerOptions): Promise<RunningDevServer> {
  const ip = options.ip ?? '127.0.0.1';
  const port = options.port ?? 7233;
  const uiPort = options.uiPort ?? 8233;
  const namespace = options.namespace ?? 'default';
  const address = `${ip}:${port}`;
  const uiUrl = options.headless ? undefined : `http://localhost:${uiPort}`;
  if (await portAnswers(ip, port)) {
    return { address, uiUrl, namespace, reused: true, process: undefined, stop: async () => {} };
  }
  const dbFile = options.dbFile ?? path.resolve('.phoenix/temporal.db');
  const args = [
    'server',
    'start-dev',
    '--ip',
    ip,
    '--port',
    String(port),
    '--namespace',
    namespace,
    '--log-level',
    'warn',
  ];
  if (dbFile !== ':memory:') {
    await mkdir(path.dirname(dbFile), { recursive: true });
    args.push('--db-filename', dbFile);
  }
  if (options.headless) args.push('--headless');
  else args.push('--ui-port', String(uiPort));
  if (options.searchAttributes !== false)
    for (const [name, type] of Object.entries(SEARCH_ATTRIBUTES)) args.push('--search-attribute', `${name}=${type}`);

  const child = spawn(options.cli, args, {
    stdio: ['ignore', options.stdio ?? 'ignore', options.stdio ?? 'ignore'],
    detached: false,
  });
  let exited: number | null | undefined;
  child.once('exit', (code) => {
    exited = code;
  });
  const deadline = Date.now() + (options.startTimeoutMs ?? 60_000);
  while (!(await portAnswers(ip, port))) {
    if (exited !== undefined) {
      throw new PhoenixError(
        'PHX_ERR_DEV_SERVER_START',
        `the Temporal dev server exited with code ${exited}; is port ${port} or ${uiPort} taken? Try --port/--ui-port.`,
      );
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new PhoenixError(
        'PHX_ERR_DEV_SERVER_START',
        `the Temporal dev server did not answer on ${address} in time`,
      );
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  const stop = async (): Promise<void> => {
    if (exited !== undefined) return;
    const gone = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    await gone;
    clearTimeout(timer);
  };
  return { address, uiUrl, namespace, reused: false, process: child, stop };
}
