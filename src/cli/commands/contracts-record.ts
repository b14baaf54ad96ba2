/** `phoenix contracts record`: contract cases from the router's samples or a replayed request list. */
import type { Command } from 'commander';
import { loadFamilyCases } from '../../contracts/cases.js';
import {
  caseFileText,
  caseKey,
  fromSamples,
  ownRequests,
  parseRequestList,
  replayOnBoth,
  withLegacyStatus,
  toCases,
  type RecordedRequest,
} from '../../contracts/record.js';
import type { Plan } from '../../plan/index.js';
import { loadPlan } from '../../plan/index.js';
import { createMatcher } from '../../plan/route-match.js';
import { mergeSamples } from '../../router/merge-records.js';
import { familyArg } from '../flags.js';
import { readEveryMember, readTarget } from '../fleet-read.js';
import { readInputFile } from '../input.js';
import { CliError, ExitCode, writeOutputFile } from '../output.js';

/** Registers `record` under `contracts`. */
export function registerRecord(
  contracts: Command,
  familiesOf: (plan: Plan, family: string | undefined) => Plan['families'],
): void {
  contracts
    .command('record')
    .description(
      "Capture contract cases from real traffic: the router's recent sampled requests, or a list of requests replayed once on legacy and once on new.",
    )
    .requiredOption('--plan <file>', 'plan file (YAML)')
    .requiredOption('--family <name>', 'family to record for', familyArg)
    .option(
      '--from-router',
      "use the router's recent sampled requests (admin API, PHOENIX_ADMIN_TOKEN): every member of the family's data plane, newest first",
    )
    .option('--router-url <url>', "with --from-router: read this one router's samples instead of the plan's members")
    .option('--from-requests <file>', 'a list of requests: "GET /path?x=1" per line, or JSON lines')
    .option('--limit <n>', 'most sampled requests read (in all, across the members)', (v) => Number(v), 200)
    .option(
      '--auth-env <VAR>',
      'requests that carried Authorization get `auth: { env: VAR }` (default: PHOENIX_AUTH_<FAMILY>)',
    )
    .option(
      '--auth-profile <name>',
      'requests that carried Authorization get `auth: <name>`, a profile the file defines with the --auth-env variable',
    )
    .option('--dry-run', 'list what would be recorded and skipped; send nothing, write nothing')
    .requiredOption('--out <file>', 'case file to write (YAML)')
    .action(
      async (o: {
        plan: string;
        family: string;
        fromRouter?: boolean;
        fromRequests?: string;
        routerUrl?: string;
        limit: number;
        authEnv?: string;
        authProfile?: string;
        dryRun?: boolean;
        out: string;
      }) => {
        if (!o.fromRouter === !o.fromRequests)
          throw new CliError(
            'PHX_ERR_CLI_BAD_FLAG',
            'pass exactly one of --from-router or --from-requests <file>',
            ExitCode.Usage,
          );
        if (o.routerUrl !== undefined && !o.fromRouter)
          throw new CliError('PHX_ERR_CLI_BAD_FLAG', '--router-url goes with --from-router', ExitCode.Usage);
        if (o.authEnv !== undefined && !/^[A-Za-z_][A-Za-z0-9_]*$/.test(o.authEnv))
          throw new CliError(
            'PHX_ERR_CLI_BAD_FLAG',
            `--auth-env expects a variable name, got "${o.authEnv}"`,
            ExitCode.Usage,
          );
        const plan = await loadPlan(o.plan);
        const family = familiesOf(plan, o.family)[0]!;
        let listed: RecordedRequest[];
        if (o.fromRouter) {
          // Each member keeps the samples of the requests it served: read them all, newest first.
          const answers = await readEveryMember(
            readTarget(family.name, { routerUrl: o.routerUrl, plan }, plan.router.adminUrl),
            process.env.PHOENIX_ADMIN_TOKEN,
            (admin) => admin.getSamples(family.name, o.limit),
            'nothing was recorded; run it again once the member is back, or read one member with --router-url',
          );
          listed = fromSamples(
            mergeSamples(
              answers.map((a) => a.value),
              o.limit,
            ),
          );
        } else
          listed = parseRequestList(
            await readInputFile(o.fromRequests!, 'the request list (--from-requests)'),
            o.fromRequests!,
          );
        const matcher = createMatcher([family]);
        const { kept, skipped } = ownRequests(listed, (m, p) => matcher.match(m, p) !== undefined);
        const existingCases = await loadFamilyCases(family.contractFiles, family.name);
        const existing = new Set(
          existingCases.flatMap((c) => [
            c.name,
            caseKey(c.request.method, c.request.path, c.request.query, c.request.body),
          ]),
        );
        const env =
          o.authEnv ?? `PHOENIX_AUTH_${(o.authProfile ?? family.name).toUpperCase().replace(/[^A-Z0-9]/g, '_')}`;
        const auth = o.authProfile ?? { env };
        const profiles = o.authProfile ? { [o.authProfile]: { env } } : undefined;
        const lines = skipped.map((r) => `  skipped ${r.method} ${r.path}: not a route of family "${family.name}"`);
        if (o.dryRun) {
          const cases = toCases(kept, existing, { auth });
          process.stdout.write(
            [
              `dry run: would replay ${kept.length} request${kept.length === 1 ? '' : 's'} once on legacy and once on new, and write ${cases.length} case${cases.length === 1 ? '' : 's'} to ${o.out}`,
              ...cases.map((c) => `  record ${c.name}`),
              ...lines,
            ].join('\n') + '\n',
          );
          return;
        }
        // Samples carry legacy's status already (but for redirected safe requests, asked again
        // where their redirects end); a request list is replayed on both sides.
        const requests = o.fromRouter
          ? await withLegacyStatus(kept, family.legacy)
          : await replayOnBoth(kept, family.legacy, family.new);
        const cases = toCases(requests, existing, { auth });
        await writeOutputFile(o.out, caseFileText(family.name, cases, profiles));
        const differ = requests.filter((r) => r.newStatus !== undefined && r.newStatus !== r.status);
        process.stdout.write(
          [
            `wrote ${cases.length} recorded case${cases.length === 1 ? '' : 's'} to ${o.out} (${requests.length - cases.length} already covered or repeated)`,
            ...differ.map((r) => `  ${r.method} ${r.path}: legacy answered ${r.status}, new ${r.newStatus}`),
            ...lines,
            ...(cases.some((c) => c.auth !== undefined)
              ? [
                  `  cases that carried Authorization use ${typeof auth === 'string' ? `the auth profile "${auth}" (` : ''}the environment variable ${env}${typeof auth === 'string' ? ')' : ''} at run time`,
                ]
              : []),
          ].join('\n') + '\n',
        );
      },
    );
}
