/**
 * `phoenix parity records <family>`: a family's mismatch records, informational comparisons or
 * sampled requests, from every member of its data plane and merged, paged with a cursor per
 * member (see docs/fleets.md, "Records across members").
 */
import type { Command } from 'commander';
import { loadPlan } from '../plan/index.js';
import type { MismatchRecord, RecordKind, SampleRecord } from '../router/client.js';
import type { FleetRecord, FleetRecordPage } from '../router/merge-records.js';
import { familyArg } from './flags.js';
import { parseCursor, readRecordPage, readTarget } from './fleet-read.js';
import { CliError, ExitCode, print } from './output.js';

const KINDS: readonly RecordKind[] = ['mismatches', 'informational', 'samples'];

interface RecordsFlags {
  kind: RecordKind;
  after?: string;
  limit?: number;
  routerUrl?: string;
  plan?: string;
  token?: string;
  json?: boolean;
}

function kindFlag(value: string): RecordKind {
  if (!(KINDS as readonly string[]).includes(value))
    throw new CliError(
      'PHX_ERR_CLI_BAD_FLAG',
      `--kind: expected one of ${KINDS.join(', ')}, got "${value}"`,
      ExitCode.Usage,
    );
  return value as RecordKind;
}

function limitFlag(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1)
    throw new CliError('PHX_ERR_CLI_BAD_FLAG', `--limit: expected a whole number ≥ 1, got "${value}"`, ExitCode.Usage);
  return n;
}

/** One record as a line: when, which member and its `seq`, the request, and what differed. */
function line(r: FleetRecord<MismatchRecord | SampleRecord>, fleet: boolean): string {
  const where = `${fleet ? `${r.adminUrl} ` : ''}#${r.seq}`;
  const head = `${new Date(r.at).toISOString()}  ${where}  ${r.method} ${r.path}`;
  if (!('differences' in r)) {
    const q = new URLSearchParams(r.query).toString();
    return `${head}${q ? `?${q}` : ''}  ${r.status}`;
  }
  const diffs = r.differences.map((d) => `${d.path} ${d.kind}`).join(', ');
  return `${head}${r.query ? `?${r.query}` : ''}  ${r.legacy.status} → ${r.candidate.status}${r.replayed ? ' (replayed)' : ''}  ${diffs}`;
}

function text(kind: RecordKind, page: FleetRecordPage<MismatchRecord | SampleRecord>, after: boolean): string {
  const fleet = page.members.length > 1;
  const missed = page.members.filter((m) => m.missed);
  return [
    ...(page.items.length === 0 ? [`no ${kind} ${after ? 'after the cursor' : 'kept'}`] : []),
    ...page.items.map((r) => line(r, fleet)),
    ...missed.map(
      (m) => `${m.adminUrl}: records after the cursor were overwritten before this read (oldest held: #${m.first})`,
    ),
    `next page: --after ${page.next.join(',')}`,
  ].join('\n');
}

/** Adds `records` to `phoenix parity`. */
export function registerRecords(parity: Command, defaultAdminUrl: string): void {
  parity
    .command('records')
    .description(
      "List a family's mismatch records, informational comparisons or sampled requests (router admin API; every member of a fleet, merged, a cursor per member).",
    )
    .argument('<family>', 'family to list', familyArg)
    .option('--kind <kind>', `which records: ${KINDS.join(', ')}`, kindFlag, 'mismatches' as RecordKind)
    .option(
      '--after <cursor>',
      'the cursor a previous page printed (0: from the oldest held); without it, the newest records, newest first',
    )
    .option('--limit <n>', 'most records listed, in all (default: all each member keeps)', limitFlag)
    .option(
      '--router-url <url>',
      `one router's admin API (default: every member of the family's data plane in --plan, else ${defaultAdminUrl})`,
    )
    .option('--plan <file>', "plan file, for the family's data plane members (dataPlane.members, else its admin URL)")
    .option('--token <token>', 'router admin token (default: PHOENIX_ADMIN_TOKEN)')
    .option('--json', 'print the page as JSON: {family, kind, items, next, members}')
    .action(async (family: string, o: RecordsFlags) => {
      const plan = o.plan && !o.routerUrl ? await loadPlan(o.plan) : undefined;
      const target = readTarget(family, { routerUrl: o.routerUrl, plan }, defaultAdminUrl);
      const after = o.after === undefined ? undefined : parseCursor(o.after, target.urls.length);
      const page = await readRecordPage(target, o.token ?? process.env.PHOENIX_ADMIN_TOKEN, family, o.kind, {
        ...(after ? { after } : {}),
        ...(o.limit !== undefined ? { limit: o.limit } : {}),
      });
      print(
        !!o.json,
        { family, kind: o.kind, items: page.items, next: page.next.join(','), members: page.members },
        () => text(o.kind, page, after !== undefined),
      );
    });
}
