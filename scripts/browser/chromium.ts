/**
 * The browser of the browser check: the system's Chromium (Debian's `chromium` package), driven by
 * playwright-core through `executablePath`. Playwright's own browser downloads are never used, so
 * the check needs nothing from the network.
 */
import { access, constants, stat } from 'node:fs/promises';
import { chromium, type Browser } from 'playwright-core';
import { PhoenixError } from '../../src/lib/errors.js';

/** Where Debian's `chromium` package puts its launcher. */
export const SYSTEM_CHROMIUM = '/usr/bin/chromium';

/**
 * The Chromium to run: `PHOENIX_CHROMIUM` when set, else {@link SYSTEM_CHROMIUM}.
 * @throws PhoenixError `PHX_ERR_BROWSER_NOT_FOUND` naming the package to install.
 */
export async function resolveChromium(env: NodeJS.ProcessEnv = process.env): Promise<string> {
  const fromEnv = env.PHOENIX_CHROMIUM;
  const file = fromEnv || SYSTEM_CHROMIUM;
  const runnable = await access(file, constants.X_OK).then(
    async () => (await stat(file)).isFile(),
    () => false,
  );
  if (runnable) return file;
  throw new PhoenixError(
    'PHX_ERR_BROWSER_NOT_FOUND',
    `the browser check needs Chromium and ${file}${fromEnv ? ' (PHOENIX_CHROMIUM)' : ''} is not an executable file: install it with \`apt-get install chromium\` (Debian/Ubuntu), or set PHOENIX_CHROMIUM to a Chromium binary`,
    { file },
  );
}

/** Launches headless Chromium (see {@link resolveChromium}). */
export async function launchChromium(env: NodeJS.ProcessEnv = process.env): Promise<Browser> {
  const executablePath = await resolveChromium(env);
  return chromium.launch({
    executablePath,
    headless: true,
    // Containers (CI) often run as root without a user namespace for the sandbox.
    chromiumSandbox: false,
  });
}
