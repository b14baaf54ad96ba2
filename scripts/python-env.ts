/**
 * The example apps' Python: a virtualenv under `.phoenix/venv` with examples/requirements.txt
 * installed by pip (reinstalled only when the requirements change), and a helper that starts an
 * app on a free port and waits until it answers. Run as a script (`npx tsx scripts/python-env.ts`)
 * it just prepares the venv, as CI does.
 */
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { request } from 'undici';
import { PhoenixError } from '../src/lib/errors.js';
import { freePort } from '../test/helpers/ports.js';

const run = promisify(execFile);
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

async function pythonVersion(bin: string): Promise<[number, number] | undefined> {
  try {
    const { stdout } = await run(bin, ['-c', 'import sys; print(sys.version_info[0], sys.version_info[1])'], {
      timeout: 10_000,
    });
    const [major, minor] = stdout.trim().split(' ').map(Number);
    return [major ?? 0, minor ?? 0];
  } catch {
    return undefined;
  }
}

async function findPython(): Promise<string> {
  const tried: string[] = [];
  for (const bin of [process.env.PHOENIX_PYTHON, 'python3', 'python'].filter((b): b is string => !!b)) {
    const v = await pythonVersion(bin);
    if (v && (v[0] > 3 || (v[0] === 3 && v[1] >= 10))) return bin;
    tried.push(`${bin}: ${v ? `Python ${v.join('.')} is too old` : 'not found'}`);
  }
  throw new PhoenixError(
    'PHX_ERR_PYTHON_UNAVAILABLE',
    `the example apps need Python 3.10+ (${tried.join('; ')}); install it or set PHOENIX_PYTHON to its path`,
  );
}

/**
 * Creates (once) `.phoenix/venv` and installs examples/requirements.txt into it.
 * @returns the venv's python.
 * @throws PhoenixError `PHX_ERR_PYTHON_UNAVAILABLE`, `PHX_ERR_PIP_FAILED`
 */
export async function ensurePythonEnv(
  opts: { root?: string; log?: (line: string) => void } = {},
): Promise<{ python: string }> {
  const root = opts.root ?? ROOT;
  const log = opts.log ?? (() => {});
  const venv = path.join(root, '.phoenix', 'venv');
  const python = path.join(venv, process.platform === 'win32' ? 'Scripts/python.exe' : 'bin/python');
  const requirements = path.join(root, 'examples', 'requirements.txt');
  const wanted = createHash('sha256')
    .update(await readFile(requirements))
    .digest('hex');
  const stamp = path.join(venv, '.phoenix-requirements');
  if ((await readFile(stamp, 'utf8').catch(() => '')) === wanted && (await pythonVersion(python))) return { python };
  if (!(await pythonVersion(python))) {
    const base = await findPython();
    log(`creating ${path.relative(root, venv)} with ${base}`);
    await mkdir(path.dirname(venv), { recursive: true });
    try {
      await run(base, ['-m', 'venv', venv], { timeout: 120_000 });
    } catch (err) {
      throw new PhoenixError(
        'PHX_ERR_PYTHON_UNAVAILABLE',
        `could not create a virtualenv (${(err as Error).message.split('\n')[0]}); on Debian/Ubuntu install python3-venv`,
      );
    }
  }
  log("installing the example apps' requirements with pip (flask, fastapi, uvicorn) …");
  try {
    await run(python, ['-m', 'pip', 'install', '--disable-pip-version-check', '--quiet', '-r', requirements], {
      timeout: 600_000,
    });
  } catch (err) {
    const e = err as { stderr?: string; message: string };
    throw new PhoenixError(
      'PHX_ERR_PIP_FAILED',
      `pip could not install ${path.relative(root, requirements)}: ${(e.stderr ?? e.message).trim().split('\n').slice(-3).join(' ')}; check access to PyPI (or a PIP_INDEX_URL mirror)`,
    );
  }
  await writeFile(stamp, wanted);
  return { python };
}

export interface RunningPythonApp {
  url: string;
  port: number;
  process: ChildProcess;
  stop(): Promise<void>;
}

/**
 * Starts `python script ...args --port <port>` (a free port unless given), output to `logFile`,
 * and waits until GET `readyPath` answers 200.
 */
export async function startPythonApp(
  python: string,
  script: string,
  args: string[],
  opts: { logFile: string; port?: number; env?: Record<string, string>; readyPath?: string; timeoutMs?: number },
): Promise<RunningPythonApp> {
  const port = opts.port ?? (await freePort());
  await mkdir(path.dirname(opts.logFile), { recursive: true });
  const out = createWriteStream(opts.logFile, { flags: 'a' });
  const child = spawn(python, [script, ...args, '--port', String(port)], {
    env: { ...process.env, PYTHONUNBUFFERED: '1', ...opts.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout.pipe(out);
  child.stderr.pipe(out);
  let exited: number | null | undefined;
  child.once('exit', (code) => (exited = code));
  const url = `http://127.0.0.1:${port}`;
  const stop = async (): Promise<void> => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const gone = new Promise<void>((r) => child.once('exit', () => r()));
    child.kill('SIGTERM');
    const t = setTimeout(() => child.kill('SIGKILL'), 3000);
    await gone;
    clearTimeout(t);
    out.end();
  };
  const deadline = Date.now() + (opts.timeoutMs ?? 30_000);
  for (;;) {
    if (exited !== undefined) {
      const tail = (await readFile(opts.logFile, 'utf8').catch(() => '')).trim().split('\n').slice(-8).join('\n');
      throw new PhoenixError(
        'PHX_ERR_APP_START',
        `${path.basename(path.dirname(script))}/${path.basename(script)} exited with code ${exited} before answering; last lines of ${opts.logFile}:\n${tail}`,
      );
    }
    try {
      const res = await request(`${url}${opts.readyPath ?? '/healthz'}`, { headersTimeout: 1000, bodyTimeout: 1000 });
      await res.body.dump();
      if (res.statusCode === 200) return { url, port, process: child, stop };
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      await stop();
      throw new PhoenixError(
        'PHX_ERR_APP_START',
        `${script} did not answer on ${url} within ${(opts.timeoutMs ?? 30_000) / 1000} s; see ${opts.logFile}`,
      );
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
  ensurePythonEnv({ log: (l) => process.stdout.write(`${l}\n`) }).then(
    ({ python }) => process.stdout.write(`example apps' Python ready: ${python}\n`),
    (err: unknown) => {
      process.stderr.write(`${(err as Error).message}\n`);
      process.exit(1);
    },
  );
}
