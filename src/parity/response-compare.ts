/**
 * The HTTP side of parity: status, chosen headers and body of a legacy answer against a candidate
 * answer. JSON bodies go to the structural walk (`json-walk.ts`); other bodies compare as text.
 * Bodies are read as the client gets them (`http-body.ts`).
 */
import type { ComparisonResult, Difference, HttpSnapshot, NoiseFilter } from './types.js';
import { setAsideCreatedIds } from './generated-ids.js';
import { SERIAL_BIT } from './value-classes.js';
import { statusMapped } from './relaxed-rules.js';
import { classOptions } from './diff-rules.js';
import type { CompareOptions, CompiledRules } from './diff-rules.js';
import { holdsLongIntegers, parseExactJson, withoutBigints } from './exact-json.js';
import { compareJson } from './json-walk.js';
import { canonicalHtml } from './html-canonical.js';
import { bothGeneratedTokens, collapse } from './text-tokens.js';
import { compareValues, type Found } from './text-values.js';
import { compareSetCookies, setCookieLines } from './set-cookie.js';
import { headerValue, mediaType } from './headers.js';
import { bodiesIdentical, bodyText, decoded } from './http-body.js';
import { originsOf, type OwnOrigins } from './own-origins.js';
import { parseNdjsonLines, parseTypedStructure } from './structured-bodies.js';
import { isRedirectStatus } from './redirect-chain.js';
import { record, Walk } from './walk-state.js';

/** Text bodies longer than this are cut in the `$body` difference (characters). */
const TEXT_EXAMPLE_CHARS = 1024;

/**
 * Compares two HTTP answers: status (`$status`, unless the rules' `status` mapping pairs the two),
 * the rule's headers (`header:<name>`; for
 * `content-type` only the media type counts, so a charset-only change is equal; `set-cookie` is
 * compared cookie by cookie and attribute by attribute, see set-cookie.ts), and the body —
 * structurally when it is JSON (by content type, or by sniffing `{`/`[`), else as text at `$body`.
 * Bodies are compared as the client gets them, undone of their `Content-Encoding`; the
 * `content-type` of two 204s is not compared, nor the body and type of two redirects (a status
 * with a `location`). Byte-identical bodies are equal without being parsed.
 *
 * Differing leaves (and short text bodies) are judged by the rules' value classes: the same
 * instant in another format is an informational `format` difference; with `options.classNoise`,
 * two generated values of one class are noise (see {@link judgeValues}), and on a POST
 * (`options.request`) so are the ids each side gave the record it created.
 */
export function compareResponses(
  legacy: HttpSnapshot,
  candidate: HttpSnapshot,
  rules: CompiledRules,
  noise?: NoiseFilter,
  options?: CompareOptions,
): ComparisonResult {
  const differences: Difference[] = [];
  const noiseOut: Difference[] = [];
  const informational: Difference[] = [];
  if (legacy.status !== candidate.status && !statusMapped(rules.statusMap, legacy.status, candidate.status)) {
    record(
      { path: '$status', kind: 'status', legacy: legacy.status, candidate: candidate.status },
      noise,
      differences,
      noiseOut,
    );
  }
  let legacyType: string | undefined;
  let candidateType: string | undefined;
  const origins = originsOf(options);
  // Two redirects: what a client sees is where they point (`location`), not the page a framework
  // writes along (Flask's "Redirecting..." HTML against Starlette's empty body with no type).
  const redirects = pointsElsewhere(legacy) && pointsElsewhere(candidate);
  for (const name of rules.headers) {
    if (name === 'set-cookie') {
      const found = compareSetCookies(setCookieLines(legacy.headers), setCookieLines(candidate.headers), {
        // Where legacy is not asked twice (a POST's answer), two fresh session ids are noise.
        generated: options?.classNoise === true ? bothGeneratedTokens : undefined,
      });
      for (const d of found.noise) noiseOut.push(d);
      for (const d of found.differences) record(d, noise, differences, noiseOut);
      continue;
    }
    const lv = headerValue(legacy.headers, name);
    const cv = headerValue(candidate.headers, name);
    if (name === 'content-type') {
      legacyType = lv;
      candidateType = cv;
    }
    if (headersEqual(name, lv, cv)) continue;
    if (
      origins !== undefined &&
      lv !== undefined &&
      cv !== undefined &&
      (LOCATIONS.has(name) ? origins.sameLocation(lv, cv) : origins.same(lv, cv))
    )
      continue;
    // A 204 has no content: the type of nothing is no difference a client can see.
    if (name === 'content-type' && ((legacy.status === 204 && candidate.status === 204) || redirects)) continue;
    const d: Difference = { path: 'header:' + name, kind: 'header' };
    if (lv !== undefined) d.legacy = lv;
    if (cv !== undefined) d.candidate = cv;
    record(d, noise, differences, noiseOut);
  }
  if (!rules.headers.includes('content-type')) {
    legacyType = headerValue(legacy.headers, 'content-type');
    candidateType = headerValue(candidate.headers, 'content-type');
  }
  const jsonType = isJsonType(legacyType) || isJsonType(candidateType);
  const legacyBody = decoded(legacy);
  const candidateBody = decoded(candidate);
  let text: boolean;
  if (redirects) {
    text = false;
  } else if (bodiesIdentical(legacyBody, candidateBody)) {
    text = !jsonType && !startsLikeJson(legacyBody);
  } else {
    text = compareBodies(
      bodyText(legacyBody),
      bodyText(candidateBody),
      { legacy: legacyType, candidate: candidateType, json: jsonType },
      rules,
      noise,
      { differences, noise: noiseOut, informational },
      options,
      origins,
    );
  }
  if (
    options?.request?.method === 'POST' &&
    options.classNoise === true &&
    (rules.classMask & SERIAL_BIT) !== 0 &&
    differences.length > 0
  )
    setAsideCreatedIds(differences, noiseOut, options.request.text, origins);
  return { equal: differences.length === 0, differences, noise: noiseOut, informational, text };
}

/** Text bodies up to this length are judged by value class as a whole (an id answered as text). */
const CLASSED_TEXT_CHARS = 4096;

/**
 * Compares decoded bodies into the given lists; returns true when they were compared as text.
 * @param origins each side's own origin, built once per comparison by the caller
 */
function compareBodies(
  ls: string,
  cs: string,
  types: { legacy: string | undefined; candidate: string | undefined; json: boolean },
  rules: CompiledRules,
  noise: NoiseFilter | undefined,
  out: Found,
  options: CompareOptions | undefined,
  origins: OwnOrigins | undefined,
): boolean {
  const { differences, noise: noiseOut } = out;
  const jsonType = types.json;
  // XML and NDJSON by their media types; NDJSON also by its lines once it is not one JSON document.
  const typed = parseTypedStructure(ls, cs, types.legacy, types.candidate);
  if (typed !== undefined) {
    compareValuesOf(typed.legacy, typed.candidate, typed.kind === 'ndjson', rules, noise, out, options);
    return false;
  }
  if (jsonType || (looksLikeJson(ls) && looksLikeJson(cs))) {
    const ll = holdsLongIntegers(ls);
    const cl = holdsLongIntegers(cs);
    const lp = parseJson(ls, ll);
    const cp = parseJson(cs, cl);
    if (lp !== INVALID && cp !== INVALID) {
      compareValuesOf(lp, cp, ll || cl, rules, noise, out, options);
      return false;
    }
    const lines = lp === INVALID && cp === INVALID ? parseNdjsonLines(ls, cs) : undefined;
    if (lines !== undefined) {
      compareValuesOf(lines[0], lines[1], true, rules, noise, out, options);
      return false;
    }
    if (jsonType && (lp !== INVALID || cp !== INVALID)) {
      const d: Difference = {
        path: '$',
        kind: 'type',
        legacy: lp === INVALID ? clip(ls) : lp,
        candidate: cp === INVALID ? clip(cs) : cp,
      };
      record(d, noise, differences, noiseOut);
      return false;
    }
  }
  const html = isHtmlType(types.legacy) && isHtmlType(types.candidate);
  // Two pages are compared as their canonical markup: two templates spell one page differently.
  const page = html ? canonicalHtml(ls) : undefined;
  const [lt, ct] =
    page !== undefined
      ? [page.text, canonicalHtml(cs).text]
      : rules.rules.text === 'normalized'
        ? [collapse(ls), collapse(cs)]
        : [ls, cs];
  if (lt === ct) return true;
  if (origins !== undefined && origins.same(lt, ct)) return true;
  if (ls.length <= CLASSED_TEXT_CHARS && cs.length <= CLASSED_TEXT_CHARS) {
    const walk = new Walk(rules, noise, classOptions(rules, options));
    if (walk.classes !== undefined) {
      walk.leaf(ls.trim(), cs.trim());
      if (walk.diffs.length === 0 || walk.diffs[0]?.kind === 'format') {
        for (const d of walk.diffs) differences.push({ ...d, path: '$body' });
        for (const d of walk.noiseOut) noiseOut.push({ ...d, path: '$body' });
        for (const d of walk.info) out.informational.push({ ...d, path: '$body' });
        return true;
      }
    }
  }
  if (!compareValues(lt, ct, html, rules, noise, out, options, origins, page?.valuePath))
    record({ path: '$body', kind: 'value', legacy: clip(ls), candidate: clip(cs) }, noise, differences, noiseOut);
  return true;
}

/**
 * Two bodies read as values, compared as JSON into the given lists.
 * @param long whether they may hold integers past 2^53, which records show as their digits
 */
function compareValuesOf(
  l: unknown,
  c: unknown,
  long: boolean,
  rules: CompiledRules,
  noise: NoiseFilter | undefined,
  out: Found,
  options: CompareOptions | undefined,
): void {
  const r = compareJson(l, c, rules, noise, options);
  const fix = long ? reportable : undefined;
  for (const d of r.differences) out.differences.push(fix ? fix(d) : d);
  for (const d of r.noise) out.noise.push(fix ? fix(d) : d);
  for (const d of r.informational) out.informational.push(fix ? fix(d) : d);
}

const INVALID = Symbol('invalid-json');

function parseJson(s: string, long: boolean): unknown {
  try {
    return parseExactJson(s, long);
  } catch {
    return INVALID;
  }
}

/**
 * `d` with JSON-safe values: an integer past 2^53 as the string of its digits, or, in a `type`
 * difference, as the nearest number, so that its transition still reads `number→string`.
 */
function reportable(d: Difference): Difference {
  const out = { ...d };
  if ('legacy' in d)
    out.legacy = d.kind === 'type' && typeof d.legacy === 'bigint' ? Number(d.legacy) : withoutBigints(d.legacy);
  if ('candidate' in d)
    out.candidate =
      d.kind === 'type' && typeof d.candidate === 'bigint' ? Number(d.candidate) : withoutBigints(d.candidate);
  return out;
}

function looksLikeJson(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) continue;
    return c === 0x7b || c === 0x5b;
  }
  return false;
}

/** {@link looksLikeJson} on raw bytes, so identical bodies are never decoded. */
function startsLikeJson(body: Uint8Array | string): boolean {
  if (typeof body === 'string') return looksLikeJson(body);
  for (let i = 0; i < body.length; i++) {
    const c = body[i];
    if (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09 || c === 0xef || c === 0xbb || c === 0xbf) continue;
    return c === 0x7b || c === 0x5b;
  }
  return false;
}

function isHtmlType(ct: string | undefined): boolean {
  if (ct === undefined) return false;
  const t = ct.toLowerCase();
  return t.startsWith('text/html') || t.startsWith('application/xhtml+xml');
}

function isJsonType(ct: string | undefined): boolean {
  return ct !== undefined && ct.toLowerCase().includes('json');
}

function clip(s: string): string {
  return s.length > TEXT_EXAMPLE_CHARS ? s.slice(0, TEXT_EXAMPLE_CHARS) + '…' : s;
}

/** Headers whose value is a URL a client resolves against the address it asked. */
const LOCATIONS = new Set(['location', 'content-location']);

/** A redirect: a status clients follow, with a `location` (any case of its name). */
function pointsElsewhere(answer: HttpSnapshot): boolean {
  return isRedirectStatus(answer.status) && headerValue(answer.headers, 'location') !== undefined;
}

function headersEqual(name: string, a: string | undefined, b: string | undefined): boolean {
  if (a === b) return true;
  if (a === undefined || b === undefined) return false;
  if (name === 'content-type') return mediaType(a) === mediaType(b);
  return a.trim() === b.trim();
}
