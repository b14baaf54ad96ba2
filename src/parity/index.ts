/**
 * The parity diff engine: pure comparison of legacy and new answers, noise learning and response
 * adapters. No I/O; shared by the router's shadow path, the contract runner and reports.
 */
export type { ComparisonResult, Difference, DiffKind, HttpSnapshot, NoiseFilter } from './types.js';
export { DIFF_KINDS } from './types.js';
export type { CompareOptions, CompiledRules, ResolvedDiffRules } from './diff.js';
export { compareJson, compareResponses, compileRules, headerValue, normalizePath } from './diff.js';
export type { NoiseLearnerOptions, NoisePath } from './noise.js';
export { NO_NOISE, NoiseLearner } from './noise.js';
export { CONFIRM_SAMPLES, Confirmations } from './confirmations.js';
export type { AdapterSet, CompiledAdapter } from './adapt.js';
export { applyAdapter, compileAdapters } from './adapt.js';
export { holdsLongIntegers, parseExactJson, stringifyExactJson } from './exact-json.js';
export { parsePath } from './json-path.js';
export type { OwnHosts } from './own-origins.js';
export { ownHostsOf } from './own-origins.js';
export { isIdSegment, RouteKeys, routeTemplate } from './route-template.js';
export type { ClassVerdict, ValueClass } from './value-classes.js';
export { VALUE_CLASSES } from './value-classes.js';
export type { Instant } from './instant.js';
export { parseInstant } from './instant.js';
export type { PathSegment } from './json-path.js';
export type { Distribution, LatencyVerdict, Outcome, RankTest, RateBounds, RateVerdict } from './evidence.js';
export { distributionOf, judgeLatency, judgeRate, rankTest, wilsonBounds } from './evidence.js';
