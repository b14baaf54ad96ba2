/**
 * Contract case files (YAML): the requests a family must answer the same way on legacy and new,
 * with optional expectations on status, headers and a JSON Schema. Every problem names the file,
 * the case and the field.
 */
import { readFile } from 'node:fs/promises';
import { LineCounter, parseDocument, isNode } from 'yaml';
import { z } from 'zod';
import { PhoenixError } from '../lib/errors.js';
import { formatPath } from '../plan/problems.js';
import { queryString } from '../lib/query-values.js';

const scalar = z.union([z.string(), z.number(), z.boolean()]);

/**
 * A query parameter's value: one, or a list sent as the parameter repeated, in list order
 * (`tag: [fiction, prize]` is `?tag=fiction&tag=prize`). Numbers and booleans are sent as written.
 */
export const queryValueSchema = z.union(
  [scalar, z.array(scalar).min(1, 'expected at least one value (leave the key out to send none)')],
  'expected a string, number or boolean, or a list of them (the parameter repeated)',
);

const envName = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'expected an environment variable name');

/** One side's credential: the value of an environment variable, sent in a header. */
const envCredential = z.strictObject({
  /** Environment variable holding the credential (read at run time, never stored). */
  env: envName,
  /** @default authorization */
  header: z.string().min(1).optional(),
  /** Put before the value, e.g. `"Bearer "`. @default "" */
  prefix: z.string().optional(),
});

/** A credential by reference: one for both sides, or one per side (each side has its own identity). */
export const credentialRefSchema = z.union([
  envCredential,
  z.strictObject({ legacy: envCredential, new: envCredential }),
]);
export type CredentialRef = z.output<typeof credentialRefSchema>;

/** A setup or teardown step, run on each side the run sends to. */
export const stepSchema = z.union([
  z.strictObject({
    /** A reset or seed endpoint, sent to each side; a 4xx/5xx answer fails the step. */
    request: z.strictObject({
      method: z
        .string()
        .transform((m) => m.toUpperCase())
        .default('POST'),
      path: z.string().startsWith('/', 'expected a path starting with "/"'),
      headers: z.record(z.string(), z.string()).optional(),
      body: z.unknown().optional(),
    }),
    /** Only this side. @default both */
    side: z.enum(['legacy', 'new', 'both']).default('both'),
  }),
  z.strictObject({
    /** A shell command, run once per side with PHOENIX_SIDE and PHOENIX_TARGET_URL set; non-zero exit fails it. */
    command: z.string().min(1),
    /** Only this side. @default both */
    side: z.enum(['legacy', 'new', 'both']).default('both'),
    /** @default 60000 (ms) */
    timeoutMs: z.number().int().positive().default(60_000),
  }),
]);
export type Step = z.output<typeof stepSchema>;

export const caseSchema = z.strictObject({
  /** Unique within the file. */
  name: z.string().min(1, 'expected a non-empty name'),
  /** Where the case came from. @default hand */
  source: z.enum(['hand', 'recorded', 'generated']).default('hand'),
  request: z.strictObject({
    /** @default GET */
    method: z
      .string()
      .transform((m) => m.toUpperCase())
      .pipe(
        z.enum(
          ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'],
          'expected an HTTP method such as GET or POST',
        ),
      )
      .default('GET'),
    path: z.string().startsWith('/', 'expected a path starting with "/"'),
    /** A list value sends the parameter once per value, in order. */
    query: z.record(z.string(), queryValueSchema).optional(),
    headers: z.record(z.string(), z.string()).optional(),
    /** Objects and arrays are sent as JSON. */
    body: z.unknown().optional(),
  }),
  expect: z
    .strictObject({
      status: z.number().int().min(100).max(599).optional(),
      /** Case-insensitive prefix match of each header's value. */
      headers: z.record(z.string(), z.string()).optional(),
      /** JSON Schema for the JSON body. */
      schema: z.record(z.string(), z.unknown()).optional(),
      /** New must match legacy under the family's diff rules and adapters. @default true */
      parity: z.boolean().default(true),
    })
    .default({ parity: true }),
  /** Credential by reference: a profile name from the file's `auth`, or `{ env: VAR }`. */
  auth: z.union([z.string().min(1), credentialRefSchema]).optional(),
  /**
   * Values to keep from the answer for later cases (`${name}`), per side: `$.json.path` or
   * `header:<name>`.
   */
  capture: z.record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'expected a variable name'), z.string()).optional(),
});
export type ContractCase = z.output<typeof caseSchema>;
export type ContractCaseInput = z.input<typeof caseSchema>;

export const caseFileSchema = z.strictObject({
  /** When present, must be the family whose `contracts` glob lists the file. */
  family: z.string().optional(),
  /** Auth profiles the cases name in `auth`. */
  auth: z.record(z.string(), credentialRefSchema).optional(),
  /** Run before the file's cases (a reset or seed). */
  setup: z.array(stepSchema).default([]),
  /** Run after the file's cases, even when they failed. */
  teardown: z.array(stepSchema).default([]),
  cases: z.array(caseSchema),
});

/** A case file's setup, teardown and auth profiles. */
export interface CaseFileSteps {
  file: string;
  setup: Step[];
  teardown: Step[];
}

/** A loaded case with where it came from. */
export interface LoadedCase extends ContractCase {
  file: string;
  /** Index in the file's `cases`. */
  index: number;
  /** The case's credential, its profile name resolved. */
  credential?: CredentialRef;
}

function invalid(file: string, problems: string[]): PhoenixError {
  return new PhoenixError(
    'PHX_ERR_CASE_FILE_INVALID',
    `${file} is not a valid contract case file:\n${problems.join('\n')}`,
    { file, problems },
  );
}

/**
 * Reads and validates one case file.
 * @param family the family that lists it; a file naming another family is refused.
 * @throws PhoenixError `PHX_ERR_CASE_FILE_UNREADABLE`, `PHX_ERR_CASE_FILE_INVALID`
 */
export async function loadCaseFile(file: string, family?: string): Promise<LoadedCase[]> {
  return (await loadCaseFileSteps(file, family)).cases;
}

/** {@link loadCaseFile}, with the file's setup and teardown steps. */
export async function loadCaseFileSteps(
  file: string,
  family?: string,
): Promise<{ cases: LoadedCase[]; steps: CaseFileSteps }> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw new PhoenixError(
      'PHX_ERR_CASE_FILE_UNREADABLE',
      `cannot read contract case file ${file}: ${(err as Error).message}`,
      { file },
    );
  }
  return parseCaseFileSteps(text, file, family);
}

/** Validates case file text (see {@link loadCaseFile}). */
export function parseCaseFile(text: string, file: string, family?: string): LoadedCase[] {
  return parseCaseFileSteps(text, file, family).cases;
}

/** Validates case file text, with the file's setup and teardown steps. */
export function parseCaseFileSteps(
  text: string,
  file: string,
  family?: string,
): { cases: LoadedCase[]; steps: CaseFileSteps } {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: true });
  if (doc.errors.length > 0) {
    throw invalid(
      file,
      doc.errors.map((e) => `${file}:${e.linePos?.[0]?.line ?? '?'} YAML: ${e.message.split('\n')[0]}`),
    );
  }
  const lineOf = (segments: readonly PropertyKey[]): string => {
    const node = doc.getIn(segments as (string | number)[], true);
    const offset = isNode(node) ? node.range?.[0] : undefined;
    return offset === undefined ? '' : `:${lines.linePos(offset).line}`;
  };
  let input: unknown;
  try {
    input = doc.toJS();
  } catch (err) {
    throw invalid(file, [`${file} YAML: ${(err as Error).message}`]);
  }
  const parsed = caseFileSchema.safeParse(input);
  if (!parsed.success) {
    throw invalid(
      file,
      parsed.error.issues.map((i) => {
        const where = formatPath(i.path);
        const name =
          typeof i.path[1] === 'number' ? (doc.getIn(['cases', i.path[1], 'name']) as string | undefined) : undefined;
        const what =
          i.code === 'unrecognized_keys'
            ? `unknown key${i.keys.length > 1 ? 's' : ''} ${i.keys.map((k) => `"${k}"`).join(', ')}`
            : i.message.replace(/^Invalid input: /, '');
        return `${file}${lineOf(i.path)} ${where || '(root)'}${name ? ` (case "${name}")` : ''}: ${what}`;
      }),
    );
  }
  const data = parsed.data;
  const problems: string[] = [];
  if (family !== undefined && data.family !== undefined && data.family !== family) {
    problems.push(
      `${file}${lineOf(['family'])} family: the file is for "${data.family}" but family "${family}" lists it`,
    );
  }
  const seen = new Map<string, number>();
  data.cases.forEach((c, i) => {
    const first = seen.get(c.name);
    if (first !== undefined)
      problems.push(
        `${file}${lineOf(['cases', i, 'name'])} cases[${i}].name: duplicate case name "${c.name}" (also cases[${first}])`,
      );
    else seen.set(c.name, i);
    if (typeof c.auth === 'string' && !data.auth?.[c.auth])
      problems.push(
        `${file}${lineOf(['cases', i, 'auth'])} cases[${i}].auth (case "${c.name}"): no auth profile "${c.auth}" in the file's "auth"${data.auth ? ` (profiles: ${Object.keys(data.auth).join(', ')})` : ''}`,
      );
    if (c.request.path.includes('?'))
      problems.push(
        `${file}${lineOf(['cases', i, 'request', 'path'])} cases[${i}].request.path (case "${c.name}"): put the query string in "query", not in the path`,
      );
  });
  if (problems.length > 0) throw invalid(file, problems);
  const cases = data.cases.map((c, index) => ({
    ...c,
    file,
    index,
    credential: typeof c.auth === 'string' ? data.auth![c.auth] : c.auth,
  }));
  return { cases, steps: { file, setup: data.setup, teardown: data.teardown } };
}

/** Loads every case file of a family, in order. */
export async function loadFamilyCases(files: readonly string[], family: string): Promise<LoadedCase[]> {
  return (await loadFamilySuite(files, family)).cases;
}

/** Loads every case file of a family, in order (file order is run order), with their steps. */
export async function loadFamilySuite(
  files: readonly string[],
  family: string,
): Promise<{ cases: LoadedCase[]; steps: CaseFileSteps[] }> {
  const cases: LoadedCase[] = [];
  const steps: CaseFileSteps[] = [];
  for (const f of files) {
    const r = await loadCaseFileSteps(f, family);
    cases.push(...r.cases);
    steps.push(r.steps);
  }
  return { cases, steps };
}

/** The request's path with its query string, as sent. */
export function requestTarget(c: Pick<ContractCase, 'request'>): string {
  const qs = queryString(c.request.query);
  return qs === '' ? c.request.path : `${c.request.path}?${qs}`;
}
