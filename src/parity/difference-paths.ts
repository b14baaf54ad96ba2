/**
 * Where a family's counted differences are: comparisons per difference kind and the paths that
 * differ most, with an example of both values. Bounded, so a response that differs everywhere
 * cannot grow the router's memory. Pure.
 */
import { isSetAside } from './compared-routes.js';
import { normalizePath } from './json-path.js';
import { LATENCY_PATH } from './latency-signatures.js';
import type { PathCount, RouteParity } from './snapshot.js';
import type { Difference } from './types.js';

/** Distinct differing paths remembered between resets; later ones are counted by kind only. */
const MAX_PATHS = 500;
/** Paths listed in a snapshot, most frequent first. */
const TOP_PATHS = 20;
/** Example values longer than this (as JSON) are cut. */
const EXAMPLE_CHARS = 300;

function example(v: unknown): unknown {
  if (v === undefined) return undefined;
  const text = JSON.stringify(v);
  if (text === undefined || text.length <= EXAMPLE_CHARS) return v;
  return `${text.slice(0, EXAMPLE_CHARS)}… (${text.length} chars)`;
}

/** Differences counted by kind and by (route, kind, path) over one window. */
export class DifferencePaths {
  private readonly byKind: Record<string, number> = {};
  private readonly paths = new Map<string, PathCount>();

  /** One mismatching comparison's differences that still count after triage. */
  record(route: string, counted: readonly Difference[]): void {
    const kinds = new Set<string>();
    for (const d of counted) {
      kinds.add(d.kind);
      const path = d.path.startsWith('$') ? normalizePath(d.path) : d.path;
      const key = `${route}\n${d.kind}\n${path}`;
      const known = this.paths.get(key);
      if (known) known.count++;
      else if (this.paths.size < MAX_PATHS) {
        this.paths.set(key, {
          path,
          kind: d.kind,
          count: 1,
          route,
          example: { legacy: example(d.legacy), candidate: example(d.candidate) },
        });
      }
    }
    for (const k of kinds) this.byKind[k] = (this.byKind[k] ?? 0) + 1;
  }

  /**
   * Counts by kind and the top paths. A route flagged slower and not set aside adds its samples
   * to `latency` and a `$latency` path; it does not change the mismatch count.
   * @param routes this window's routes with their decisions written on
   */
  figures(routes: readonly RouteParity[]): { byKind: Record<string, number>; topPaths: PathCount[] } {
    const byKind = { ...this.byKind };
    const paths = [...this.paths.values()].map((p) => ({ ...p }));
    for (const r of routes) {
      if (!r.latency.flagged || isSetAside(r.latency.decision)) continue;
      byKind.latency = (byKind.latency ?? 0) + r.samples;
      paths.push({
        path: LATENCY_PATH,
        kind: 'latency',
        count: r.samples,
        route: r.route,
        example: { legacy: `p50 ${r.latency.legacy.p50} ms`, candidate: `p50 ${r.latency.new.p50} ms` },
      });
    }
    const topPaths = paths.sort((a, b) => b.count - a.count || a.path.localeCompare(b.path)).slice(0, TOP_PATHS);
    return { byKind, topPaths };
  }
}
