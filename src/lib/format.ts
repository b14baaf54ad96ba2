/**
 * How figures are written for people (CLI, Slack, reports, verdict text). Pure, with no imports,
 * so workflow code may use it too.
 */

/** A share as a percentage with two decimals (`0.0123` → `1.23%`); `—` when there is none. */
export function percent(x: number | null | undefined): string {
  return x === null || x === undefined ? '—' : `${(x * 100).toFixed(2)}%`;
}

/** Milliseconds rounded to a whole number (`12.6` → `13 ms`); `—` when there is none. */
export function millis(x: number | null | undefined): string {
  return x === null || x === undefined ? '—' : `${Math.round(x)} ms`;
}

/** A duration rounded to its largest sensible unit: `45s`, `12m`, `2.5h`. */
export function roughDuration(ms: number): string {
  const s = Math.round(ms / 1000);
  if (s < 90) return `${s}s`;
  const m = Math.round(s / 60);
  return m < 90 ? `${m}m` : `${(m / 60).toFixed(1)}h`;
}

/** A ratio with two decimals (`1.234` → `1.23`); `—` when there is none. */
export function ratio(x: number | null | undefined): string {
  return x === null || x === undefined ? '—' : x.toFixed(2);
}
