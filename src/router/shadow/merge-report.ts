/** Adds what the shadow thread found to a family's statistics, counters and rings, on the router thread. */
import type { FamilyRuntime } from '../family.js';
import type { FamilyReport } from './report.js';

export function mergeReport(fam: FamilyRuntime, r: FamilyReport): void {
  const now = Date.now();
  for (const c of r.comparisons) {
    fam.stats.recordComparison(c.route, c, c.legacyMs, c.newMs, now);
    fam.counters.comparisons++;
    if (c.replayed) fam.counters.replayed++;
    for (const k of new Set(c.informational.map((d) => d.kind)))
      fam.counters.informational[k] = (fam.counters.informational[k] ?? 0) + 1;
    if (c.equal) continue;
    for (const k of new Set(c.differences.map((d) => d.kind)))
      fam.counters.mismatches[k] = (fam.counters.mismatches[k] ?? 0) + 1;
  }
  for (const m of r.mismatches) fam.mismatches.push(m);
  for (const m of r.informational) fam.informational.push(m);
  for (const s of r.samples) fam.samples.push(s);
  if (r.noise) fam.noise.load(r.noise);
}
