/**
 * Contract case files (YAML): the requests a family must answer the same way on legacy and new,
 * with optional expectations on status, headers and a JSON Schema. Every problem names the file,
 * the case and the field.
 */
import { readFile } from 'node:fs/promises';
import { LineCounter, parseDocument, isNode } from 'yaml';
import { z } from 'zod';
import { PhoenixError } from '../lib/errors.js';
import { formatPath } from '../plan/load.js';

const scalar = z.union([z.string(), z.number(), z.boolean()]);

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
    query: z.record(z.string(), scalar).optional(),
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
});
export type ContractCase = z.output<typeof caseSchema>;
export type ContractCaseInput = z.input<typeof caseSchema>;

export const caseFileSchema = z.strictObject({
  /** When present, must be the family whose `contracts` glob lists the file. */
  family: z.string().optional(),
  cases: z.array(caseSchema),
});

/** A loaded case with where it came from. */
export interface LoadedCase extends ContractCase {
  file: string;
  /** Index in the file's `cases`. */
  index: number;
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
  return parseCaseFile(text, file, family);
}

/** Validates case file text (see {@link loadCaseFile}). */
export function parseCaseFile(text: string, file: string, family?: string): LoadedCase[] {
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
    if (c.request.path.includes('?'))
      problems.push(
        `${file}${lineOf(['cases', i, 'request', 'path'])} cases[${i}].request.path (case "${c.name}"): put the query string in "query", not in the path`,
      );
  });
  if (problems.length > 0) throw invalid(file, problems);
  return data.cases.map((c, index) => ({ ...c, file, index }));
}

/** Loads every case file of a family, in order. */
export async function loadFamilyCases(files: readonly string[], family: string): Promise<LoadedCase[]> {
  const all: LoadedCase[] = [];
  for (const f of files) all.push(...(await loadCaseFile(f, family)));
  return all;
}

/** The request's path with its query string, as sent. */
export function requestTarget(c: Pick<ContractCase, 'request'>): string {
  const q = c.request.query;
  if (!q || Object.keys(q).length === 0) return c.request.path;
  return `${c.request.path}?${new URLSearchParams(Object.entries(q).map(([k, v]): [string, string] => [k, String(v)])).toString()}`;
}
