/**
 * Shapes shared by the diff engine, its callers (the router's shadow path, the contract runner,
 * the report) and the noise learner. Plain data only: results travel into stats and reports.
 */
import type { ValueClass } from './value-classes.js';

/** A buffered HTTP answer as the diff engine sees it. Header names may be in any case. */
export interface HttpSnapshot {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Uint8Array | string;
}

/**
 * What kind of difference was found.
 * - `missing`: present in the legacy answer, absent from the new one.
 * - `extra`: present in the new answer, absent from the legacy one.
 * - `type`: different JSON types (number vs string, object vs array, null vs value), or a body
 *   that should be JSON but does not parse.
 * - `value`: same type, different value (also a whole non-JSON body, at `$body`).
 * - `status`: different HTTP status, at `$status`.
 * - `header`: a compared header differs, at `header:<lower-case name>`.
 * - `order`: an ordered array holds the same items in a different order.
 * - `format`: the same value written another way (the same instant as `+00:00` and as `Z`).
 *   Informational unless the plan makes it blocking.
 * - `redirect`: the redirect chains differ while the final answers agree, at `$redirect`.
 *   Informational unless the plan makes it blocking.
 * - `latency`: the new side of a route is slower than the plan's tolerance, with evidence, at
 *   `$latency`.
 */
export type DiffKind =
  'missing' | 'extra' | 'type' | 'value' | 'status' | 'header' | 'order' | 'format' | 'redirect' | 'latency';

/** Every kind, for counting and exhaustive reports. */
export const DIFF_KINDS: readonly DiffKind[] = [
  'missing',
  'extra',
  'type',
  'value',
  'status',
  'header',
  'order',
  'format',
  'redirect',
  'latency',
];

/** Kinds that do not count as a mismatch unless the plan lists them in `diff.blocking`. */
export const INFORMATIONAL_KINDS: readonly DiffKind[] = ['format', 'redirect'];

/** One difference between a legacy and a candidate answer. */
export interface Difference {
  /** JSON path (`$.items[3].price`, `$.items[id=42].price`), `$status`, `$body` or `header:<name>`. */
  path: string;
  kind: DiffKind;
  /** The legacy side's value (absent for `extra`). Shared with the parsed body, not copied. */
  legacy?: unknown;
  /** The candidate side's value (absent for `missing`). Shared with the parsed body, not copied. */
  candidate?: unknown;
  /**
   * The value class that explains a `format` difference or a difference filed as class noise
   * (two fresh UUIDs, two "now" timestamps). Absent otherwise.
   */
  valueClass?: ValueClass;
}

/** The outcome of comparing two answers. */
export interface ComparisonResult {
  /** True when no real difference remains (noise does not count). */
  equal: boolean;
  /** Real differences, in document order (status, headers, then body). */
  differences: Difference[];
  /**
   * Differences dropped as noise: their path (or an ancestor) was learned as noise, or (with
   * class noise on) both values are generated values of one class (`valueClass` says which).
   */
  noise: Difference[];
  /**
   * Differences of an informational kind (`format`, `redirect`) that the plan does not make
   * blocking: reported, never counted as a mismatch. Blocking ones are in `differences`.
   */
  informational: Difference[];
  /** The body was compared as text because it was not JSON. */
  text: boolean;
}

/** Paths learned as noise for one route (normalized, e.g. `$.items[*].updated_at`). */
export interface NoiseFilter {
  /**
   * Whether a difference at `normalizedPath` is noise: of a kind that two legacy answers showed
   * there (see `NoisePath.kinds`), or of any kind when `kind` is left out (a learned path above
   * the difference hides everything below it).
   */
  has(normalizedPath: string, kind?: DiffKind): boolean;
  /**
   * Arrays whose order alone was learned as noise (normalized paths): they are compared as
   * multisets, so an item dropped, added or changed still counts.
   */
  readonly orderOnly?: ReadonlySet<string>;
}
