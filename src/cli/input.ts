/** Files and URLs a command reads, with errors that name what could not be read and why. */
import { access, readFile } from 'node:fs/promises';
import { request } from 'undici';
import { openApiServerUrl, parseOpenApi, type InventoryEndpoint } from '../contracts/inventory.js';
import { CliError, ExitCode } from './output.js';

/** Whether a file the command would write is already there. */
export async function exists(file: string): Promise<boolean> {
  try {
    await access(file);
    return true;
  } catch {
    return false;
  }
}

/**
 * Reads a text file the user named.
 * @param what how the message calls it, e.g. "the request list (--from-requests)"
 * @throws CliError `PHX_ERR_INPUT_UNREADABLE` (exit 1)
 */
export async function readInputFile(file: string, what: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
    throw new CliError(
      'PHX_ERR_INPUT_UNREADABLE',
      `cannot read ${what} ${JSON.stringify(file)} (${code}); check the path`,
      ExitCode.Failed,
    );
  }
}

/**
 * Reads JSON from an http(s) URL (10 s timeouts) or a file.
 * @throws CliError `PHX_ERR_INPUT_UNREACHABLE` (exit 3) for a URL that does not answer 200,
 *   `PHX_ERR_INPUT_UNREADABLE` for a missing file, `PHX_ERR_INPUT_INVALID` when it is not JSON.
 */
export async function readJsonInput(source: string, what: string): Promise<unknown> {
  let text: string;
  if (/^https?:\/\//.test(source)) {
    try {
      const res = await request(source, { headersTimeout: 10_000, bodyTimeout: 10_000 });
      text = await res.body.text();
      if (res.statusCode !== 200) throw new Error(`answered ${res.statusCode}`);
    } catch (err) {
      throw new CliError(
        'PHX_ERR_INPUT_UNREACHABLE',
        `cannot fetch ${what} from ${source}: ${(err as Error).message}`,
        ExitCode.Unavailable,
      );
    }
  } else text = await readInputFile(source, what);
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    throw new CliError(
      'PHX_ERR_INPUT_INVALID',
      `${what} ${JSON.stringify(source)} is not JSON: ${(err as Error).message}`,
      ExitCode.Failed,
    );
  }
}

/** The new service's operations from its OpenAPI document (`--openapi <url|file>`). */
export async function readOpenApi(source: string): Promise<InventoryEndpoint[]> {
  return parseOpenApi(await readJsonInput(source, 'the OpenAPI document (--openapi)'), source);
}

/** The new service's operations and, when the document says, its origin (see {@link openApiServerUrl}). */
export async function readOpenApiWithServer(
  source: string,
): Promise<{ endpoints: InventoryEndpoint[]; serverUrl: string | undefined }> {
  const doc = await readJsonInput(source, 'the OpenAPI document (--openapi)');
  return { endpoints: parseOpenApi(doc, source), serverUrl: openApiServerUrl(doc, source) };
}
