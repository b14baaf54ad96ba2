import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Command } from 'commander';
import { groupIntoFamilies, missingInNew, parseFlaskInventory } from '../../contracts/inventory.js';
import { readFlaskUrlMap } from '../../contracts/flask-url-map.js';
import { FAMILY_NAME } from '../../plan/schema.js';
import { routerSettingsSchema } from '../../plan/schema/router.js';
import { CliError, ExitCode, print } from '../output.js';
import { exists, readInputFile, readOpenApiWithServer } from '../input.js';
import { caseSkeletonText, initPlanText, type InitFamily } from '../init-plan.js';

interface InitOptions {
  flaskApp?: string;
  flaskRoutes?: string;
  python?: string;
  appVar?: string;
  openapi: string;
  legacy: string;
  new?: string;
  plan: string;
  name?: string;
  approver?: string[];
  groupBy: string;
  router?: string;
  routerAdmin?: string;
  force?: boolean;
  json?: boolean;
}

function badFlag(message: string): CliError {
  return new CliError('PHX_ERR_CLI_BAD_FLAG', message, ExitCode.Usage);
}

function checkUrl(flag: string, v: string | undefined): void {
  if (v !== undefined && !/^https?:\/\/[^/]/.test(v)) throw badFlag(`${flag} expects an http(s) URL, got "${v}"`);
}

/** The plan's name: --name, else the plan folder's name made a valid family-style name. */
function planName(o: InitOptions): string {
  if (o.name !== undefined) {
    if (!FAMILY_NAME.test(o.name))
      throw badFlag(`--name expects a lower-case name of letters, digits and "-", got "${o.name}"`);
    return o.name;
  }
  const base = path
    .basename(path.dirname(path.resolve(o.plan)))
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-')
    .replace(/^-+|-+$/g, '');
  return /^[a-z]/.test(base) ? base.slice(0, 63) : 'migration';
}

/** The Python of the active virtualenv, else python3 on the PATH. */
function defaultPython(): string {
  const venv = process.env.VIRTUAL_ENV;
  return venv ? path.join(venv, process.platform === 'win32' ? 'Scripts/python.exe' : 'bin/python') : 'python3';
}

/** `phoenix init`. */
export function register(program: Command): void {
  program
    .command('init')
    .description(
      "Write a starter plan and contract case skeletons from a Flask app's routes and the new service's OpenAPI, then print the next steps.",
    )
    .option('--flask-app <app.py|module:app>', "the Flask app, read with scripts/flask-url-map.py in the app's Python")
    .option('--python <bin>', "the app's Python (default: $VIRTUAL_ENV/bin/python, else python3)")
    .option('--app-var <name>', 'the app object in the file (default: app, or a create_app() factory)')
    .option('--flask-routes <file>', 'saved `flask routes` output (or flask-url-map.py JSON), instead of --flask-app')
    .requiredOption(
      '--openapi <url|file>',
      "the new service's OpenAPI document (e.g. http://127.0.0.1:8001/openapi.json)",
    )
    .requiredOption('--legacy <url>', 'where the legacy app answers (e.g. http://127.0.0.1:5000)')
    .option('--new <url>', "the new service's URL (default: the OpenAPI's servers[0].url or the URL it was read from)")
    .option('--plan <file>', 'the plan to write', 'phoenix.yaml')
    .option('--name <name>', "the plan's name (default: the plan folder's name)")
    .option(
      '--approver <name...>',
      'who may approve (default: a placeholder that `plan validate` refuses until replaced)',
    )
    .option('--group-by <how>', 'group endpoints by Flask blueprint or by path prefix', 'blueprint')
    .option('--router <url>', "the router's public URL (default: http://127.0.0.1:8080)")
    .option('--router-admin <url>', "the router's admin API URL (default: http://127.0.0.1:9090)")
    .option('--force', 'overwrite an existing plan and case files')
    .option('--json', 'print what was written as JSON')
    .action(async (o: InitOptions) => {
      if (!o.flaskApp === !o.flaskRoutes)
        throw badFlag('pass exactly one of --flask-app <app.py|module:app> or --flask-routes <file>');
      if (o.groupBy !== 'blueprint' && o.groupBy !== 'prefix')
        throw badFlag(`--group-by expects "blueprint" or "prefix", got "${o.groupBy}"`);
      for (const [flag, v] of [
        ['--legacy', o.legacy],
        ['--new', o.new],
        ['--router', o.router],
        ['--router-admin', o.routerAdmin],
      ] as const)
        checkUrl(flag, v);
      const name = planName(o);
      if (!o.force && (await exists(o.plan)))
        throw new CliError(
          'PHX_ERR_INIT_PLAN_EXISTS',
          `${o.plan} already exists and is left as it is; pass --force to overwrite it, or --plan <file> to write another`,
          ExitCode.Conflict,
        );

      const python = o.python ?? defaultPython();
      const endpoints = o.flaskApp
        ? await readFlaskUrlMap({ app: o.flaskApp, python, appVar: o.appVar })
        : parseFlaskInventory(await readInputFile(o.flaskRoutes!, 'the Flask routes (--flask-routes)'), o.flaskRoutes!);
      if (endpoints.length === 0)
        throw new CliError(
          'PHX_ERR_INIT_NO_ENDPOINTS',
          `${o.flaskApp ?? o.flaskRoutes} lists no endpoints besides static files; check that it is the app's file (or --app-var)`,
        );
      const fresh = await readOpenApiWithServer(o.openapi);
      const newUrl = o.new ?? fresh.serverUrl;
      if (newUrl === undefined)
        throw new CliError(
          'PHX_ERR_INIT_NEW_REQUIRED',
          `the OpenAPI document ${o.openapi} does not say where the new service runs (no absolute servers[0].url): pass --new <url>`,
          ExitCode.Usage,
        );

      const missing = new Set(missingInNew(endpoints, fresh.endpoints).map((e) => `${e.method} ${e.path}`));
      const groups = groupIntoFamilies(endpoints, o.groupBy);
      const families: InitFamily[] = groups
        .map((g) => ({
          name: g.name,
          routes: g.routes.filter((r) => !missing.has(r)),
          missingInNew: g.routes.filter((r) => missing.has(r)),
        }))
        .filter((f) => f.routes.length > 0);
      if (families.length === 0)
        throw new CliError(
          'PHX_ERR_INIT_NOTHING_TO_MIGRATE',
          `the new service (${o.openapi}) has none of the ${endpoints.length} legacy endpoints: check --openapi`,
        );
      const notInNew = endpoints.filter(
        (e) =>
          missing.has(`${e.method} ${e.path}`) &&
          !families.some((f) => f.missingInNew.includes(`${e.method} ${e.path}`)),
      );

      const planDir = path.dirname(path.resolve(o.plan));
      const defaults = routerSettingsSchema.parse({});
      const contractsGlob = (family: string): string => `contracts/${family}/*.yaml`;
      const planText = initPlanText({
        name,
        legacy: o.legacy,
        new: newUrl,
        legacySource: o.flaskApp ? `${o.flaskApp} (Flask URL map)` : `${o.flaskRoutes} (flask routes)`,
        openApiSource: o.openapi,
        groupBy: o.groupBy,
        router: {
          publicUrl: o.router ?? defaults.publicUrl,
          adminUrl: o.routerAdmin ?? defaults.adminUrl,
          stateFile: defaults.stateFile,
        },
        approvers: o.approver ?? [],
        families,
        notInNew,
        contractsGlob,
      });
      await mkdir(planDir, { recursive: true });
      const contracts: { family: string; file: string; written: boolean }[] = [];
      for (const f of families) {
        const text = caseSkeletonText(f);
        const file = path.join(planDir, 'contracts', f.name, 'hand.yaml');
        const rel = path.relative(process.cwd(), file);
        if (text === undefined) continue;
        if (!o.force && (await exists(file))) {
          contracts.push({ family: f.name, file: rel, written: false });
          continue;
        }
        await mkdir(path.dirname(file), { recursive: true });
        await writeFile(file, text);
        contracts.push({ family: f.name, file: rel, written: true });
      }
      await writeFile(o.plan, planText);

      const phx = process.env.npm_command === 'exec' ? 'npx phoenix' : 'phoenix';
      const first = families[0]!.name;
      const placeholder = (o.approver ?? []).length === 0;
      const nextSteps = [
        ...(placeholder ? [`edit ${o.plan}: replace the approvers placeholder with who may approve`] : []),
        `${phx} plan validate ${o.plan}`,
        `${phx} contracts run --plan ${o.plan}`,
        `PHOENIX_ADMIN_TOKEN=<token> ${phx} router --plan ${o.plan}`,
        `PHOENIX_ADMIN_TOKEN=<token> ${phx} route set ${first} shadow --plan ${o.plan}`,
        `${phx} setup`,
        `PHOENIX_ADMIN_TOKEN=<token> ${phx} worker`,
        `${phx} start ${first} --plan ${o.plan}`,
      ];
      print(
        !!o.json,
        {
          plan: o.plan,
          name,
          legacy: o.legacy,
          new: newUrl,
          approvers: o.approver ?? [],
          approversPlaceholder: placeholder,
          families,
          notInNew: notInNew.map((e) => `${e.method} ${e.path}`),
          contracts,
          nextSteps,
        },
        () =>
          [
            `wrote ${o.plan}: ${families.length} famil${families.length === 1 ? 'y' : 'ies'} from ${endpoints.length} legacy endpoints`,
            ...families.map(
              (f) =>
                `  ${f.name}: ${f.routes.length} route${f.routes.length === 1 ? '' : 's'}${f.missingInNew.length ? ` (${f.missingInNew.length} not in the new service yet, left out)` : ''}`,
            ),
            ...(notInNew.length
              ? [`  not in the new service, left on legacy: ${notInNew.map((e) => `${e.method} ${e.path}`).join(', ')}`]
              : []),
            ...contracts.map((c) => `${c.written ? 'wrote' : 'kept existing'} ${c.file}`),
            ...families
              .filter((f) => !contracts.some((c) => c.family === f.name))
              .map(
                (f) =>
                  `no case skeleton for ${f.name} (its routes need parameter values): write ${path.relative(process.cwd(), path.join(planDir, contractsGlob(f.name).replace('*', 'hand')))}`,
              ),
            '',
            'Next steps (docs/own-app.md walks through them):',
            ...nextSteps.map((s, k) => `  ${k + 1}. ${s}`),
          ].join('\n'),
      );
    });
}
