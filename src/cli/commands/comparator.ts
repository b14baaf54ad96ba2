/**
 * `phoenix comparator`: the parity diff engine by hand. Sends one request (or a request list) to a
 * family's legacy and new upstreams, or reads two saved answers, and prints the verdict under the
 * family's own rules. Exit 0 when everything is equal, 1 when a difference is found. With
 * `--serve`, runs the shadow comparator nginx mirrors to instead (`../comparator-serve.ts`).
 */
import type { Command } from 'commander';
import { readFileSync } from 'node:fs';
import {
  RequestComparator,
  UpstreamUnreachable,
  type ComparedRequestInput,
  type RequestVerdict,
} from '../../contracts/compare-request.js';
import { queryString } from '../../lib/query-values.js';
import { parseRequestList } from '../../contracts/record.js';
import { SAFE_METHODS } from '../../plan/route-pattern.js';
import { loadPlan } from '../../plan/index.js';
import { familyArg, portFlag } from '../flags.js';
import { readInputFile } from '../input.js';
import { comparatorText, summarizeByRoute, verdictJson } from '../comparator-output.js';
import { CliError, ExitCode, print } from '../output.js';
import { countFlag, reorderWindowFlag, serveComparator, type ServeFlags } from '../comparator-serve.js';
import { familiesOf } from './contracts.js';

interface Options extends ServeFlags {
  serve?: boolean;
  plan: string;
  header: string[];
  body?: string;
  allowUnsafe?: boolean;
  fromRequests?: string;
  legacyBody?: string;
  newBody?: string;
  legacyStatus: number;
  newStatus: number;
  contentType?: string;
  resample: boolean;
  timeout: number;
  json?: boolean;
}

const METHOD = /^[A-Za-z]+$/;

function usage(message: string): CliError {
  return new CliError('PHX_ERR_CLI_BAD_FLAG', message, ExitCode.Usage);
}

function headerFlag(value: string, previous: string[]): string[] {
  const i = value.indexOf(':');
  if (i <= 0) throw usage(`--header expects "name: value", got "${value}"`);
  return [...previous, value];
}

function statusFlag(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 100 || n > 599) throw usage(`expected an HTTP status 100–599, got "${value}"`);
  return n;
}

function msFlag(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw usage(`--timeout expects milliseconds > 0, got "${value}"`);
  return n;
}

function headersOf(list: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const h of list) {
    const i = h.indexOf(':');
    out[h.slice(0, i).trim().toLowerCase()] = h.slice(i + 1).trim();
  }
  return out;
}

/** `[METHOD] <path>` from the positional arguments: one argument is a path, GET. */
function requestArgs(method: string | undefined, path: string | undefined): { method: string; target: string } {
  if (method !== undefined && path === undefined) [method, path] = ['GET', method];
  if (path === undefined) throw usage('give the request as [METHOD] <path>, or --from-requests <file>');
  if (!METHOD.test(method!)) throw usage(`method: expected a word such as GET or POST, got "${method}"`);
  if (!path.startsWith('/')) throw usage(`path: expected a path starting with "/", got "${path}"`);
  return { method: method!.toUpperCase(), target: path };
}

function readBody(file: string, what: string): string {
  try {
    return readFileSync(file === '-' ? 0 : file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
    throw new CliError(
      'PHX_ERR_INPUT_UNREADABLE',
      `cannot read ${what} ${JSON.stringify(file)} (${code}); check the path`,
    );
  }
}

function lower(h: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(h).map(([k, v]) => [k.toLowerCase(), v]));
}

/** A body that starts like JSON is sent as JSON unless a content type was given. */
function withJsonType(headers: Record<string, string>, body: string | undefined): Record<string, string> {
  if (body === undefined || headers['content-type'] !== undefined || !/^\s*[[{]/.test(body)) return headers;
  return { ...headers, 'content-type': 'application/json' };
}

/** Unsafe methods change state on both sides: refused before anything is read or sent, unless allowed. */
function refuseUnsafe(o: Options, requests: ReadonlyArray<{ method: string; target: string }>): void {
  const unsafe = requests.filter((r) => !SAFE_METHODS.has(r.method));
  if (unsafe.length > 0 && !o.allowUnsafe)
    throw new CliError(
      'PHX_ERR_COMPARATOR_UNSAFE_METHOD',
      `${unsafe[0]!.method} ${unsafe[0]!.target}${unsafe.length > 1 ? ` (and ${unsafe.length - 1} more)` : ''} would change state on both legacy and new; pass --allow-unsafe to send it anyway`,
      ExitCode.Usage,
    );
}

async function requestsOf(o: Options, method: string | undefined, path: string | undefined) {
  if (o.fromRequests !== undefined) {
    if (method !== undefined) throw usage('give either [METHOD] <path> or --from-requests <file>, not both');
    if (o.body !== undefined) throw usage('--body goes with one request; a request list carries its own bodies');
    const listed = parseRequestList(
      await readInputFile(o.fromRequests, 'the request list (--from-requests)'),
      o.fromRequests,
    );
    const extra = headersOf(o.header);
    return listed.map((r): ComparedRequestInput => {
      const qs = queryString(r.query);
      const body = typeof r.body === 'string' || r.body === undefined ? r.body : JSON.stringify(r.body);
      return {
        method: r.method,
        target: `${r.path}${qs ? `?${qs}` : ''}`,
        headers: withJsonType({ ...lower(r.headers ?? {}), ...extra }, body),
        body,
      };
    });
  }
  const { method: m, target } = requestArgs(method, path);
  refuseUnsafe(o, [{ method: m, target }]);
  const body = o.body === undefined ? undefined : readBody(o.body, 'the request body (--body)');
  return [{ method: m, target, headers: withJsonType(headersOf(o.header), body), body }];
}

/** Registers `comparator`. */
export function register(program: Command): void {
  program
    .command('comparator')
    .description(
      "Compare one request (or a list) on a family's legacy and new upstreams under the family's diff rules, or two saved answers offline. Exit 0: all equal; 1: differences found. With --serve: the shadow comparator nginx mirrors to, serving the router's admin API.",
    )
    .argument('[family]', 'family whose upstreams, identity and rules apply (required without --serve)', familyArg)
    .argument('[method]', 'HTTP method (default GET)')
    .argument('[path]', 'path with query string, e.g. /api/users/7?expand=1')
    .requiredOption('--plan <file>', 'plan file (YAML)')
    .option('--header <name:value>', 'request header, repeatable (sent to both sides)', headerFlag, [])
    .option('--body <file|->', 'request body from a file or stdin (unsafe methods)')
    .option(
      '--allow-unsafe',
      'send unsafe methods (POST, PUT, PATCH, DELETE): they change state on both sides; with --serve, for families with parity.mirrorUnsafe (each reaches legacy a second time)',
    )
    .option('--from-requests <file>', 'a request list as `contracts record` reads it; prints a summary by route')
    .option('--legacy-body <file>', "offline: legacy's saved answer body (with --new-body; sends nothing)")
    .option('--new-body <file>', "offline: new's saved answer body")
    .option('--legacy-status <code>', 'offline: legacy status', statusFlag, 200)
    .option('--new-status <code>', 'offline: new status', statusFlag, 200)
    .option('--content-type <type>', 'offline: content type of both saved answers (default: sniffed)')
    .option('--no-resample', 'do not resend safe requests to legacy to learn noise')
    .option('--timeout <ms>', 'per request, ms', msFlag, 10_000)
    .option('--json', 'print the verdicts as JSON')
    .option(
      '--serve',
      "run as a server for nginx's mirrored requests: each one is sent to legacy and new and compared, with the router's admin API (token from PHOENIX_ADMIN_TOKEN)",
    )
    .option('--port <port>', 'serve: port nginx mirrors to (default: the port of dataPlane.comparatorUrl)', portFlag)
    .option('--host <address>', 'serve: bind address of the mirror port', '127.0.0.1')
    .option('--admin-port <port>', 'serve: admin API port (default: the port of router.adminUrl)', portFlag)
    .option('--admin-host <address>', 'serve: admin API bind address', '127.0.0.1')
    .option(
      '--queue <n>',
      'serve: samples waiting at most before new ones are shed (default: router.mirrorQueue)',
      countFlag,
    )
    .option(
      '--concurrency <n>',
      'serve: requests in flight at once per side (default: router.mirrorConcurrency)',
      countFlag,
    )
    .option(
      '--reorder-window <duration>',
      'serve: how long an unsafe mirror waits for one nginx took on before it, to go to legacy and new in that order (default 50ms, at most 5s)',
      reorderWindowFlag,
    )
    .option('--insecure-admin', 'serve: run the admin API without a token (loopback admin host only)')
    .action(async (family: string | undefined, method: string | undefined, path: string | undefined, o: Options) => {
      if (o.serve) {
        const extra = family ?? o.fromRequests ?? o.legacyBody ?? o.newBody ?? o.body;
        if (extra !== undefined)
          throw usage(
            `--serve compares what nginx mirrors for every family of the plan; it takes no family, request or saved answers (got "${extra}")`,
          );
        return serveComparator(o);
      }
      if (family === undefined)
        throw new CliError(
          'PHX_ERR_USAGE_MISSING_ARGUMENT',
          "missing required argument 'family' (run with --help for usage)",
          ExitCode.Usage,
        );
      const offline = o.legacyBody !== undefined || o.newBody !== undefined;
      if (offline && (o.legacyBody === undefined || o.newBody === undefined))
        throw usage('offline comparison needs both --legacy-body and --new-body');
      if (offline && (o.fromRequests !== undefined || o.body !== undefined))
        throw usage('--legacy-body/--new-body compare saved answers; they do not go with --from-requests or --body');
      const requests = offline ? [] : await requestsOf(o, method, path);
      refuseUnsafe(o, requests);
      const plan = await loadPlan(o.plan);
      const fam = familiesOf(plan, family)[0]!;
      const comparator = new RequestComparator(fam, { timeoutMs: o.timeout, learnNoise: o.resample });
      let verdicts: RequestVerdict[];
      const skipped: ComparedRequestInput[] = [];
      if (offline) {
        const m = method === undefined ? { method: 'GET', target: '/' } : requestArgs(method, path);
        const headers = o.contentType === undefined ? {} : { 'content-type': o.contentType };
        verdicts = [
          comparator.compareSaved(
            m.method,
            m.target,
            { status: o.legacyStatus, headers, body: readBody(o.legacyBody!, "legacy's answer (--legacy-body)") },
            { status: o.newStatus, headers, body: readBody(o.newBody!, "new's answer (--new-body)") },
          ),
        ];
      } else {
        const owned = requests.filter((r) => comparator.owns(r.method, r.target));
        for (const r of requests) if (!owned.includes(r)) skipped.push(r);
        if (owned.length === 0)
          throw new CliError(
            'PHX_ERR_COMPARATOR_NOT_IN_FAMILY',
            `${requests.length === 1 ? `${requests[0]!.method} ${requests[0]!.target} is` : 'none of the requests is'} not a route of family "${fam.name}" (its routes: ${fam.routes.join(', ')})`,
            ExitCode.NotFound,
          );
        try {
          verdicts = await comparator.compare(owned);
        } catch (err) {
          if (err instanceof UpstreamUnreachable)
            throw new CliError(err.code, err.message, ExitCode.Unavailable, { ...err.details });
          throw err;
        } finally {
          await comparator.close();
        }
      }
      const differing = verdicts.filter((v) => !v.equal).length;
      const routes = summarizeByRoute(verdicts);
      print(
        o.json === true,
        {
          family: fam.name,
          offline,
          equal: differing === 0,
          total: verdicts.length,
          differing,
          results: verdicts.map(verdictJson),
          routes,
          skipped: skipped.map((r) => ({ method: r.method, target: r.target, reason: 'not a route of the family' })),
        },
        () => comparatorText(fam.name, verdicts, routes, skipped),
      );
      if (differing > 0) process.exitCode = ExitCode.Failed;
    });
}
