/**
 * Thousands of mutated inputs at every edge where users and other systems hand Phoenix data:
 * plans, case files, admin API bodies, Slack payloads and CLI arguments. Each one must be
 * accepted as valid or refused with a clear, coded error naming what is wrong; nothing may
 * crash, hang or leave an unhandled rejection. Mutations start from real, valid inputs so they
 * reach deep into the validators instead of failing at the first byte.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { request } from 'undici';
import { WebClient } from '@slack/web-api';
import { parseDocument, stringify } from 'yaml';
import { PhoenixError } from '../../src/lib/errors.js';
import { loadPlan, parsePlan, PlanError, type Plan } from '../../src/plan/index.js';
import { parseCaseFile } from '../../src/contracts/cases.js';
import { startRouter, type RunningRouter } from '../../src/router/server.js';
import { startSlackReceiver, type RunningSlackReceiver } from '../../src/slack/receiver.js';
import { encodeButtonValue } from '../../src/slack/blocks.js';
import { slackSignature } from '../../src/slack/verify.js';
import { migrationWorkflowId } from '../../src/workflows/messages.js';
import { buildProgram, run } from '../../src/cli/program.js';
import { testTemporal, type TestTemporal } from '../helpers/temporal.js';
import { fakeUpstream, type FakeUpstream } from '../helpers/fake-upstream.js';

const ROOT = path.resolve(import.meta.dirname, '..', '..');
const PLAN_FILE = path.join(ROOT, 'examples', 'plan.yaml');
const CASES_FILE = path.join(ROOT, 'examples', 'contracts', 'users', 'hand.yaml');

/** fast-check's own seed unless PHOENIX_FUZZ_SEED pins one (failures print the seed to replay). */
const seed = process.env.PHOENIX_FUZZ_SEED ? Number(process.env.PHOENIX_FUZZ_SEED) : undefined;
const runs = (n: number): fc.Parameters<unknown> => ({
  numRuns: Math.round(n * Number(process.env.PHOENIX_FUZZ_SCALE ?? 1)),
  ...(seed !== undefined ? { seed } : {}),
});

const unhandled: unknown[] = [];
process.on('unhandledRejection', (reason) => unhandled.push(reason));

let t: TestTemporal;
before(async () => {
  t = await testTemporal();
});
after(async () => {
  await t?.close();
  assert.deepEqual(unhandled.map(String), [], 'no unhandled rejections');
});

// ---------------------------------------------------------------------------------------------
// Mutating a JSON-like document

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
type Mutation = { pick: number; op: 'delete' | 'replace' | 'unknownKey' | 'wrap' | 'empty' | 'swapType'; value: Json };

const mutationArb: fc.Arbitrary<Mutation> = fc.record({
  pick: fc.nat(),
  op: fc.constantFrom('delete', 'replace', 'unknownKey', 'wrap', 'empty', 'swapType'),
  value: fc.oneof(
    fc.jsonValue({ maxDepth: 2 }) as fc.Arbitrary<Json>,
    fc.constantFrom<Json>(
      -1,
      0,
      1.5,
      101,
      1e300,
      '',
      ' ',
      '0s',
      '-5m',
      'GET /x/:y',
      '/../etc/passwd',
      'http://',
      '\u0000',
      '*',
    ),
  ),
});

/** Every location in `doc` that holds a value: its parent container and key. */
function slots(doc: Json): { parent: Json[] | { [k: string]: Json }; key: string | number }[] {
  const out: { parent: Json[] | { [k: string]: Json }; key: string | number }[] = [];
  const walk = (node: Json): void => {
    if (Array.isArray(node)) {
      node.forEach((v, i) => {
        out.push({ parent: node, key: i });
        walk(v);
      });
    } else if (node !== null && typeof node === 'object') {
      for (const [k, v] of Object.entries(node)) {
        out.push({ parent: node, key: k });
        walk(v);
      }
    }
  };
  walk(doc);
  return out;
}

function mutate(doc: Json, mutations: Mutation[]): Json {
  const copy = structuredClone(doc);
  for (const m of mutations) {
    const all = slots(copy);
    if (all.length === 0) return m.value;
    const { parent, key } = all[m.pick % all.length]!;
    const at = (parent as Record<string | number, Json>)[key]!;
    const set = (v: Json): void => void ((parent as Record<string | number, Json>)[key] = v);
    switch (m.op) {
      case 'delete':
        if (Array.isArray(parent)) parent.splice(key as number, 1);
        else delete parent[key as string];
        break;
      case 'replace':
        set(m.value);
        break;
      case 'unknownKey':
        if (at !== null && typeof at === 'object' && !Array.isArray(at)) at[`x_${m.pick % 97}`] = m.value;
        else set(m.value);
        break;
      case 'wrap':
        set([at]);
        break;
      case 'empty':
        set(Array.isArray(at) ? [] : typeof at === 'object' && at !== null ? {} : '');
        break;
      case 'swapType':
        set(
          typeof at === 'number'
            ? String(at)
            : typeof at === 'string'
              ? Number.isNaN(Number(at))
                ? at.length
                : Number(at)
              : typeof at === 'boolean'
                ? String(at)
                : null,
        );
        break;
    }
  }
  return copy;
}

/** Text-level damage: cut, insert or replace a few characters (YAML syntax, encodings). */
const textDamageArb = fc.array(
  fc.record({
    at: fc.nat(),
    cut: fc.nat({ max: 40 }),
    insert: fc.oneof(
      fc.string({ maxLength: 6 }),
      fc.constantFrom(':', '- ', '\t', '{', ']', '"', '&a', '*a', '!!binary', '\n  ', '\r\n', '\uFEFF', '%'),
    ),
  }),
  { minLength: 1, maxLength: 3 },
);
function damage(text: string, edits: { at: number; cut: number; insert: string }[]): string {
  let t = text;
  for (const e of edits) {
    const at = e.at % (t.length + 1);
    t = t.slice(0, at) + e.insert + t.slice(at + e.cut);
  }
  return t;
}

/** A clear error: a coded message naming where, with no leaked internals. */
function assertClear(message: string, mustName: string): void {
  assert.ok(message.includes(mustName), `the error should name ${mustName}: ${message}`);
  assert.doesNotMatch(message, /\[object Object\]|undefined:|TypeError|ReferenceError|Cannot read prop/, message);
}

/** Runs `fn` and fails if it takes longer than `ms` (a hang or a pathological input). */
async function bounded<T>(what: string, fn: () => Promise<T> | T, ms = 3000): Promise<T> {
  const t0 = performance.now();
  const out = await fn();
  const took = performance.now() - t0;
  assert.ok(took < ms, `${what} took ${Math.round(took)} ms`);
  return out;
}

// ---------------------------------------------------------------------------------------------

describe('plans', () => {
  let planDoc: Json;
  let planText: string;
  before(async () => {
    planText = await readFile(PLAN_FILE, 'utf8');
    planDoc = parseDocument(planText).toJS() as Json;
  });

  async function check(text: string): Promise<void> {
    try {
      await bounded('parsePlan', () => parsePlan(text, PLAN_FILE, 'plan.yaml'));
    } catch (err) {
      assert.ok(err instanceof PlanError, `expected a PlanError, got ${(err as Error).stack}`);
      assert.ok(err.problems.length > 0);
      assertClear(err.message, 'plan.yaml');
      assert.match(err.message, /^PHX_ERR_PLAN_INVALID/);
    }
  }

  test('1,000 structurally mutated plans are each accepted or refused with a coded error naming the file and field', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(mutationArb, { minLength: 1, maxLength: 3 }), (ms) =>
        check(stringify(mutate(planDoc, ms))),
      ),
      runs(1000),
    );
  });

  test('250 plans with damaged YAML text', async () => {
    await fc.assert(
      fc.asyncProperty(textDamageArb, (edits) => check(damage(planText, edits))),
      runs(250),
    );
  });
});

describe('case files', () => {
  let casesDoc: Json;
  let casesText: string;
  before(async () => {
    casesText = await readFile(CASES_FILE, 'utf8');
    casesDoc = parseDocument(casesText).toJS() as Json;
  });

  function check(text: string): void {
    try {
      parseCaseFile(text, 'users.yaml', 'users');
    } catch (err) {
      assert.ok(err instanceof PhoenixError, `expected a PhoenixError, got ${(err as Error).stack}`);
      assert.equal(err.code, 'PHX_ERR_CASE_FILE_INVALID');
      assertClear(err.message, 'users.yaml');
    }
  }

  test('1,000 structurally mutated case files are each accepted or refused naming the file, case and field', () => {
    fc.assert(
      fc.property(fc.array(mutationArb, { minLength: 1, maxLength: 3 }), (ms) =>
        check(stringify(mutate(casesDoc, ms))),
      ),
      runs(1000),
    );
  });

  test('250 case files with damaged YAML text', () => {
    fc.assert(
      fc.property(textDamageArb, (edits) => check(damage(casesText, edits))),
      runs(250),
    );
  });
});

// ---------------------------------------------------------------------------------------------

describe('the admin API', () => {
  let r: RunningRouter;
  let plan: Plan;
  before(async () => {
    plan = await loadPlan(PLAN_FILE);
    const dir = await mkdtemp(path.join(os.tmpdir(), 'phx-fuzz-'));
    r = await startRouter({
      plan,
      port: 0,
      adminPort: 0,
      adminToken: 'fuzz-token',
      stateFile: path.join(dir, 'state.json'),
    });
  });
  after(async () => r?.close());

  const auth = { authorization: 'Bearer fuzz-token', 'content-type': 'application/json' };
  const valid: Json = { mode: 'canary', percent: 25, version: 1, sampleRate: 0.5, updatedBy: 'fuzz' };

  test('750 mutated route bodies get 200, 400 or 409 with a coded error; the route stays well-formed', async () => {
    const bodyArb = fc.oneof(
      {
        weight: 4,
        arbitrary: fc.array(mutationArb, { minLength: 1, maxLength: 3 }).map((ms) => JSON.stringify(mutate(valid, ms))),
      },
      { weight: 1, arbitrary: fc.string({ maxLength: 60 }) },
      { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.stringify(v)) },
    );
    await fc.assert(
      fc.asyncProperty(bodyArb, fc.constantFrom('users', 'orders', 'catalog'), async (body, family) => {
        const res = await bounded('admin PUT', () =>
          request(`${r.adminUrl}/v1/families/${family}/route`, { method: 'PUT', headers: auth, body }),
        );
        const answer = (await res.body.json()) as {
          error?: { code: string; message: string };
          mode?: string;
          percent?: number;
        };
        assert.ok([200, 400, 409].includes(res.statusCode), `status ${res.statusCode} for ${body}`);
        if (res.statusCode === 200) {
          assert.ok(['legacy', 'shadow', 'canary', 'new'].includes(answer.mode!));
          assert.ok(answer.percent! >= 0 && answer.percent! <= 100);
        } else {
          assert.match(answer.error?.code ?? '', /^PHX_ERR_(ADMIN_BAD_REQUEST|ROUTE_STALE_VERSION)$/);
          assert.ok((answer.error?.message ?? '').length > 0);
        }
      }),
      runs(750),
    );
    const health = await request(`${r.adminUrl}/healthz`);
    assert.equal(health.statusCode, 200);
    await health.body.dump();
  });

  test('150 random paths, methods and tokens are answered without a 5xx, and without the token always 401', async () => {
    const segment = fc.oneof(
      fc.constantFrom(
        'v1',
        'families',
        'users',
        'route',
        'guard',
        'stats',
        'noise',
        'mismatches',
        'samples',
        '..',
        '%2e',
        '%00',
        '?limit=-1',
        '?limit=abc',
      ),
      fc.webSegment(),
    );
    await fc.assert(
      fc.asyncProperty(
        fc.array(segment, { maxLength: 5 }),
        fc.constantFrom('GET', 'PUT', 'DELETE', 'POST', 'PATCH'),
        fc.constantFrom<string | undefined>(
          'Bearer fuzz-token',
          undefined,
          'Bearer wrong',
          'bearer fuzz-token',
          'Bearer fuzz-token ',
        ),
        async (segs, method, token) => {
          const res = await bounded('admin request', () =>
            request(`${r.adminUrl}/${segs.join('/')}`, {
              method: method as 'GET',
              headers: token ? { authorization: token } : {},
              ...(method === 'PUT' || method === 'POST' ? { body: '{}' } : {}),
            }),
          );
          await res.body.dump();
          assert.ok(res.statusCode < 500, `${method} /${segs.join('/')} → ${res.statusCode}`);
          const open = /^\/?(healthz|metrics)$/.test(segs.join('/'));
          if (token !== 'Bearer fuzz-token' && !open)
            assert.ok(
              res.statusCode === 401 || res.statusCode === 404,
              `${method} /${segs.join('/')} without the token → ${res.statusCode}`,
            );
        },
      ),
      runs(150),
    );
  });
});

// ---------------------------------------------------------------------------------------------

describe('Slack payloads', () => {
  const SECRET = 'fuzz-signing-secret';
  let slackApi: FakeUpstream;
  let receiver: RunningSlackReceiver;

  before(async () => {
    slackApi = await fakeUpstream((req, res) => {
      req.resume();
      req.on('end', () => {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(req.url?.includes('lookupByEmail') ? '{"ok":false,"error":"users_not_found"}' : '{"ok":true}');
      });
    });
    const web = new WebClient('xoxb-fuzz', {
      slackApiUrl: `${slackApi.url}/api/`,
      retryConfig: { retries: 0 },
    });
    const plan = await loadPlan(PLAN_FILE);
    receiver = await startSlackReceiver({ port: 0, signingSecret: SECRET, temporal: t.client, web, plan });
  });
  after(async () => {
    await receiver?.close();
    await slackApi?.close();
  });

  function post(pathname: string, body: string, sign = true): Promise<{ status: number; text: string }> {
    const ts = String(Math.floor(Date.now() / 1000));
    return request(`${receiver.url}${pathname}`, {
      method: 'POST',
      body,
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        'x-slack-request-timestamp': ts,
        'x-slack-signature': sign ? slackSignature(SECRET, ts, body) : `v0=${'0'.repeat(64)}`,
      },
    }).then(async (res) => ({ status: res.statusCode, text: await res.body.text() }));
  }

  const button = (): string =>
    encodeButtonValue({ workflowId: migrationWorkflowId('users'), family: 'users', step: 'ramp:100' }, SECRET);

  test('500 signed, mutated interactivity payloads are answered (200/400) and never reach a workflow', async () => {
    const base = (): Json => ({
      type: 'block_actions',
      user: { id: 'alice@example.com' },
      trigger_id: 'trig',
      channel: { id: 'C1' },
      actions: [{ action_id: 'phoenix_approve', value: button() }],
      view: {
        callback_id: 'phoenix_reject_reason',
        private_metadata: button(),
        state: { values: { reason: { value: { value: 'because' } } } },
      },
    });
    const payloadArb = fc.oneof(
      {
        weight: 5,
        arbitrary: fc
          .tuple(
            fc.array(mutationArb, { minLength: 1, maxLength: 3 }),
            fc.constantFrom('block_actions', 'view_submission', 'shortcut'),
          )
          .map(([ms, type]) => JSON.stringify(mutate({ ...(base() as object), type }, ms))),
      },
      { weight: 1, arbitrary: fc.string({ maxLength: 80 }) },
    );
    await fc.assert(
      fc.asyncProperty(payloadArb, fc.boolean(), async (payload, asForm) => {
        const body = asForm ? new URLSearchParams({ payload }).toString() : payload;
        const res = await bounded('Slack interactivity', () => post('/slack/interactivity', body));
        assert.ok(res.status === 200 || res.status === 400, `status ${res.status} for ${payload}`);
      }),
      runs(500),
    );
    const running = t.client.workflow.list({ query: `WorkflowId = '${migrationWorkflowId('users')}'` });
    for await (const _ of running) assert.fail('a fuzzed payload started or touched a migration');
  });

  test('150 slash-command texts and 150 unsigned bodies', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.string({ maxLength: 40 }),
          fc.constantFrom('status', 'status users', 'status ../../etc', 'status  ', 'help'),
        ),
        async (text) => {
          const res = await bounded('slash command', () =>
            post('/slack/commands', new URLSearchParams({ command: '/phoenix', text }).toString()),
          );
          assert.equal(res.status, 200);
          assert.equal((JSON.parse(res.text) as { response_type: string }).response_type, 'ephemeral');
        },
      ),
      runs(150),
    );
    await fc.assert(
      fc.asyncProperty(fc.string({ maxLength: 200 }), async (body) => {
        const res = await post('/slack/interactivity', body, false);
        assert.equal(res.status, 401);
      }),
      runs(150),
    );
  });
});

// ---------------------------------------------------------------------------------------------

describe('CLI arguments', () => {
  /** Commands that serve until stopped; every other command is fuzzed in this process. */
  const SERVING = new Set(['dev server', 'router', 'worker', 'slack serve']);
  type Spec = { path: string[]; options: { flag: string; takesValue: boolean }[]; args: number };
  const specs: Spec[] = [];
  let dir: string;
  let badPlan: string;
  const saved = { cwd: process.cwd(), address: process.env.TEMPORAL_ADDRESS };

  before(async () => {
    const walk = (c: Awaited<ReturnType<typeof buildProgram>>, at: string[]): void => {
      for (const sub of c.commands) {
        const p = [...at, sub.name()];
        if (sub.commands.length > 0) walk(sub, p);
        else if (!SERVING.has(p.join(' '))) {
          specs.push({
            path: p,
            options: sub.options
              .filter((o) => o.long !== '--watch')
              .map((o) => ({ flag: o.long!, takesValue: o.required || o.optional })),
            args: sub.registeredArguments.length,
          });
        }
      }
    };
    walk(await buildProgram(), []);
    dir = await mkdtemp(path.join(os.tmpdir(), 'phx-fuzz-cli-'));
    badPlan = path.join(dir, 'bad-plan.yaml');
    await writeFile(badPlan, 'version: 1\nfamilies: [ {name: x} ]\n');
    // Commands that reach Temporal talk to the suite's server, where no fuzzed family has a migration.
    process.env.TEMPORAL_ADDRESS = t.address;
    process.chdir(dir);
  });
  after(() => {
    process.chdir(saved.cwd);
    if (saved.address === undefined) delete process.env.TEMPORAL_ADDRESS;
    else process.env.TEMPORAL_ADDRESS = saved.address;
    process.exitCode = undefined;
  });

  test('300 generated command lines end with a documented exit code and a coded message, never PHX_ERR_UNEXPECTED', async () => {
    const value = fc.oneof(
      fc.constantFrom(
        '',
        '-1',
        '0',
        '65536',
        '1.5',
        'abc',
        '5m',
        '-5s',
        '0ms',
        'users',
        'nobody',
        '../..',
        '/dev/null',
        '/',
        'missing.yaml',
        'http://127.0.0.1:1/openapi.json',
        '--json',
        '-h',
        'md',
        'html',
        'json',
        'parity',
        'blueprint',
        '101',
      ),
      fc.string({ maxLength: 10 }),
    );
    const argvArb = fc.oneof(
      {
        weight: 9,
        arbitrary: fc
          .record({
            spec: fc.nat(),
            opts: fc.array(fc.tuple(fc.nat(), value, fc.boolean()), { maxLength: 4 }),
            args: fc.array(value, { maxLength: 2 }),
            planPick: fc.nat({ max: 3 }),
          })
          .map(({ spec, opts, args, planPick }) => {
            const s = specs[spec % specs.length]!;
            const argv = [...s.path];
            for (const [i, v, withValue] of opts) {
              if (s.options.length === 0) break;
              const o = s.options[i % s.options.length]!;
              argv.push(o.flag);
              if (o.takesValue && withValue)
                argv.push(o.flag === '--plan' ? ['missing.yaml', badPlan, '/dev/null', dir][planPick]! : v);
            }
            return [...argv, ...args.slice(0, Math.max(s.args, 1))];
          }),
      },
      { weight: 1, arbitrary: fc.array(value, { minLength: 1, maxLength: 4 }) },
    );
    const write = { out: process.stdout.write, err: process.stderr.write };
    await fc.assert(
      fc.asyncProperty(argvArb, async (argv) => {
        let stderr = '';
        let stdout = '';
        process.exitCode = undefined;
        process.stdout.write = (chunk: string | Uint8Array) => ((stdout += String(chunk)), true);
        process.stderr.write = (chunk: string | Uint8Array) => ((stderr += String(chunk)), true);
        let code: number;
        try {
          code = await bounded(`phoenix ${argv.join(' ')}`, () => run(['node', 'phoenix', ...argv]), 10_000);
        } finally {
          process.stdout.write = write.out;
          process.stderr.write = write.err;
          process.exitCode = undefined;
        }
        assert.ok([0, 1, 2, 3, 4, 5].includes(code), `phoenix ${JSON.stringify(argv)} → exit ${code}`);
        assert.doesNotMatch(stderr, /PHX_ERR_UNEXPECTED/, `phoenix ${JSON.stringify(argv)}:\n${stderr}`);
        // With --json a refusal is JSON on stdout carrying its code.
        if (code !== 0)
          assert.match(
            `${stderr}${stdout}`,
            /PHX_ERR_[A-Z_]+|error: /,
            `phoenix ${JSON.stringify(argv)} → exit ${code} with no message`,
          );
      }),
      runs(300),
    );
  });
});
