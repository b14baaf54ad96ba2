/**
 * The walk for the `type` rule: below a node it names, only JSON types and key sets count.
 */
import { jsonType } from './relaxed-rules.js';
import type { RuleState } from './diff-rules.js';
import { hasOwn, MAX_DEPTH } from './walk-state.js';
import type { Walk } from './walk-state.js';

/** {@link jsonType} of arrays; objects are above it, scalars below. */
const JSON_ARRAY = 4;

/**
 * The `type` rule: the same JSON type here and, inside objects and arrays, the same keys with the
 * same types; array items are compared pairwise by type and lengths may differ. Ignored paths
 * below stay ignored.
 */
export function walkTypes(walk: Walk, a: unknown, b: unknown, state: RuleState): boolean {
  const t = jsonType(a);
  if (t !== jsonType(b)) return walk.emit('type', a, b);
  if (walk.depth >= MAX_DEPTH || t < JSON_ARRAY) return true;
  let eq = true;
  if (t === JSON_ARRAY) {
    const x = a as unknown[];
    const y = b as unknown[];
    const n = Math.min(x.length, y.length);
    for (let i = 0; i < n; i++) {
      const child = state.index(i);
      if (child.info?.ignore === true) continue;
      walk.push('index', i, '');
      const ok = walkTypes(walk, x[i], y[i], child);
      walk.depth--;
      if (!ok && walk.probe > 0) return false;
      eq &&= ok;
    }
    return eq;
  }
  const x = a as Record<string, unknown>;
  const y = b as Record<string, unknown>;
  for (const k in x) {
    const child = state.key(k);
    if (child.info?.ignore === true) continue;
    walk.push('key', k, '');
    const ok = hasOwn.call(y, k) ? walkTypes(walk, x[k], y[k], child) : walk.emit('missing', x[k], undefined);
    walk.depth--;
    if (!ok && walk.probe > 0) return false;
    eq &&= ok;
  }
  for (const k in y) {
    if (hasOwn.call(x, k) || state.key(k).info?.ignore === true) continue;
    const ok = walk.emitAt('key', k, '', 'extra', undefined, y[k]);
    if (!ok && walk.probe > 0) return false;
    eq &&= ok;
  }
  return eq;
}
