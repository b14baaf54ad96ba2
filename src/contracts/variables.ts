/**
 * What makes a case file runnable against a stateful API: values captured from one case's
 * answer (`capture: { item_id: $.id }`) and used in later cases as `${item_id}`, per side
 * (legacy's id goes to legacy, new's to new); and credentials kept by reference (`auth`), resolved
 * from the environment at run time so a case file never holds a secret.
 */
import { PhoenixError } from '../lib/errors.js';
import { headerValue, parseExactJson, parsePath, stringifyExactJson, type HttpSnapshot } from '../parity/index.js';
import type { PathSegment } from '../parity/index.js';
import type { CredentialRef, LoadedCase } from './cases.js';
import { plainRequest, type PreparedRequest } from './exchange.js';
import type { CaseFailure } from './results.js';

export type Side = 'legacy' | 'new';

/** Captured values of one side. */
export type Variables = Map<string, unknown>;

const REF = /\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g;
const WHOLE = /^\$\{([A-Za-z_][A-Za-z0-9_]*)\}$/;

/** A `${name}` the case uses that no earlier case captured on this side. */
export class UncapturedVariable extends Error {
  readonly variable: string;
  constructor(variable: string) {
    super(`\${${variable}} has no value: no earlier case captured it on this side`);
    this.variable = variable;
  }
}

function substituteText(text: string, vars: Variables): string {
  return text.replace(REF, (_, name: string) => {
    if (!vars.has(name)) throw new UncapturedVariable(name);
    const v = vars.get(name);
    return typeof v === 'string' ? v : (stringifyExactJson(v) ?? '');
  });
}

/** Substitutes in a JSON value; a string that is only `${x}` takes x's value with its JSON type. */
function substituteJson(v: unknown, vars: Variables): unknown {
  if (typeof v === 'string') {
    const m = WHOLE.exec(v);
    if (m) {
      if (!vars.has(m[1]!)) throw new UncapturedVariable(m[1]!);
      return vars.get(m[1]!);
    }
    return substituteText(v, vars);
  }
  if (Array.isArray(v)) return v.map((x) => substituteJson(x, vars));
  if (v !== null && typeof v === 'object')
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, substituteJson(x, vars)]));
  return v;
}

/** The variables a case refers to, in order of first use. */
export function variablesUsed(c: Pick<LoadedCase, 'request'>): string[] {
  const names = new Set<string>();
  for (const m of JSON.stringify(c.request).matchAll(REF)) names.add(m[1]!);
  return [...names];
}

/** The environment variables a credential reference needs on `side`. */
export function credentialEnv(ref: CredentialRef, side: Side): string {
  return 'env' in ref ? ref.env : ref[side].env;
}

/** The credential's header, resolved from the environment. Missing variable: `PHX_ERR_CASE_AUTH_ENV`. */
export function resolveCredential(ref: CredentialRef, side: Side, env = process.env): [string, string] {
  const name = credentialEnv(ref, side);
  const value = env[name];
  if (value === undefined || value === '')
    throw new PhoenixError(
      'PHX_ERR_CASE_AUTH_ENV',
      `the contract cases need the environment variable ${name} (credential for ${side}), and it is not set`,
      { variable: name, side },
    );
  const header = ('env' in ref ? ref.header : ref[side].header) ?? 'authorization';
  const prefix = ('env' in ref ? ref.prefix : ref[side].prefix) ?? '';
  return [header.toLowerCase(), `${prefix}${value}`];
}

/**
 * The request one side gets for a case: `${name}` replaced by that side's captured values
 * (path, query, headers, body), and its credential header added.
 * @throws UncapturedVariable when a referenced value was never captured on this side.
 */
export function prepareRequest(
  c: LoadedCase,
  vars: Variables,
  credential: CredentialRef | undefined,
  side: Side,
): PreparedRequest {
  const request =
    variablesUsed(c).length === 0 ? c.request : (substituteJson(c.request, vars) as LoadedCase['request']);
  const r = plainRequest({ ...c, request });
  if (credential) {
    const [k, v] = resolveCredential(credential, side);
    r.headers[k] = v;
  }
  return r;
}

function walk(doc: unknown, path: readonly PathSegment[]): unknown {
  let at: unknown = doc;
  for (const s of path) {
    if (s.t === 'key' && at !== null && typeof at === 'object' && !Array.isArray(at))
      at = (at as Record<string, unknown>)[s.name];
    else if (s.t === 'index' && Array.isArray(at)) at = at[s.index < 0 ? at.length + s.index : s.index];
    else return undefined;
  }
  return at;
}

/**
 * Captures values from one side's answer into its variables: `$.path` from the JSON body, or
 * `header:<name>`. Returns the names that could not be captured.
 */
export function capture(spec: Record<string, string>, answer: HttpSnapshot, vars: Variables): string[] {
  const failed: string[] = [];
  let doc: unknown;
  let parsed = false;
  for (const [name, from] of Object.entries(spec)) {
    let v: unknown;
    if (from.toLowerCase().startsWith('header:')) v = headerValue(answer.headers, from.slice(7).trim());
    else {
      if (!parsed) {
        parsed = true;
        try {
          // An id past 2^53 is captured digit for digit, and sent on as it came.
          doc = parseExactJson(Buffer.from(answer.body).toString('utf8'));
        } catch {
          doc = undefined;
        }
      }
      v = walk(doc, parsePath(from));
    }
    if (v === undefined || v === null) failed.push(name);
    else vars.set(name, v);
  }
  return failed;
}

/**
 * Captures a case's values from each side's answer (a side without an answer is skipped) into
 * that side's variables.
 * @returns a `capture` failure per side that missed a value
 */
export function captureAnswers(
  spec: Record<string, string>,
  answers: Partial<Record<Side, HttpSnapshot>>,
  vars: Record<Side, Variables>,
): CaseFailure[] {
  const failures: CaseFailure[] = [];
  for (const side of ['legacy', 'new'] as const) {
    const answer = answers[side];
    if (answer === undefined) continue;
    const missed = capture(spec, answer, vars[side]);
    if (missed.length > 0)
      failures.push({
        kind: 'capture',
        message: `could not capture ${missed.map((n) => `${n} (${spec[n]})`).join(', ')} from ${side}'s answer (status ${answer.status})`,
      });
  }
  return failures;
}
