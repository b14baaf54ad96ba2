/**
 * Two texts that differ, compared value by value when their skeletons agree (see text-tokens.ts):
 * each differing value at its own path (`$body.token<n>`), judged by learned noise there and by
 * value classes. Part of response-compare.ts's body comparison. Pure.
 */
import type { Difference, NoiseFilter } from './types.js';
import { classOptions } from './diff-rules.js';
import type { CompareOptions, CompiledRules } from './diff-rules.js';
import type { OwnOrigins } from './own-origins.js';
import { bothGeneratedTokens, collapse, textTokens } from './text-tokens.js';
import { record, Walk } from './walk-state.js';

/** Where a comparison files what it finds. */
export interface Found {
  differences: Difference[];
  noise: Difference[];
  informational: Difference[];
}

/** Past this many differing values, a text differs as a whole (`$body`) rather than value by value. */
const MAX_VALUE_DIFFERENCES = 64;

/**
 * Two texts with the same skeleton (see text-tokens.ts), compared value by value into `out`: each
 * differing value at its own path, judged by learned noise there and by value classes. In two HTML
 * pages a run of whitespace in the skeleton is one space, as a browser renders it (two templates
 * of one page are indented each their own way). False when the skeletons differ, too many values
 * differ, or the whole body is learned noise: the caller then reports the body as one difference.
 * `valuePath` names where each value of `ls` sits (a canonical page's, html-canonical.ts); without
 * it a value is named by its place in the text (`$body.token3`).
 */
export function compareValues(
  ls: string,
  cs: string,
  html: boolean,
  rules: CompiledRules,
  noise: NoiseFilter | undefined,
  out: Found,
  options: CompareOptions | undefined,
  origins: OwnOrigins | undefined,
  valuePath?: (i: number) => string,
): boolean {
  if (noise !== undefined && record({ path: '$body', kind: 'value' }, noise)) return false;
  const a = textTokens(ls);
  const b = textTokens(cs);
  const same = html ? collapse(a.skeleton) === collapse(b.skeleton) : a.skeleton === b.skeleton;
  if (!same || a.values.length === 0) return false;
  let differing = 0;
  for (let i = 0; i < a.values.length; i++) if (a.values[i] !== b.values[i]) differing++;
  if (differing > MAX_VALUE_DIFFERENCES) return false;
  const walk = new Walk(rules, undefined, classOptions(rules, options), { origins });
  for (let i = 0; i < a.values.length; i++) {
    const x = a.values[i]!;
    const y = b.values[i]!;
    if (x === y || walk.origins?.same(x, y) === true) continue;
    walk.push('key', `token${i + 1}`, '');
    walk.leaf(x, y);
    walk.depth--;
  }
  // The walk's paths are `$.tokenN`; the text's are `$body.tokenN`, or where the value sits in the page.
  const at = (d: Difference): Difference => ({
    ...d,
    path: valuePath === undefined ? `$body${d.path.slice(1)}` : valuePath(Number(d.path.slice('$.token'.length)) - 1),
  });
  const tokensAreNoise = options?.classNoise === true;
  for (const d of walk.diffs) {
    if (tokensAreNoise && d.kind === 'value' && bothGeneratedTokens(String(d.legacy), String(d.candidate)))
      out.noise.push(at(d));
    else record(at(d), noise, out.differences, out.noise);
  }
  for (const d of walk.noiseOut) out.noise.push(at(d));
  for (const d of walk.info) out.informational.push(at(d));
  return true;
}
