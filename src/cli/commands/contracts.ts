import { mkdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { Command } from 'commander';
import { familyArg } from '../flags.js';
import { readJsonInput, readOpenApi } from '../input.js';
import { computeCoverage, matrixHtml, matrixMarkdown } from '../../contracts/coverage.js';
import { toJUnit, toTable } from '../../contracts/report.js';
import { caseFileText } from '../../contracts/record.js';
import { registerRecord } from './contracts-record.js';
import { loadFamilyCases } from '../../contracts/cases.js';
import { generateCases } from '../../contracts/generate.js';
import { runContractSuite, type ContractSuiteResult } from '../../contracts/runner.js';
import { loadPlan, type Plan } from '../../plan/index.js';
import { CliError, ExitCode, print, writeOutputFile } from '../output.js';

/** The plan's families, or the one named (unknown: `PHX_ERR_UNKNOWN_FAMILY`, exit 4). */
export function familiesOf(plan: Plan, family: string | undefined): Plan['families'] {
  if (!family) return plan.families;
  const f = plan.families.find((x) => x.name === family);
  if (!f)
    throw new CliError(
      'PHX_ERR_UNKNOWN_FAMILY',
      `the plan has no family "${family}" (families: ${plan.families.map((x) => x.name).join(', ')})`,
      ExitCode.NotFound,
    );
  return [f];
}

function percent(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0 || n > 100)
    throw new CliError('PHX_ERR_CLI_BAD_FLAG', `--min expects a percentage 0–100, got "${value}"`, ExitCode.Usage);
  return n;
}

/** Where `contracts run` writes its results by default: next to the plan, in `.phoenix/`. */
export function lastResultsFile(planFile: string): string {
  return join(dirname(planFile), '.phoenix', 'contract-results.json');
}

/**
 * The suites a report is built from: the results of a previous `contracts run` (`--from-results`,
 * without a file: the last one written next to the plan), so writes are not sent again; otherwise
 * a fresh run.
 */
async function suitesFor(
  plan: Plan,
  planFile: string,
  family: string | undefined,
  fromResults: string | boolean | undefined,
): Promise<ContractSuiteResult[]> {
  if (fromResults === undefined || fromResults === false) return runAll(plan, family, 'parity', 8);
  const file = fromResults === true ? lastResultsFile(planFile) : fromResults;
  const doc = await readJsonInput(file, 'the contract results (--from-results; written by `phoenix contracts run`)');
  const suites = (Array.isArray(doc) ? doc : (doc as { suites?: unknown }).suites) as ContractSuiteResult[] | undefined;
  if (!Array.isArray(suites) || suites.some((x) => typeof x?.family !== 'string' || !Array.isArray(x.cases)))
    throw new CliError(
      'PHX_ERR_INPUT_INVALID',
      `${file} is not a contract results file (expected the JSON \`phoenix contracts run\` writes)`,
      ExitCode.Failed,
    );
  const names = new Set(familiesOf(plan, family).map((f) => f.name));
  return suites.filter((x) => names.has(x.family));
}

async function runAll(
  plan: Plan,
  family: string | undefined,
  mode: 'parity' | 'new-only',
  concurrency: number,
): Promise<ContractSuiteResult[]> {
  const out: ContractSuiteResult[] = [];
  for (const f of familiesOf(plan, family)) out.push(await runContractSuite({ family: f, mode, concurrency }));
  return out;
}

const FROM_RESULTS = '--from-results [file]';
const FROM_RESULTS_HELP =
  'use the results of a previous `contracts run` instead of running the cases again (default file: the last one it wrote)';

/** `phoenix contracts run|coverage|matrix`. */
export function register(program: Command): void {
  const contracts = program
    .command('contracts')
    .description('Contract cases: run them, measure coverage, build the compatibility matrix.');
  contracts
    .command('run')
    .description('Replay the contract cases against legacy and new directly; exit 1 when any case fails.')
    .requiredOption('--plan <file>', 'plan file (YAML)')
    .option('--family <name>', 'only this family (default: every family)', familyArg)
    .option('--mode <mode>', 'parity (legacy and new, compared) or new-only', 'parity')
    .option(
      '--concurrency <n>',
      'safe cases in flight at once (unsafe ones always run alone, in file order)',
      (v) => Number(v),
      8,
    )
    .option('--junit <file>', 'also write JUnit XML')
    .option(
      '--results <file>',
      'where to write the results JSON (default: .phoenix/contract-results.json next to the plan)',
    )
    .option('--json', 'print the results as JSON')
    .action(
      async (o: {
        plan: string;
        family?: string;
        mode: string;
        concurrency: number;
        junit?: string;
        results?: string;
        json?: boolean;
      }) => {
        if (o.mode !== 'parity' && o.mode !== 'new-only')
          throw new CliError(
            'PHX_ERR_CLI_BAD_FLAG',
            `--mode expects "parity" or "new-only", got "${o.mode}"`,
            ExitCode.Usage,
          );
        if (!Number.isInteger(o.concurrency) || o.concurrency < 1)
          throw new CliError('PHX_ERR_CLI_BAD_FLAG', '--concurrency expects a whole number ≥ 1', ExitCode.Usage);
        const suites = await runAll(await loadPlan(o.plan), o.family, o.mode, o.concurrency);
        if (o.junit) await writeOutputFile(o.junit, toJUnit(suites));
        const resultsFile = o.results ?? lastResultsFile(o.plan);
        await mkdir(dirname(resultsFile), { recursive: true });
        await writeOutputFile(resultsFile, `${JSON.stringify({ plan: o.plan, suites }, null, 2)}\n`);
        print(!!o.json, suites, () => toTable(suites));
        if (suites.some((s) => s.failed > 0 || s.steps.some((x) => !x.ok))) process.exitCode = ExitCode.Failed;
      },
    );
  registerRecord(contracts, familiesOf);
  contracts
    .command('generate')
    .description(
      "Generate cases from the new service's OpenAPI: one per GET operation of the family, path parameters from existing cases or OpenAPI examples.",
    )
    .requiredOption('--plan <file>', 'plan file (YAML)')
    .requiredOption('--family <name>', 'family to generate for', familyArg)
    .requiredOption('--openapi <url|file>', "the new service's openapi.json")
    .requiredOption('--out <file>', 'case file to write (YAML)')
    .option(
      '--include-unsafe',
      'also generate POST/PUT/PATCH cases from OpenAPI example bodies (they change data in legacy and new when run)',
    )
    .action(async (o: { plan: string; family: string; openapi: string; out: string; includeUnsafe?: boolean }) => {
      const plan = await loadPlan(o.plan);
      const [family] = familiesOf(plan, o.family);
      const doc = await readJsonInput(o.openapi, 'the OpenAPI document (--openapi)');
      const existing = await loadFamilyCases(family!.contractFiles, family!.name);
      const r = generateCases(doc, family!, existing, { includeUnsafe: !!o.includeUnsafe });
      await writeOutputFile(
        o.out,
        caseFileText(family!.name, r.cases).replace(
          'Recorded from traffic by `phoenix contracts record`',
          'Generated from OpenAPI by `phoenix contracts generate`',
        ),
      );
      process.stdout.write(
        [
          `wrote ${r.cases.length} generated case${r.cases.length === 1 ? '' : 's'} to ${o.out}`,
          ...r.skipped.map((x) => `  skipped ${x.operation}: ${x.why}`),
        ].join('\n') + '\n',
      );
    });
  contracts
    .command('coverage')
    .description('Contract coverage: endpoints with at least one passing case ÷ all endpoints, per family and overall.')
    .requiredOption('--plan <file>', 'plan file (YAML)')
    .option('--family <name>', 'only this family', familyArg)
    .option('--min <percent>', 'exit 1 when overall coverage is below this', percent)
    .option('--source <source...>', 'count only cases of these sources (hand, recorded, generated)')
    .option(FROM_RESULTS, FROM_RESULTS_HELP)
    .option('--json', 'print the report as JSON')
    .action(
      async (o: {
        plan: string;
        family?: string;
        min?: number;
        source?: ('hand' | 'recorded' | 'generated')[];
        fromResults?: string | boolean;
        json?: boolean;
      }) => {
        const plan = await loadPlan(o.plan);
        const families = familiesOf(plan, o.family);
        const suites = await suitesFor(plan, o.plan, o.family, o.fromResults);
        const report = computeCoverage(families, suites, { sources: o.source });
        print(!!o.json, report, () =>
          [
            ...report.families.map(
              (f) =>
                `${f.family.padEnd(16)} ${(f.coverage * 100).toFixed(0).padStart(3)}%  (${f.covered}/${f.endpoints} endpoints)`,
            ),
            `overall          ${(report.coverage * 100).toFixed(0).padStart(3)}%  (${report.covered}/${report.endpoints})`,
          ].join('\n'),
        );
        if (o.min !== undefined && report.coverage * 100 < o.min) {
          process.stderr.write(
            `PHX_ERR_COVERAGE_BELOW_MIN: coverage ${(report.coverage * 100).toFixed(1)}% is below --min ${o.min}%\n`,
          );
          process.exitCode = ExitCode.Failed;
        }
      },
    );
  contracts
    .command('matrix')
    .description('The compatibility matrix per endpoint: unchanged, adapted, deprecated, missing, failing, untested.')
    .requiredOption('--plan <file>', 'plan file (YAML)')
    .option('--format <format>', 'md, json or html', 'md')
    .option('--out <file>', 'write to a file instead of stdout')
    .option(
      '--openapi <url|file>',
      'the new service\'s openapi.json: endpoints it has no operation for are "missing" (otherwise inferred from 404/405 answers)',
    )
    .option(FROM_RESULTS, FROM_RESULTS_HELP)
    .action(
      async (o: { plan: string; format: string; out?: string; openapi?: string; fromResults?: string | boolean }) => {
        if (!['md', 'json', 'html'].includes(o.format))
          throw new CliError(
            'PHX_ERR_CLI_BAD_FLAG',
            `--format expects md, json or html, got "${o.format}"`,
            ExitCode.Usage,
          );
        const plan = await loadPlan(o.plan);
        const newOperations = o.openapi ? await readOpenApi(o.openapi) : undefined;
        const suites = await suitesFor(plan, o.plan, undefined, o.fromResults);
        const report = computeCoverage(plan.families, suites, { newOperations });
        const text =
          o.format === 'json'
            ? `${JSON.stringify(report, null, 2)}\n`
            : o.format === 'html'
              ? matrixHtml(report, `Compatibility matrix — ${plan.name}`)
              : `${matrixMarkdown(report)}\n`;
        if (o.out) {
          await writeOutputFile(o.out, text);
          process.stdout.write(`wrote ${o.out}\n`);
        } else process.stdout.write(text);
      },
    );
}
