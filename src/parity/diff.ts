/**
 * The structural diff at the heart of parity: status, chosen headers and body of a legacy answer
 * against a candidate answer, under a family's rules (ignored paths, paths compared only for
 * presence, type or instant (`present`, `type`, `format`), status mappings, numeric tolerance,
 * array modes) and a route's learned noise. Pure and synchronous; the router calls it off the hot path
 * for every sampled shadow pair, so rules are compiled once and the walk allocates nothing until
 * it finds a difference.
 *
 * The pieces: `diff-rules.ts` (rules and their compilation), `json-walk.ts` (the JSON walk, with
 * `walk-state.ts` and `walk-types.ts`), `response-compare.ts` (status, headers, bodies).
 */
export type { CompareOptions, CompiledRules, ResolvedDiffRules } from './diff-rules.js';
export { compileRules } from './diff-rules.js';
export { compareJson } from './json-walk.js';
export { compareResponses } from './response-compare.js';
export { headerValue } from './headers.js';
export { normalizePath } from './json-path.js';
