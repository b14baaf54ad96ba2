import type { Command } from 'commander';
import { TRIAGE_DECISIONS, type TriageDecision, type TriageEntry } from '../../parity/signature.js';
import { writeDecision } from '../../plan/baseline.js';
import { loadPlan, type Plan } from '../../plan/index.js';
import { mergeSignatures, type FleetSignatures } from '../../router/merge-records.js';
import { triageUpdate } from '../../workflows/messages.js';
import { familyArg, nonEmpty } from '../flags.js';
import { readAnswering, readEveryMember, readTarget } from '../fleet-read.js';
import { registerRecords } from '../parity-records.js';
import { CliError, ExitCode, print } from '../output.js';
import { closeTemporalClient, migrationHandle, toCliError } from '../temporal-client.js';

const DEFAULT_ADMIN_URL = 'http://127.0.0.1:9090';

interface RouterFlags {
  routerUrl?: string;
  token?: string;
  plan?: string;
}

function collectSignature(value: string, previous: string[] = []): string[] {
  return [...previous, signatureArg(value)];
}

function signatureArg(value: string): string {
  if (!/^[0-9a-f]{12}$/.test(value))
    throw new CliError(
      'PHX_ERR_CLI_BAD_ARGUMENT',
      `signature-id: expected the 12 hex digits \`phoenix parity diffs\` lists, got ${JSON.stringify(value)}`,
      ExitCode.Usage,
    );
  return value;
}

/**
 * The family's signatures from every member of its data plane (`--router-url`: that one router),
 * merged (`mergeSignatures`). A member that does not answer fails the listing
 * (`PHX_ERR_FLEET_MEMBER_DOWN`, naming it): counts without it would be short.
 */
async function readSignatures(family: string, o: RouterFlags): Promise<FleetSignatures> {
  const plan = o.plan && !o.routerUrl ? await loadPlan(o.plan) : undefined;
  const answers = await readEveryMember(
    readTarget(family, { routerUrl: o.routerUrl, plan }, DEFAULT_ADMIN_URL),
    o.token ?? process.env.PHOENIX_ADMIN_TOKEN,
    (admin) => admin.getSignatures(family),
    'nothing was listed; run it again once the member is back, or read one member with --router-url',
  );
  return mergeSignatures(answers);
}

/**
 * Signature texts as any member lists them (for a readable baseline): the members that answer
 * within 1.5 s; none is an error, the baseline's own texts are the next best.
 */
async function knownTexts(family: string, plan: Plan, o: RouterFlags): Promise<Map<string, string>> {
  const answers = await readAnswering(
    { ...readTarget(family, { routerUrl: o.routerUrl, plan }, DEFAULT_ADMIN_URL), timeoutMs: 1500 },
    o.token ?? process.env.PHOENIX_ADMIN_TOKEN,
    (admin) => admin.getSignatures(family),
  );
  const texts = new Map<string, string>();
  for (const a of answers) for (const s of a.value.signatures) if (!texts.has(s.id)) texts.set(s.id, s.text);
  return texts;
}

function cut(text: string, n: number): string {
  return text.length <= n ? text : `${text.slice(0, n - 1)}…`;
}

function table(r: FleetSignatures): string {
  const across = r.members.length > 1 ? ` across ${r.members.length} members (${r.members.join(', ')})` : '';
  if (r.signatures.length === 0)
    return `no differences seen for ${r.family}${across} since ${new Date(r.since).toISOString()}`;
  const rows = r.signatures.map((s) => {
    const e = s.examples[0];
    const example = e
      ? `${e.requestId} ${JSON.stringify(e.legacy) ?? '∅'} → ${JSON.stringify(e.candidate) ?? '∅'}`
      : '';
    return [s.id, String(s.count), s.decision ?? 'untriaged', s.text, cut(example, 80)];
  });
  const head = ['ID', 'COUNT', 'DECISION', 'SIGNATURE', 'EXAMPLE'];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
  const line = (cells: string[]): string =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  const waiting = r.signatures.filter((s) => s.decision === undefined).length;
  return [
    line(head),
    ...rows.map(line),
    '',
    `${r.signatures.length} signatures${across}, ${waiting} waiting for triage (phoenix parity accept|noise|block ${r.family} <id>)`,
  ].join('\n');
}

/** Sends the decision to the family's running migration; says so when there is none. */
async function sendToMigration(family: string, entry: TriageEntry): Promise<string> {
  try {
    const handle = await migrationHandle(family);
    let running: boolean;
    try {
      running = (await handle.describe()).status.name === 'RUNNING';
    } catch (err) {
      if ((err as { name?: string }).name === 'WorkflowNotFoundError') return 'no migration is running for it';
      throw err;
    }
    if (!running) return 'its migration is not running';
    const r = await handle.executeUpdate(triageUpdate, {
      args: [
        {
          signature: entry.id,
          decision: entry.decision,
          approver: entry.by,
          reason: entry.reason,
          text: entry.text,
          via: 'cli',
        },
      ],
    });
    return `sent to the running migration (${r.decisions} decisions in force)`;
  } catch (err) {
    toCliError(err, family);
  } finally {
    await closeTemporalClient();
  }
}

function registerDecision(parity: Command, decision: TriageDecision, description: string): void {
  parity
    .command(decision)
    .description(description)
    .argument('<family>', 'family the signatures were seen in', familyArg)
    .argument(
      '<signature-id...>',
      'one or more ids `phoenix parity diffs` lists (one reason for all)',
      collectSignature,
    )
    .requiredOption('--as <user>', "who decides (a name from the plan's approvers)", nonEmpty('--as'))
    .requiredOption('--plan <file>', 'plan file (YAML); its baseline file gets the decision')
    .option('--reason <text>', `why${decision === 'accept' ? ' (required)' : ''}`)
    .option(
      '--router-url <url>',
      "one router's admin API, for the signature's text (default: every member of the family's data plane in the plan)",
    )
    .option('--token <token>', 'router admin token (default: PHOENIX_ADMIN_TOKEN)')
    .option('--no-migration', 'only write the baseline; do not send the decision to a running migration')
    .option('--json', 'print the decisions as JSON')
    .action(
      async (
        family: string,
        ids: string[],
        o: RouterFlags & { as: string; plan: string; reason?: string; migration: boolean; json?: boolean },
      ) => {
        const reason = o.reason?.trim() || undefined;
        if (decision === 'accept' && !reason)
          throw new CliError(
            'PHX_ERR_CLI_BAD_FLAG',
            '--reason is required to accept a signature: say why the change is intended',
            ExitCode.Usage,
          );
        const plan = await loadPlan(o.plan);
        const fam = plan.families.find((f) => f.name === family);
        if (!fam)
          throw new CliError(
            'PHX_ERR_UNKNOWN_FAMILY',
            `no family "${family}" in ${o.plan} (families: ${plan.families.map((f) => f.name).join(', ')})`,
            ExitCode.NotFound,
          );
        const approvers = fam.approval.approvers;
        if (!approvers.includes(o.as))
          throw new CliError(
            'PHX_ERR_APPROVAL_REFUSED',
            `"${o.as}" may not triage ${family}; allowed: ${approvers.join(', ') || 'nobody (list approvers in the plan)'}`,
            ExitCode.Conflict,
          );
        // The text makes the baseline readable in review; without any member the id alone is kept.
        const known = await knownTexts(family, plan, o);
        const at = new Date().toISOString();
        const entries: TriageEntry[] = [...new Set(ids)].map((id) => {
          const text = known.get(id) ?? fam.triage?.find((e) => e.id === id)?.text;
          return { id, decision, ...(reason ? { reason } : {}), by: o.as, at, ...(text ? { text } : {}) };
        });
        for (const entry of entries) await writeDecision(plan.baselineFile!, family, entry);
        const sent: string[] = [];
        try {
          for (const entry of entries)
            sent.push(o.migration ? await sendToMigration(family, entry) : 'not sent (--no-migration)');
        } catch (err) {
          if (err instanceof CliError && err.code === 'PHX_ERR_TEMPORAL_UNREACHABLE')
            throw new CliError(
              err.code,
              `written to ${plan.baselineFile}, but the running migration was not told: ${err.message}. ` +
                'Run the same command again once Temporal is reachable (the baseline write is idempotent), or pass --no-migration.',
              err.exitCode,
            );
          throw err;
        }
        print(
          !!o.json,
          {
            family,
            baseline: plan.baselineFile,
            decisions: entries.map((entry, i) => ({ entry, migration: sent[i] })),
          },
          () =>
            entries
              .map(
                (e, i) =>
                  `${decision} ${e.id}${e.text ? ` (${e.text})` : ''} for ${family}: written to ${plan.baselineFile}; ${sent[i]}`,
              )
              .join('\n'),
        );
      },
    );
}

/** `phoenix parity diffs|accept|noise|block|records`: list difference signatures and decide them, list records. */
export function register(program: Command): void {
  const parity = program
    .command('parity')
    .description('Difference signatures of shadow comparisons, and the triage decisions the parity gate honours.');
  parity
    .command('diffs')
    .description(
      "List a family's difference signatures: count, decision and an example request (router admin API; every member of a fleet, merged).",
    )
    .argument('<family>', 'family to list', familyArg)
    .option(
      '--router-url <url>',
      `one router's admin API (default: every member of the family's data plane in --plan, else ${DEFAULT_ADMIN_URL})`,
    )
    .option('--plan <file>', "plan file, for the family's data plane members (dataPlane.members, else its admin URL)")
    .option('--token <token>', 'router admin token (default: PHOENIX_ADMIN_TOKEN)')
    .option('--json', 'print the signatures as JSON')
    .action(async (family: string, o: RouterFlags & { json?: boolean }) => {
      const r = await readSignatures(family, o);
      print(!!o.json, r, () => table(r));
    });
  const decisions: Record<TriageDecision, string> = {
    accept: 'Accept a signature as an intended change (needs --reason): it no longer counts against the parity gate.',
    noise: 'Mark a signature as noise: ignored from now on, for that signature only.',
    block: 'Block a signature as a regression: the parity gate fails while it is seen.',
  };
  for (const d of TRIAGE_DECISIONS) registerDecision(parity, d, decisions[d]);
  registerRecords(parity, DEFAULT_ADMIN_URL);
}
