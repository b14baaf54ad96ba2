/**
 * Applies a rendered include file to a running nginx: `nginx -t` on the whole configuration with
 * the new file in place of the old (a temp copy of the main config pointing at it), then an atomic
 * rename, a graceful reload, and a wait until the control server serves the new rendering.
 * A refused configuration leaves the old file, and so the traffic, as it was.
 */
import { execFile } from 'node:child_process';
import { open, readFile, rename, rm, writeFile } from 'node:fs/promises';
import http from 'node:http';
import path from 'node:path';
import { PhoenixError } from '../lib/errors.js';
import type { NginxDataPlane } from '../plan/schema.js';
import { STATE_PATH } from './render.js';
import { acceptingWorkers, masterPid } from './workers.js';

type Settings = Pick<
  NginxDataPlane,
  'includeFile' | 'mainConfig' | 'nginxBinary' | 'prefix' | 'controlListen' | 'reloadTimeoutMs'
>;

/** What the control server answers: the applied rendering's digest and each family's route. */
export interface ServedState {
  digest: string;
  routes: { family: string; mode: string; percent: number; version: number; sampleRate: number }[];
}

function run(bin: string, args: string[]): Promise<{ ok: boolean; output: string }> {
  return new Promise((resolve, reject) => {
    execFile(bin, args, { timeout: 30_000 }, (err, stdout, stderr) => {
      if (err && (err as NodeJS.ErrnoException).code === 'ENOENT') {
        reject(
          new PhoenixError(
            'PHX_ERR_NGINX_MISSING',
            `nginx was not found ("${bin}"): install it (Debian/Ubuntu: apt-get install nginx) or set dataPlane.nginxBinary`,
            { binary: bin },
          ),
        );
        return;
      }
      resolve({ ok: err === null, output: `${stdout}${stderr}`.trim() });
    });
  });
}

/**
 * nginx's version line (`nginx version: nginx/1.22.1`).
 * @throws `PHX_ERR_NGINX_MISSING` naming the package when `bin` is not there
 */
export async function nginxVersion(bin: string): Promise<string> {
  return (await run(bin, ['-v'])).output;
}

const common = (s: Settings, conf: string): string[] => [...(s.prefix ? ['-p', s.prefix] : []), '-c', conf];

/** A `pcre_jit on;` directive, not commented out, in `nginx -T`'s dump. */
const PCRE_JIT_ON = /^[ \t]*pcre_jit[ \t]+on[ \t]*;/m;

/**
 * Whether nginx's whole configuration (the main config and every file it includes, as `nginx -T`
 * dumps it) turns PCRE's JIT on. Without it each request's family `map` runs its regexes in
 * PCRE's interpreter, about 3% more CPU per small request (docs/benchmarks.md); only the main
 * context takes the directive, so Phoenix's include file cannot set it.
 * @returns undefined when `nginx -T` fails (the error is `nginx -t`'s to report)
 */
export async function pcreJitOn(s: Settings): Promise<boolean | undefined> {
  const r = await run(s.nginxBinary, ['-T', '-q', ...common(s, s.mainConfig)]);
  return r.ok ? PCRE_JIT_ON.test(r.output) : undefined;
}

/** The control server's base URL from its listen address (a wildcard address is reached on loopback). */
export function controlUrl(listen: string): string {
  const i = listen.lastIndexOf(':');
  if (i < 0 || listen.endsWith(']')) return `http://127.0.0.1:${listen}`;
  const host = listen.slice(0, i);
  const local = host === '0.0.0.0' || host === '*' ? '127.0.0.1' : host === '[::]' ? '[::1]' : host;
  return `http://${local}:${listen.slice(i + 1)}`;
}

/** Reads what nginx serves now, on a fresh connection (so a new worker answers); undefined when it does not answer. */
export function readServedState(listen: string, timeoutMs = 2000): Promise<ServedState | undefined> {
  return new Promise((resolve) => {
    const req = http.get(`${controlUrl(listen)}${STATE_PATH}`, { agent: false, timeout: timeoutMs }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (text += c));
      res.on('end', () => {
        try {
          resolve(res.statusCode === 200 ? (JSON.parse(text) as ServedState) : undefined);
        } catch {
          resolve(undefined);
        }
      });
      res.on('error', () => resolve(undefined));
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(undefined));
  });
}

async function writeSynced(file: string, text: string): Promise<void> {
  const fh = await open(file, 'w');
  try {
    await fh.writeFile(text);
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/**
 * Tests the whole configuration with `text` as the include file.
 * @throws `PHX_ERR_NGINX_MISSING`, `PHX_ERR_NGINX_INCLUDE_MISSING`, `PHX_ERR_NGINX_CONFIG_INVALID` (nginx's message)
 */
export async function testNginx(s: Settings, text: string, candidate: string): Promise<void> {
  const main = await readFile(s.mainConfig, 'utf8').catch((err: unknown) => {
    throw new PhoenixError(
      'PHX_ERR_NGINX_MAIN_CONFIG',
      `cannot read dataPlane.mainConfig "${s.mainConfig}": ${String(err)}`,
    );
  });
  if (!main.includes(s.includeFile)) {
    throw new PhoenixError(
      'PHX_ERR_NGINX_INCLUDE_MISSING',
      `${s.mainConfig} does not include ${s.includeFile}: add "include ${s.includeFile};" inside its http {} block`,
    );
  }
  await writeSynced(candidate, text);
  // Relative paths in the main config resolve against its folder, so the copy lives there too.
  const testConf = path.join(path.dirname(s.mainConfig), `.phoenix-test-${process.pid}.conf`);
  await writeFile(testConf, main.split(s.includeFile).join(candidate));
  try {
    const t = await run(s.nginxBinary, ['-t', '-q', ...common(s, testConf)]);
    if (!t.ok) {
      throw new PhoenixError(
        'PHX_ERR_NGINX_CONFIG_INVALID',
        `nginx refused the rendered configuration; ${s.includeFile} was left as it was: ${t.output.split(candidate).join(s.includeFile)}`,
        { output: t.output },
      );
    }
  } finally {
    await rm(testConf, { force: true });
  }
}

/**
 * Tests `text` and renames it over the include file, without touching a running nginx (the
 * file nginx needs before its first start).
 * @param test false skips `nginx -t` (a guard trip: see {@link applyNginx})
 * @throws the errors of {@link testNginx}
 */
export async function installNginx(s: Settings, text: string, test = true): Promise<void> {
  const candidate = `${s.includeFile}.phoenix-new`;
  try {
    if (test) await testNginx(s, text, candidate);
    else await writeSynced(candidate, text);
    await rename(candidate, s.includeFile);
  } finally {
    await rm(candidate, { force: true });
  }
}

/** Signals the master to reload: SIGHUP, as `nginx -s reload` does, without starting a second nginx to send it. */
async function reload(s: Settings, master: number | undefined): Promise<void> {
  if (master !== undefined) {
    try {
      process.kill(master, 'SIGHUP');
      return;
    } catch {
      // A stale pid file: let nginx -s reload say what is wrong.
    }
  }
  const r = await run(s.nginxBinary, ['-s', 'reload', ...common(s, s.mainConfig)]);
  if (!r.ok) {
    throw new PhoenixError(
      'PHX_ERR_NGINX_RELOAD',
      `nginx -s reload failed (is nginx running with ${s.mainConfig}?): ${r.output}`,
    );
  }
}

/**
 * Tests, installs and reloads `text`, then waits until nginx serves `digest`.
 * @param o.test false skips `nginx -t`, for a guard trip, where every millisecond counts and the
 *   text differs from an accepted one only in which side a family is on; a refused reload
 *   still leaves nginx on its old configuration and ends in `PHX_ERR_NGINX_RELOAD_TIMEOUT`.
 * @throws the errors of {@link testNginx}, `PHX_ERR_NGINX_RELOAD`, `PHX_ERR_NGINX_RELOAD_TIMEOUT`
 */
export async function applyNginx(s: Settings, text: string, digest: string, o: { test?: boolean } = {}): Promise<void> {
  await installNginx(s, text, o.test ?? true);
  const master = await masterPid(s.mainConfig, s.prefix);
  const old = master === undefined ? new Set<number>() : await acceptingWorkers(master);
  await reload(s, master);
  const deadline = Date.now() + s.reloadTimeoutMs;
  let delay = 5;
  for (;;) {
    const served = await readServedState(s.controlListen);
    if (served?.digest === digest) {
      const still = master === undefined ? [] : [...(await acceptingWorkers(master))].filter((p) => old.has(p));
      if (still.length === 0) return;
    }
    if (Date.now() >= deadline) {
      throw new PhoenixError(
        'PHX_ERR_NGINX_RELOAD_TIMEOUT',
        `nginx did not serve the new configuration within ${s.reloadTimeoutMs} ms (control server ${controlUrl(s.controlListen)}${STATE_PATH} answers ${served ? `digest ${served.digest}` : 'nothing'})`,
        { digest },
      );
    }
    await new Promise((r) => setTimeout(r, delay));
    delay = Math.min(delay * 2, 100);
  }
}
