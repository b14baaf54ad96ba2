/**
 * `phoenix route set|show --plan` on a fleet of real routers: every member gets one version, a
 * member that is down stops the change before any member moves, members holding different copies
 * of the plan stop any change but one to legacy, `show` lists each member, and
 * the worker's `--fleet-wait` is bounded. `phoenix parity diffs` and `contracts record
 * --from-router` read every member and merge what each saw, and `phoenix parity records` pages
 * every member's records with a cursor per member; a member that is down is named. Slack's triage
 * text is read from the members that answer.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseCursor } from '../../src/cli/fleet-read.js';
import type { MemberRoute } from '../../src/cli/fleet-route.js';
import { CliError } from '../../src/cli/output.js';
import { createRouterAdminClient } from '../../src/router/client.js';
import { createLogger } from '../../src/lib/logger.js';
import type { FleetSignatures } from '../../src/router/merge-records.js';
import { TriageBaseline } from '../../src/slack/triage-baseline.js';
import { request } from 'undici';
import { runPhoenix, type CliRun } from '../helpers/phoenix-cli.js';
import { startFleet, type FleetStack } from '../workflows/fleet-support.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
let fleet: FleetStack;
let family: string;

function phoenix(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return cli(['route', ...args]);
}

/** Any `phoenix` command with the fleet's plan. */
function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [path.join(ROOT, 'bin/phoenix.mjs'), ...args, '--plan', fleet.plan.file],
      { env: { ...process.env, PHOENIX_ADMIN_TOKEN: '' }, timeout: 60_000, cwd: fleet.dir },
      (err, stdout, stderr) => resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

/** `phoenix worker …args`, without the fleet's plan: for flags refused before anything starts. */
function worker(args: string[]): Promise<CliRun> {
  return runPhoenix('127.0.0.1:1', 'worker', ...args);
}

before(async () => {
  fleet = await startFleet(2);
  family = fleet.plan.families[0]!.name;
});
after(() => fleet?.close());

test('route set puts every member on the route with one version, above the highest any member held', async () => {
  const admin1 = fleet.members[1]!.adminUrl;
  // Member 1 is ahead (a change that reached only it); the next version must pass it.
  const c = createRouterAdminClient({ baseUrl: admin1 });
  await c.setRoute(family, { mode: 'legacy', percent: 0, version: 7 });
  await c.close();
  const r = await phoenix(['set', family, 'canary', '--percent', '25', '--force', '--json']);
  assert.equal(r.code, 0, r.stderr);
  const out = JSON.parse(r.stdout) as { family: string; members: MemberRoute[] };
  assert.deepEqual(
    out.members.map((m) => [m.adminUrl, m.route.mode, m.route.percent, m.route.version]),
    fleet.members.map((m) => [m.adminUrl, 'canary', 25, 8]),
  );
  for (let i = 0; i < 2; i++) assert.equal((await fleet.state(i)).route.version, 8);
});

test('a member that is down stops route set before any member moves (exit 3, named)', async () => {
  await fleet.stop(1);
  try {
    const r = await phoenix(['set', family, 'legacy', '--force']);
    assert.equal(r.code, 3, r.stderr);
    assert.match(
      r.stderr,
      new RegExp(
        `^PHX_ERR_FLEET_MEMBER_DOWN: fleet member ${fleet.members[1]!.adminUrl} did not answer; no member was changed`,
      ),
    );
    const { route } = await fleet.state(0);
    assert.deepEqual([route.mode, route.percent, route.version], ['canary', 25, 8]);
  } finally {
    await fleet.start(1);
  }
});

test('route show lists each member with its route', async () => {
  const r = await phoenix(['show', family]);
  assert.equal(r.code, 0, r.stderr);
  const lines = r.stdout.trim().split('\n');
  assert.equal(lines[0], `${family} on 2 members:`);
  for (const m of fleet.members) assert.ok(lines.includes(`  ${m.adminUrl}  canary 25% (version 8)`), r.stdout);
});

test('worker --fleet-wait past 6 s is refused as a usage error, naming the bound', async () => {
  const r = await worker(['--fleet-wait', '10s']);
  assert.equal(r.code, 2, r.stderr);
  assert.match(r.stderr, /^PHX_ERR_CLI_BAD_FLAG: --fleet-wait: at most 6s/);
});

test('worker --deployment without --build-id is refused as a usage error', async () => {
  const r = await worker(['--deployment', 'phoenix']);
  assert.equal(r.code, 2, r.stderr);
  assert.match(r.stderr, /^PHX_ERR_CLI_BAD_FLAG: --deployment and --build-id go together/);
});

test('parity diffs and contracts record read every member: signatures summed, samples of both, a member down named', async () => {
  const set = await phoenix(['set', family, 'shadow', '--force']);
  assert.equal(set.code, 0, set.stderr);
  fleet.candidate.behaviour = 'different';
  try {
    // Member 0 serves users 1–3, member 1 users 4–5: each keeps only what it compared.
    for (const [member, ids] of [
      [0, [1, 2, 3]],
      [1, [4, 5]],
    ] as const) {
      for (const id of ids) await (await request(`${fleet.members[member]!.publicUrl}/api/users/${id}`)).body.dump();
      const admin = createRouterAdminClient({ baseUrl: fleet.members[member]!.adminUrl });
      await admin.waitForComparisons(family);
      await admin.close();
    }
  } finally {
    fleet.candidate.behaviour = 'same';
  }
  const diffs = await cli(['parity', 'diffs', family, '--json']);
  assert.equal(diffs.code, 0, diffs.stderr);
  const listed = JSON.parse(diffs.stdout) as FleetSignatures;
  assert.deepEqual(
    listed.members,
    fleet.members.map((m) => m.adminUrl),
  );
  const zip = listed.signatures.find((x) => x.path === '$.address.zip');
  assert.ok(zip, diffs.stdout);
  assert.equal(zip.count, 5);
  assert.deepEqual(
    zip.byMember,
    fleet.members.map((m, i) => ({ adminUrl: m.adminUrl, count: i === 0 ? 3 : 2 })),
  );
  const table = await cli(['parity', 'diffs', family]);
  assert.match(table.stdout, new RegExp(`signatures across 2 members \\(${fleet.members[0]!.adminUrl}, `));

  const out = path.join(await mkdtemp(path.join(os.tmpdir(), 'phx-record-')), 'recorded.yaml');
  const recorded = await cli(['contracts', 'record', '--family', family, '--from-router', '--out', out]);
  assert.equal(recorded.code, 0, recorded.stderr);
  assert.match(recorded.stdout, /^wrote 5 recorded cases/);
  const cases = await readFile(out, 'utf8');
  for (const id of [1, 2, 3, 4, 5]) assert.ok(cases.includes(`path: /api/users/${id}\n`), cases);

  await fleet.stop(1);
  try {
    const down = fleet.members[1]!.adminUrl;
    const d = await cli(['parity', 'diffs', family]);
    assert.equal(d.code, 3, d.stderr);
    assert.match(
      d.stderr,
      new RegExp(`^PHX_ERR_FLEET_MEMBER_DOWN: fleet member ${down} did not answer; nothing was listed`),
    );
    const r = await cli(['contracts', 'record', '--family', family, '--from-router', '--out', out]);
    assert.equal(r.code, 3, r.stderr);
    assert.match(
      r.stderr,
      new RegExp(`^PHX_ERR_FLEET_MEMBER_DOWN: fleet member ${down} did not answer; nothing was recorded`),
    );
    // Slack's triage text comes from the members that answer: member 0 still lists the signature.
    const baseline = new TriageBaseline({ plan: fleet.plan, log: createLogger('test') });
    await baseline.keep(family, { id: zip.id, decision: 'noise', by: 'alice', at: '2026-01-01T00:00:00Z' });
    assert.ok((await readFile(fleet.plan.baselineFile!, 'utf8')).includes(`text: ${zip.text}`));
    // One member alone, when asked for by name.
    const one = await cli(['parity', 'diffs', family, '--router-url', fleet.members[0]!.adminUrl, '--json']);
    assert.equal(one.code, 0, one.stderr);
    assert.equal(
      (JSON.parse(one.stdout) as FleetSignatures).signatures.find((x) => x.path === '$.address.zip')?.count,
      3,
    );
  } finally {
    await fleet.start(1);
  }
});

/** `phoenix parity records --json`, as far as these tests read it. */
interface RecordsOut {
  items: { adminUrl: string; seq: number; path: string; at: number }[];
  next: string;
  members: { adminUrl: string; next: number; missed: boolean }[];
}

test('parity records pages every member with a cursor per member: newest first without one, oldest first after it, a member down named', async () => {
  const before = await cli(['parity', 'records', family, '--json']);
  assert.equal(before.code, 0, before.stderr);
  const start = (JSON.parse(before.stdout) as RecordsOut).next;
  assert.match(start, /^\d+,\d+$/);
  fleet.candidate.behaviour = 'different';
  try {
    // Members in turn, each comparison finished before the next request: their records interleave in time.
    for (const [member, id] of [
      [0, 11],
      [1, 14],
      [0, 12],
      [1, 15],
      [0, 13],
    ] as const) {
      await (await request(`${fleet.members[member]!.publicUrl}/api/users/${id}`)).body.dump();
      const admin = createRouterAdminClient({ baseUrl: fleet.members[member]!.adminUrl });
      await admin.waitForComparisons(family);
      await admin.close();
    }
  } finally {
    fleet.candidate.behaviour = 'same';
  }
  const m0 = fleet.members[0]!.adminUrl;
  const listed = (o: RecordsOut): [number, string][] => o.items.map((r) => [r.adminUrl === m0 ? 0 : 1, r.path]);

  const newest = await cli(['parity', 'records', family, '--limit', '3', '--json']);
  assert.equal(newest.code, 0, newest.stderr);
  assert.deepEqual(listed(JSON.parse(newest.stdout) as RecordsOut), [
    [0, '/api/users/13'],
    [1, '/api/users/15'],
    [0, '/api/users/12'],
  ]);
  const samples = await cli(['parity', 'records', family, '--kind', 'samples', '--limit', '2', '--json']);
  assert.equal(samples.code, 0, samples.stderr);
  assert.deepEqual(listed(JSON.parse(samples.stdout) as RecordsOut), [
    [0, '/api/users/13'],
    [1, '/api/users/15'],
  ]);

  // Following the cursor taken before: two a page, oldest first, nothing skipped or repeated.
  const pages: [number, string][][] = [];
  let cursor = start;
  for (let i = 0; i < 3; i++) {
    const page = await cli(['parity', 'records', family, '--after', cursor, '--limit', '2', '--json']);
    assert.equal(page.code, 0, page.stderr);
    const out = JSON.parse(page.stdout) as RecordsOut;
    pages.push(listed(out));
    cursor = out.next;
  }
  assert.deepEqual(pages, [
    [
      [0, '/api/users/11'],
      [1, '/api/users/14'],
    ],
    [
      [0, '/api/users/12'],
      [1, '/api/users/15'],
    ],
    [[0, '/api/users/13']],
  ]);
  const end = await cli(['parity', 'records', family, '--after', cursor]);
  assert.equal(end.code, 0, end.stderr);
  assert.equal(end.stdout, `no mismatches after the cursor\nnext page: --after ${cursor}\n`);

  // A cursor of another fleet is a usage error (exit 2), before any member is asked.
  assert.throws(
    () => parseCursor('1,2,3', 2),
    (err: unknown) =>
      err instanceof CliError &&
      err.exitCode === 2 &&
      err.code === 'PHX_ERR_CLI_BAD_FLAG' &&
      err.message.startsWith("--after: the cursor has 3 positions, but the family's data plane has 2 members"),
  );
  assert.deepEqual(parseCursor('0', 2), [0, 0], '0 starts every member from its oldest record');

  await fleet.stop(1);
  try {
    const down = await cli(['parity', 'records', family, '--after', cursor]);
    assert.equal(down.code, 3, down.stderr);
    assert.match(
      down.stderr,
      new RegExp(
        `^PHX_ERR_FLEET_MEMBER_DOWN: fleet member ${fleet.members[1]!.adminUrl} did not answer; nothing was listed`,
      ),
    );
  } finally {
    await fleet.start(1);
  }
});

test('members holding different copies of the plan refuse route set (exit 5, parts named), except to legacy', async () => {
  const copy = {
    ...fleet.plan,
    families: fleet.plan.families.map((f) => ({ ...f, guard: { ...f.guard, maxErrorRate: 0.2 } })),
  };
  await fleet.stop(1);
  await fleet.start(1, copy);
  try {
    const before = [(await fleet.state(0)).route, (await fleet.state(1)).route];
    const r = await phoenix(['set', family, 'new', '--force']);
    assert.equal(r.code, 5, r.stderr);
    assert.match(
      r.stderr,
      new RegExp(
        `^PHX_ERR_FLEET_PLAN_MISMATCH: the fleet's members hold 2 different copies of the plan: ${fleet.members[1]!.adminUrl} differs from ${fleet.members[0]!.adminUrl} in families\\[${family}\\]\\.guard .*new of "${family}" was refused before any member moved`,
      ),
    );
    for (let i = 0; i < 2; i++) assert.deepEqual((await fleet.state(i)).route, before[i], 'no member moved');
    const back = await phoenix(['set', family, 'legacy', '--force']);
    assert.equal(back.code, 0, back.stderr);
    for (let i = 0; i < 2; i++) assert.equal((await fleet.state(i)).route.mode, 'legacy');
  } finally {
    await fleet.stop(1);
    await fleet.start(1);
  }
});
