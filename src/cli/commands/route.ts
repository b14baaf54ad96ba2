import type { Command } from 'commander';
import { WorkflowNotFoundError } from '@temporalio/client';
import { hasCode, PhoenixError } from '../../lib/errors.js';
import { loadPlan } from '../../plan/index.js';
import {
  createRouterAdminClient,
  type RouterAdminClient,
  type RouteMode,
  type RouteState,
} from '../../router/client.js';
import { migrationWorkflowId } from '../../workflows/messages.js';
import { familyArg } from '../flags.js';
import { readTarget, withClients, type ReadTarget } from '../fleet-read.js';
import { fleetRouteText, readFleetRoute, setFleetRoute, type FleetMember } from '../fleet-route.js';
import { CliError, ExitCode, print } from '../output.js';
import { closeTemporalClient, temporalClient } from '../temporal-client.js';

const DEFAULT_ADMIN_URL = 'http://127.0.0.1:9090';
const MODES: readonly RouteMode[] = ['legacy', 'shadow', 'canary', 'new'];

function modeArg(value: string): RouteMode {
  if (!(MODES as readonly string[]).includes(value))
    throw new CliError(
      'PHX_ERR_CLI_BAD_ARGUMENT',
      `mode: expected one of ${MODES.join(', ')}, got ${JSON.stringify(value)}`,
      ExitCode.Usage,
    );
  return value as RouteMode;
}

function percentFlag(value: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n <= 0 || n >= 100)
    throw new CliError(
      'PHX_ERR_CLI_BAD_FLAG',
      `--percent: expected a share of traffic above 0 and below 100, got "${value}"`,
      ExitCode.Usage,
    );
  return n;
}

/** The share on new each mode implies; only a canary takes `--percent`. */
function percentFor(mode: RouteMode, percent: number | undefined): number {
  if (mode === 'canary') {
    if (percent === undefined)
      throw new CliError(
        'PHX_ERR_CLI_BAD_FLAG',
        'canary needs --percent N (share on new, 0 < N < 100)',
        ExitCode.Usage,
      );
    return percent;
  }
  if (percent !== undefined)
    throw new CliError(
      'PHX_ERR_CLI_BAD_FLAG',
      `--percent applies to canary only (${mode} sends ${mode === 'new' ? '100' : '0'}% to new)`,
      ExitCode.Usage,
    );
  return mode === 'new' ? 100 : 0;
}

/**
 * Refuses when a migration workflow of the family is running: it owns the route, and a change
 * behind its back makes its next one stale. Temporal out of reach means nobody can tell.
 */
async function refuseWhileOwned(family: string): Promise<void> {
  const workflowId = migrationWorkflowId(family);
  try {
    const d = await (await temporalClient()).workflow.getHandle(workflowId).describe();
    if (d.status.name !== 'RUNNING') return;
    throw new CliError(
      'PHX_ERR_ROUTE_OWNED_BY_MIGRATION',
      `the migration of "${family}" (workflow ${workflowId}) is running and owns its route; pause or abort it (\`phoenix abort ${family} --reason …\`), or pass --force — the migration then fails its next route change as stale and rolls back`,
      ExitCode.Conflict,
    );
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return;
    if (hasCode(err, 'PHX_ERR_TEMPORAL_UNREACHABLE'))
      throw new CliError(
        'PHX_ERR_TEMPORAL_UNREACHABLE',
        `cannot ask Temporal whether a migration owns "${family}" (${(err as Error).message}); pass --force to set the route without that check`,
        ExitCode.Unavailable,
      );
    throw err;
  } finally {
    await closeTemporalClient();
  }
}

interface RouteSetOptions {
  percent?: number;
  force?: boolean;
  plan?: string;
  routerUrl?: string;
  token?: string;
  json?: boolean;
}

/**
 * `phoenix route set <family> <mode> [--percent N] [--force]`: the router's route by hand, on
 * every member of a fleet; `phoenix route show <family>`: each member's route and guard.
 */
export function register(program: Command): void {
  const route = program
    .command('route')
    .description("Read or change the router's routes by hand (every member of a fleet), without a migration.");
  route
    .command('set')
    .description(
      "Set a family's route on the router: legacy, shadow (legacy serves, new is compared), canary --percent N, or new. Refused while a migration of the family runs, unless --force.",
    )
    .argument('<family>', 'family, as in the plan', familyArg)
    .argument('<mode>', `one of ${MODES.join(', ')}`, modeArg)
    .option('--percent <n>', 'share of traffic on new, for canary (0 < N < 100)', percentFlag)
    .option(
      '--force',
      'set it even while a migration of the family runs (it then rolls back at its next route change) or when Temporal cannot be asked',
    )
    .option(
      '--plan <file>',
      "plan whose data plane to set (when --router-url is not given): every member of the family's dataPlane.members, else its admin URL (router.adminUrl, or its nginx dataPlane.adminUrl)",
    )
    .option('--router-url <url>', `router admin API (default: the plan's router.adminUrl, else ${DEFAULT_ADMIN_URL})`)
    .option('--token <token>', 'router admin token (default: PHOENIX_ADMIN_TOKEN)')
    .option('--json', 'print the route as the router now has it: {family, mode, percent, version, sampleRate, …}')
    .action(async (family: string, mode: RouteMode, opts: RouteSetOptions) => {
      const percent = percentFor(mode, opts.percent);
      const target = await adminUrls(family, opts);
      if (!opts.force) await refuseWhileOwned(family);
      if (target.urls.length > 1) {
        const routes = await withMembers(target, family, opts, (members) =>
          setFleetRoute(members, family, mode, percent),
        );
        print(!!opts.json, { family, members: routes }, () => fleetRouteText(family, routes));
        return;
      }
      const baseUrl = target.urls[0]!;
      const admin = createRouterAdminClient({
        baseUrl,
        token: opts.token ?? process.env.PHOENIX_ADMIN_TOKEN,
        ...(target.timeoutMs !== undefined ? { timeoutMs: target.timeoutMs } : {}),
      });
      let state: RouteState;
      try {
        state = await setNextVersion(admin, family, mode, percent);
      } catch (err) {
        throw routerError(err, family, baseUrl);
      } finally {
        await admin.close();
      }
      print(
        !!opts.json,
        state,
        () =>
          `${family}: ${state.mode}${state.mode === 'canary' ? ` ${state.percent}%` : ''} (version ${state.version}, sampling ${state.sampleRate * 100}% for comparison)`,
      );
    });

  route
    .command('show')
    .description("Show a family's route and guard on the router, or on every member of the plan's fleet.")
    .argument('<family>', 'family, as in the plan', familyArg)
    .option('--plan <file>', 'plan whose data plane to read: every member of dataPlane.members, else router.adminUrl')
    .option('--router-url <url>', `one router's admin API (default: the plan's, else ${DEFAULT_ADMIN_URL})`)
    .option('--token <token>', 'router admin token (default: PHOENIX_ADMIN_TOKEN)')
    .option('--json', 'print {family, members: [{adminUrl, route, guard}]}')
    .action(async (family: string, opts: RouteSetOptions) => {
      const routes = await withMembers(await adminUrls(family, opts), family, opts, (members) =>
        readFleetRoute(members, family),
      );
      print(!!opts.json, { family, members: routes }, () => fleetRouteText(family, routes));
    });
}

/**
 * The admin URLs the command drives: `--router-url`, else the plan's members for the family (a
 * family the plan does not name is the router's to refuse, as without a fleet), else the default;
 * with a plan, each call waits up to its `dataPlane.adminTimeout`.
 */
async function adminUrls(family: string, opts: RouteSetOptions): Promise<ReadTarget> {
  if (opts.routerUrl) return { urls: [opts.routerUrl] };
  const plan = opts.plan ? await loadPlan(opts.plan) : undefined;
  return readTarget(family, { plan }, DEFAULT_ADMIN_URL);
}

/** Runs `body` with an admin client per member, closing them after; errors as the router's. */
async function withMembers<T>(
  target: ReadTarget,
  family: string,
  opts: RouteSetOptions,
  body: (members: FleetMember[]) => Promise<T>,
): Promise<T> {
  try {
    return await withClients(target, opts.token ?? process.env.PHOENIX_ADMIN_TOKEN, body);
  } catch (err) {
    throw routerError(err, family, target.urls.join(', '));
  }
}

/** Sets the route one version above the router's; one retry covers a change that landed in between. */
async function setNextVersion(
  admin: RouterAdminClient,
  family: string,
  mode: RouteMode,
  percent: number,
): Promise<RouteState> {
  for (let attempt = 0; ; attempt++) {
    const current = await admin.getRoute(family);
    try {
      return await admin.setRoute(family, {
        mode,
        percent,
        version: current.version + 1,
        updatedBy: 'phoenix route set',
      });
    } catch (err) {
      if (attempt > 0 || !hasCode(err, 'PHX_ERR_ROUTE_STALE_VERSION')) throw err;
    }
  }
}

function routerError(err: unknown, family: string, baseUrl: string): unknown {
  if (!(err instanceof PhoenixError) || err instanceof CliError) return err;
  const exit: Record<string, ExitCode> = {
    PHX_ERR_ROUTER_UNREACHABLE: ExitCode.Unavailable,
    PHX_ERR_ADMIN_UNKNOWN_FAMILY: ExitCode.NotFound,
    PHX_ERR_ROUTE_STALE_VERSION: ExitCode.Conflict,
    PHX_ERR_FLEET_MEMBER_DOWN: ExitCode.Unavailable,
  };
  const hint =
    err.code === 'PHX_ERR_ROUTER_UNAUTHORIZED'
      ? `; pass the router's admin token with --token or PHOENIX_ADMIN_TOKEN`
      : err.code === 'PHX_ERR_ADMIN_UNKNOWN_FAMILY'
        ? `; the router at ${baseUrl} has no family "${family}" in its plan`
        : '';
  return new CliError(err.code, `${err.message}${hint}`, exit[err.code] ?? ExitCode.Failed);
}
