/**
 * Reads a Flask app's URL map by running `scripts/flask-url-map.py` with the app's own Python
 * (the interpreter that has Flask and the app's dependencies), then parsing it as
 * `phoenix inventory import --flask` does.
 */
import { execFile } from 'node:child_process';
import { access } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { PhoenixError } from '../lib/errors.js';
import { parseFlaskInventory, type InventoryEndpoint } from './inventory.js';

/** The helper script, shipped with Phoenix. */
export const FLASK_URL_MAP_SCRIPT = path.resolve(
  path.dirname(fileURLToPath(import.meta.url)),
  '..',
  '..',
  'scripts',
  'flask-url-map.py',
);

/** Where the URL map comes from. */
export interface FlaskAppSource {
  /** `path/to/app.py` or `package.module:app`. */
  app: string;
  /** The Python to run it with. */
  python: string;
  /** The app object's name in the file. @default app (or a `create_app()` factory) */
  appVar?: string;
  /** Working directory for the import (module targets resolve from here). @default process.cwd() */
  cwd?: string;
  /** @default 60000 (ms) */
  timeoutMs?: number;
}

/** The last lines of a Python traceback: the line that names what went wrong is at the end. */
function tail(stderr: string, lines = 6): string {
  return stderr.trim().split('\n').slice(-lines).join('\n');
}

/**
 * Runs the helper on the app and returns its endpoints (static route left out).
 * @throws PhoenixError `PHX_ERR_FLASK_APP_NOT_FOUND` (no such app file), `PHX_ERR_PYTHON_UNAVAILABLE`
 *   (the interpreter cannot be started), `PHX_ERR_FLASK_URL_MAP_FAILED` (the import or the helper
 *   failed: the message ends with Python's own last lines), `PHX_ERR_INVENTORY_INVALID`
 */
export async function readFlaskUrlMap(source: FlaskAppSource): Promise<InventoryEndpoint[]> {
  const cwd = source.cwd ?? process.cwd();
  // `package.module:app` is imported by name; anything else is a file, as the helper reads it.
  if (!source.app.includes(':') || source.app.endsWith('.py')) {
    try {
      await access(path.resolve(cwd, source.app));
    } catch {
      throw new PhoenixError(
        'PHX_ERR_FLASK_APP_NOT_FOUND',
        `the Flask app ${JSON.stringify(source.app)} does not exist (in ${cwd}); pass the file that creates the app (path/to/app.py) or package.module:app`,
        { app: source.app },
      );
    }
  }
  const args = [FLASK_URL_MAP_SCRIPT, source.app, ...(source.appVar ? ['--app-var', source.appVar] : [])];
  const stdout = await new Promise<string>((resolve, reject) => {
    execFile(
      source.python,
      args,
      {
        cwd,
        // `package.module:app` is imported as from the app's folder, as `flask --app` would.
        env: { ...process.env, PYTHONPATH: [cwd, process.env.PYTHONPATH].filter(Boolean).join(path.delimiter) },
        timeout: source.timeoutMs ?? 60_000,
        maxBuffer: 64 * 1024 * 1024,
      },
      (err, out, stderr) => {
        if (!err) return resolve(out);
        const e = err as NodeJS.ErrnoException & { killed?: boolean };
        if (e.code === 'ENOENT' || e.code === 'EACCES')
          return reject(
            new PhoenixError(
              'PHX_ERR_PYTHON_UNAVAILABLE',
              `cannot run the Python ${JSON.stringify(source.python)} (${e.code}); pass the interpreter of the app's own environment, e.g. --python .venv/bin/python`,
              { python: source.python },
            ),
          );
        const why = e.killed ? `timed out after ${(source.timeoutMs ?? 60_000) / 1000} s` : tail(stderr);
        const hint = /ModuleNotFoundError|ImportError/.test(stderr)
          ? " A module is missing: run it with the app's own Python (--python path/to/venv/bin/python), from the folder the app is imported from."
          : '';
        reject(
          new PhoenixError(
            'PHX_ERR_FLASK_URL_MAP_FAILED',
            `reading the URL map of ${source.app} with ${source.python} failed:\n${why}\n${hint.trim() || 'Fix the error above (the app must import without side effects that fail), or pass saved `flask routes` output instead.'}`,
            { app: source.app, python: source.python },
          ),
        );
      },
    );
  });
  return parseFlaskInventory(stdout, `${source.app} (URL map)`);
}
