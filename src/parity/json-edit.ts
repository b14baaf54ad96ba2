/**
 * Edits of a parsed JSON document by path (the `json-path.ts` dialect): find every node a path
 * matches, remove it, or write a value at a path, creating objects on the way. The document is
 * held as `holder.$` so the root itself can be replaced. Used by response adapters; mutates the
 * document it is given.
 */
import type { PathSegment } from './json-path.js';

/** An object or array of the document. */
export type Container = Record<string, unknown> | unknown[];

/** Where a matched node is: its parent and key, and the keys the pattern's wildcards matched. */
export interface Slot {
  parent: Container;
  key: string | number;
  /** Concrete keys / indices that the pattern's wildcards matched, in order. */
  bound: Array<string | number>;
}

/** True for an object or array (a node that has children). */
export function isContainer(v: unknown): v is Container {
  return typeof v === 'object' && v !== null;
}

/** Every existing node matching `segs` below `holder.$`, as (parent, key) slots. */
export function select(holder: Record<string, unknown>, segs: readonly PathSegment[]): Slot[] {
  const out: Slot[] = [];
  const bound: Array<string | number> = [];
  const visit = (parent: Container, key: string | number, i: number): void => {
    const node = (parent as Record<string | number, unknown>)[key];
    if (i === segs.length) {
      out.push({ parent, key, bound: [...bound] });
      return;
    }
    const seg = segs[i] as PathSegment;
    if (!isContainer(node)) return;
    if (seg.t === 'key') {
      if (!Array.isArray(node) && Object.hasOwn(node, seg.name)) visit(node, seg.name, i + 1);
    } else if (seg.t === 'index') {
      if (Array.isArray(node) && seg.index < node.length) visit(node, seg.index, i + 1);
    } else {
      if (seg.t === 'descend') visit(parent, key, i + 1);
      const keys: Array<string | number> = Array.isArray(node) ? node.map((_, j) => j) : Object.keys(node);
      for (const k of keys) {
        bound.push(k);
        visit(node, k, seg.t === 'descend' ? i : i + 1);
        bound.pop();
      }
    }
  };
  visit(holder, '$', 0);
  return out;
}

/** Writes `value` at `segs` below `holder.$`, wildcards taken from `bound`, creating objects on the way. */
export function writeAt(
  holder: Record<string, unknown>,
  segs: readonly PathSegment[],
  bound: ReadonlyArray<string | number>,
  value: unknown,
): void {
  let parent: Container = holder;
  let key: string | number = '$';
  let w = 0;
  for (let i = 0; i < segs.length; i++) {
    const seg = segs[i] as PathSegment;
    const k = seg.t === 'key' ? seg.name : seg.t === 'index' ? seg.index : bound[w++];
    if (k === undefined) return;
    let node = (parent as Record<string | number, unknown>)[key];
    if (!isContainer(node)) {
      node = typeof k === 'number' ? [] : {};
      (parent as Record<string | number, unknown>)[key] = node;
    }
    parent = node as Container;
    key = k;
  }
  (parent as Record<string | number, unknown>)[key] = value;
}

/** Removes the node at `s`; an array item is spliced out, so later indices shift down. */
export function removeSlot(s: Slot): void {
  if (Array.isArray(s.parent)) s.parent.splice(s.key as number, 1);
  else delete s.parent[s.key as string];
}
