import { writeFile } from 'node:fs/promises';
import { userInfo } from 'node:os';
import { basename, dirname, resolve } from 'node:path';
import type { Command } from 'commander';
import { isMap, isSeq, parseDocument, type YAMLMap, type YAMLSeq } from 'yaml';
import {
  groupIntoFamilies,
  mapByPlan,
  missingInNew,
  parseFlaskInventory,
  type ProposedFamily,
} from '../../contracts/inventory.js';
import { loadPlan, migrationOrder, parseRoutePattern, patternsCover } from '../../plan/index.js';
import { CliError, ExitCode, print } from '../output.js';
import { exists, readInputFile, readOpenApi, readOpenApiWithServer } from '../input.js';

/** The families already in the plan text (name and routes), read leniently: the plan may be a draft. */
function planFamilies(text: string): { name: string; routes: string[] }[] {
  let families: { families?: unknown } | null;
  try {
    families = parseDocument(text).toJS({ maxAliasCount: 100 }) as { families?: unknown } | null;
  } catch (err) {
    throw new CliError(
      'PHX_ERR_PLAN_INVALID',
      `the plan cannot be read as YAML: ${(err as Error).message}`,
      ExitCode.Failed,
    );
  }
  if (!Array.isArray(families?.families)) return [];
  return families.families.flatMap((f: unknown) => {
    const { name, routes } = (f ?? {}) as { name?: unknown; routes?: unknown };
    return typeof name === 'string' && Array.isArray(routes)
      ? [{ name, routes: routes.filter((r): r is string => typeof r === 'string') }]
      : [];
  });
}

/** Adds proposed families and routes to the plan text, keeping everything already there. */
export function mergeIntoPlan(
  text: string,
  proposed: readonly ProposedFamily[],
  newUrl: string | undefined,
): { text: string; addedFamilies: string[]; addedRoutes: number } {
  const doc = parseDocument(text);
  const families = doc.get('families', true);
  if (!isSeq(families))
    throw new CliError('PHX_ERR_PLAN_INVALID', 'the plan has no "families" list to update', ExitCode.Failed);
  // A stub `families: []` is a flow sequence: what is added is written block-style all the same.
  families.flow = false;
  const byName = new Map<string, YAMLMap>();
  for (const item of families.items) if (isMap(item)) byName.set(String(item.get('name')), item);
  const addedFamilies: string[] = [];
  let addedRoutes = 0;
  for (const p of proposed) {
    const existing = byName.get(p.name);
    if (!existing) {
      if (newUrl === undefined)
        throw new CliError(
          'PHX_ERR_INVENTORY_NEW_REQUIRED',
          `family "${p.name}" is added and needs the new service's URL: pass --new <url>, or --openapi with a URL or a document whose servers[0].url is absolute`,
          ExitCode.Usage,
        );
      families.add(doc.createNode({ name: p.name, routes: p.routes, new: newUrl }));
      addedFamilies.push(p.name);
      continue;
    }
    const routes = existing.get('routes', true);
    if (!isSeq(routes)) continue;
    const current = (routes as YAMLSeq).items.map((r) => String((r as { value?: unknown }).value ?? r));
    for (const r of p.routes) {
      if (patternsCover(current, r)) continue;
      (routes as YAMLSeq).add(doc.createNode(r));
      addedRoutes++;
    }
  }
  return { text: doc.toString(), addedFamilies, addedRoutes };
}

/** The text of a plan that does not exist yet: what `plan validate` needs, families to be added. */
export function newPlanText(planFile: string, legacy: string, approvers: readonly string[]): string {
  const base = basename(dirname(resolve(planFile)))
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-')
    .replace(/^-+|-+$/g, '');
  const name = /^[a-z]/.test(base) ? base.slice(0, 63) : 'migration';
  return `# Written by \`phoenix inventory import\`; edit freely (docs/plan-reference.md).\nversion: 1\nname: ${name}\nlegacy: ${legacy}\n# Who may approve ramps and cutovers.\napprovers:\n${approvers.map((a) => `  - ${JSON.stringify(a)}\n`).join('')}families: []\n`;
}

/** The user running the command (a container user may have no name: then `$USER` or "owner"). */
function currentUser(): string {
  try {
    return userInfo().username;
  } catch {
    return process.env.USER ?? 'owner';
  }
}

/** `phoenix inventory import|order`. */
export function register(program: Command): void {
  const inventory = program
    .command('inventory')
    .description('Endpoint inventory: import from Flask and OpenAPI, group into families, migration order.');
  inventory
    .command('import')
    .description(
      'Read the legacy endpoints (scripts/flask-url-map.py JSON or `flask routes` output), group them into families and propose (or --write) them into the plan.',
    )
    .requiredOption('--flask <file>', 'output of `python scripts/flask-url-map.py app.py` or of `flask routes`')
    .requiredOption('--plan <file>', 'plan file to update')
    .option('--openapi <url|file>', "the new service's openapi.json, to list endpoints it does not have yet")
    .option(
      '--group-by <how>',
      "how endpoints no plan family covers are grouped: blueprint, prefix, or plan (only the plan's families; the rest are listed as unassigned)",
      'blueprint',
    )
    .option(
      '--new <url>',
      "new service URL for families that are added (default: the OpenAPI's servers[0].url, or the URL --openapi was read from)",
    )
    .option('--legacy <url>', 'legacy service URL, when the plan does not exist yet and is created')
    .option('--approver <name...>', 'who may approve, when the plan is created (default: the current user)')
    .option('--write', 'write the merged plan (keeps comments and hand edits; only adds)')
    .option('--json', 'print the inventory as JSON')
    .action(
      async (o: {
        flask: string;
        plan: string;
        openapi?: string;
        groupBy: string;
        new?: string;
        legacy?: string;
        approver?: string[];
        write?: boolean;
        json?: boolean;
      }) => {
        if (o.groupBy !== 'blueprint' && o.groupBy !== 'prefix' && o.groupBy !== 'plan') {
          throw new CliError(
            'PHX_ERR_CLI_BAD_FLAG',
            `--group-by expects "blueprint", "prefix" or "plan", got "${o.groupBy}"`,
            ExitCode.Usage,
          );
        }
        const legacy = parseFlaskInventory(await readInputFile(o.flask, 'the Flask inventory (--flask)'), o.flask);
        const created = !(await exists(o.plan));
        if (created && o.legacy === undefined)
          throw new CliError(
            'PHX_ERR_INVENTORY_LEGACY_REQUIRED',
            `the plan ${o.plan} does not exist yet: pass --legacy <url> (the legacy service) to create it`,
            ExitCode.Usage,
          );
        for (const [flag, v] of [
          ['--new', o.new],
          ['--legacy', o.legacy],
        ] as const)
          if (v !== undefined && !/^https?:\/\/[^/]/.test(v))
            throw new CliError('PHX_ERR_CLI_BAD_FLAG', `${flag} expects an http(s) URL, got "${v}"`, ExitCode.Usage);
        const planText = created
          ? newPlanText(o.plan, o.legacy!, o.approver ?? [currentUser()])
          : await readInputFile(o.plan, 'the plan (--plan)');
        // The plan's own families are the explicit mapping; only what they do not cover is grouped.
        const { mapped, unmapped } = mapByPlan(legacy, planFamilies(planText));
        const proposed = o.groupBy === 'plan' ? [] : groupIntoFamilies(unmapped, o.groupBy);
        const unassigned = o.groupBy === 'plan' ? unmapped : [];
        const fresh = o.openapi ? await readOpenApiWithServer(o.openapi) : undefined;
        const missing = fresh ? missingInNew(legacy, fresh.endpoints) : [];
        // Only a write needs the URL: a preview of what would be added does not write it anywhere.
        const newUrl = o.new ?? fresh?.serverUrl ?? (o.write ? undefined : 'http://new.invalid');
        const merged = mergeIntoPlan(planText, proposed, newUrl);
        if (o.write) await writeFile(o.plan, merged.text);
        const byPlan = Object.fromEntries(
          [...mapped].map(([name, es]) => [name, es.map((e) => `${e.method} ${e.path}`)]),
        );
        print(
          !!o.json,
          {
            endpoints: legacy,
            mappedByPlan: byPlan,
            families: proposed,
            unassigned,
            missingInNew: missing,
            added: { families: merged.addedFamilies, routes: merged.addedRoutes },
            written: !!o.write,
            created: created && !!o.write,
          },
          () =>
            [
              `${legacy.length} legacy endpoints: ${legacy.length - unmapped.length} covered by the plan's families, ${unmapped.length} not:`,
              ...[...mapped].map(
                ([name, es]) => `  ${name} (in the plan): ${es.map((e) => `${e.method} ${e.path}`).join(', ')}`,
              ),
              ...proposed.map((f) => `  ${f.name} (by ${o.groupBy}): ${f.routes.join(', ')}`),
              ...(unassigned.length
                ? [
                    `unassigned (no family in the plan covers them):`,
                    ...unassigned.map((e) => `  ${e.method} ${e.path}`),
                  ]
                : []),
              ...(o.openapi
                ? [
                    missing.length === 0
                      ? 'the new service has every endpoint'
                      : `not in the new service yet (${missing.length}):`,
                    ...missing.map((e) => `  ${e.method} ${e.path}`),
                  ]
                : []),
              `${o.write ? (created ? `created ${o.plan} with` : 'wrote') : 'would add (pass --write)'}: ${merged.addedFamilies.length} families${merged.addedFamilies.length ? ` (${merged.addedFamilies.join(', ')})` : ''}, ${merged.addedRoutes} routes to existing families`,
            ].join('\n'),
        );
      },
    );
  inventory
    .command('order')
    .description("Print the migration order from the plan's dependsOn (a cycle is an error naming it).")
    .requiredOption('--plan <file>', 'plan file')
    .option('--openapi <url|file>', 'mark endpoints the new service does not have yet')
    .option('--json', 'print the order as JSON')
    .action(async (o: { plan: string; openapi?: string; json?: boolean }) => {
      const plan = await loadPlan(o.plan);
      const fresh = o.openapi ? await readOpenApi(o.openapi) : undefined;
      const order = migrationOrder(plan.families).map((f, i) => {
        const endpoints = f.routes.flatMap((r) => {
          const p = parseRoutePattern(r);
          if (typeof p === 'string') return [];
          const path = `/${p.segments.map((s) => (s.kind === 'literal' ? s.value : s.kind === 'param' ? `:${s.name}` : '*')).join('/')}`;
          return (p.methods ?? ['GET']).filter((m) => m !== 'HEAD').map((method) => ({ method, path }));
        });
        return {
          position: i + 1,
          family: f.name,
          dependsOn: f.dependsOn,
          missingInNew: fresh ? missingInNew(endpoints, fresh).map((e) => `${e.method} ${e.path}`) : undefined,
        };
      });
      print(!!o.json, order, () =>
        order
          .map(
            (x) =>
              `${x.position}. ${x.family}${x.dependsOn.length ? ` (after ${x.dependsOn.join(', ')})` : ''}${x.missingInNew?.length ? ` — not in the new service: ${x.missingInNew.join(', ')}` : ''}`,
          )
          .join('\n'),
      );
    });
}
