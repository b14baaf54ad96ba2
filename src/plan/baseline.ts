/**
 * The triage baseline: a YAML file next to the plan with a decision per difference signature
 * (accept, noise, block), per family. It is reviewed like the plan, so writing it only adds or
 * updates entries and keeps everything else in the file (comments, order, other families).
 *
 * ```yaml
 * version: 1
 * families:
 *   things:
 *     - id: 3f9c0a12b4de
 *       text: POST /api/things status 200→201
 *       decision: accept
 *       reason: the rewrite answers 201 Created on purpose
 *       by: alice
 *       at: 2026-12-01T12:00:00.000Z
 * ```
 */
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { isMap, isSeq, LineCounter, parseDocument, type Document, type YAMLMap, type YAMLSeq } from 'yaml';
import { z } from 'zod';
import type { TriageEntry } from '../parity/signature.js';
import { formatPath, PlanError, type PlanProblem } from './problems.js';

const entrySchema = z
  .strictObject({
    /** Signature id, as `phoenix parity diffs` lists it. */
    id: z.string('expected a signature id').regex(/^[0-9a-f]{12}$/, 'expected a 12-hex-digit signature id'),
    decision: z.enum(['accept', 'noise', 'block'], 'expected one of "accept", "noise", "block"'),
    reason: z.string().min(1, 'expected a non-empty reason').optional(),
    by: z.string('expected who decided').min(1, 'expected who decided'),
    at: z.iso.datetime({ offset: true, message: 'expected an ISO 8601 time' }),
    text: z.string().optional(),
  })
  .superRefine((e, ctx) => {
    if (e.decision === 'accept' && !e.reason)
      ctx.addIssue({ code: 'custom', path: ['reason'], message: 'an accepted signature needs a reason' });
  });

export const baselineSchema = z.strictObject({
  version: z.literal(1, 'expected version: 1'),
  families: z.record(z.string(), z.array(entrySchema).nullable().default([])).nullable().default({}),
});

/** Decisions per family name. */
export type Baseline = Map<string, TriageEntry[]>;

/** Where a plan's baseline lives: `baseline` relative to the plan's folder, or `<plan>.baseline.yaml`. */
export function baselinePath(planFile: string, baseline?: string): string {
  const dir = path.dirname(path.resolve(planFile));
  if (baseline) return path.resolve(dir, baseline);
  const base = path.basename(planFile).replace(/\.ya?ml$/i, '');
  return path.join(dir, `${base}.baseline.yaml`);
}

function problemsOf(doc: Document, lines: LineCounter, file: string, issues: z.core.$ZodIssue[]): PlanProblem[] {
  return issues.map((i) => {
    // A missing field has no line: the nearest enclosing node's is given instead.
    let line: number | undefined;
    for (let n = i.path.length; n >= 0 && line === undefined; n--) {
      const node = doc.getIn(i.path.slice(0, n) as unknown[], true) as { range?: [number, number] } | undefined;
      if (node?.range) line = lines.linePos(node.range[0]).line;
    }
    return {
      file,
      line,
      path: formatPath(i.path),
      message: i.message.replace(/^Invalid input: /, ''),
    };
  });
}

/**
 * Reads a baseline; a missing file is an empty baseline.
 * @throws {PlanError} `PHX_ERR_PLAN_INVALID` naming the file, line and field, or `PHX_ERR_PLAN_READ`
 */
export async function loadBaseline(file: string): Promise<Baseline> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return new Map();
    throw new PlanError(
      [{ file, path: '', message: `cannot read the baseline (${(err as NodeJS.ErrnoException).code ?? String(err)})` }],
      'PHX_ERR_PLAN_READ',
    );
  }
  return parseBaseline(text, file);
}

/** Validates baseline text. @throws {PlanError} `PHX_ERR_PLAN_INVALID` */
export function parseBaseline(text: string, file: string): Baseline {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, uniqueKeys: true, prettyErrors: false });
  if (doc.errors.length > 0)
    throw new PlanError(
      doc.errors.map((e) => ({
        file,
        line: e.linePos?.[0]?.line,
        path: '',
        message: `YAML syntax: ${e.message.split('\n')[0]}`,
      })),
    );
  const parsed = baselineSchema.safeParse(doc.toJS() ?? { version: 1 });
  if (!parsed.success) throw new PlanError(problemsOf(doc, lines, file, parsed.error.issues));
  const out: Baseline = new Map();
  for (const [family, entries] of Object.entries(parsed.data.families ?? {})) {
    const seen = new Map<string, number>();
    const problems: PlanProblem[] = [];
    (entries ?? []).forEach((e, i) => {
      const first = seen.get(e.id);
      if (first !== undefined)
        problems.push(
          ...problemsOf(doc, lines, file, [
            {
              code: 'custom',
              path: ['families', family, i, 'id'],
              message: `signature ${e.id} is decided twice (also item ${first})`,
              input: e.id,
            },
          ]),
        );
      seen.set(e.id, i);
    });
    if (problems.length > 0) throw new PlanError(problems);
    out.set(
      family,
      (entries ?? []).map((e) => ({ ...e })),
    );
  }
  return out;
}

const HEADER =
  ' Triage decisions about parity differences (phoenix parity accept|noise|block).\n' +
  ' Reviewed like the plan: accept = intended change, noise = ignored, block = regression.';

/**
 * Adds or updates a family's decision in the baseline file, creating the file when there is
 * none. Comments, key order and every other entry are kept; an updated entry keeps its place.
 * @throws {PlanError} when the existing file is not a valid baseline
 */
export async function writeDecision(file: string, family: string, entry: TriageEntry): Promise<void> {
  let text = '';
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  parseBaseline(text || 'version: 1\n', file);
  const doc = text.trim() === '' ? parseDocument('version: 1\nfamilies: {}\n') : parseDocument(text);
  if (text.trim() === '') doc.commentBefore = HEADER;
  if (!isMap(doc.get('families', true))) doc.set('families', doc.createNode({}));
  const families = doc.get('families', true) as YAMLMap;
  // Written block-style even when the file began with `families: {}`.
  families.flow = false;
  let list = families.get(family, true);
  if (!isSeq(list)) {
    families.set(family, doc.createNode([]));
    list = families.get(family, true);
  }
  const seq = list as unknown as YAMLSeq;
  seq.flow = false;
  const fields: Record<string, unknown> = {
    id: entry.id,
    ...(entry.text ? { text: entry.text } : {}),
    decision: entry.decision,
    ...(entry.reason ? { reason: entry.reason } : {}),
    by: entry.by,
    at: entry.at,
  };
  const existing = seq.items.find((it) => isMap(it) && it.get('id') === entry.id) as YAMLMap | undefined;
  if (existing) {
    for (const [k, v] of Object.entries(fields)) existing.set(k, v);
    if (!entry.reason) existing.delete('reason');
  } else seq.add(doc.createNode(fields));
  await writeFile(file, doc.toString({ lineWidth: 0 }), 'utf8');
}
