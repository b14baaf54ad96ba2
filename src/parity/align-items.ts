/**
 * Which items of one ordered list are which items of another when a few were dropped, added or
 * changed in between: the shortest edit script (Myers' O((n + m) · D) difference algorithm), up to
 * a number of edits. A page off by one, an item dropped from the middle of a list, or one added at
 * its head then reads as that item missing or extra, not as every later position differing. Pure.
 */

/** One step of an alignment: an item on both sides, one only legacy has, or one only new has. */
export type AlignStep = { op: 'same'; i: number; j: number } | { op: 'drop'; i: number } | { op: 'add'; j: number };

/**
 * The shortest alignment of `a`'s `n` items with `b`'s `m` items, where `same(i, j)` says whether
 * `a[i]` and `b[j]` are the same item.
 * @param maxEdits give up past this many items dropped and added together
 * @returns the steps in list order, or undefined when more than `maxEdits` edits are needed
 */
export function alignItems(
  n: number,
  m: number,
  same: (i: number, j: number) => boolean,
  maxEdits: number,
): AlignStep[] | undefined {
  const max = Math.min(n + m, maxEdits);
  const off = max + 1;
  // v[k + off]: how far along `a` the furthest path with d edits reaches on diagonal k = i − j.
  const v = new Int32Array(2 * max + 3);
  const trace: Int32Array[] = [];
  for (let d = 0; d <= max; d++) {
    trace.push(v.slice());
    for (let k = -d; k <= d; k += 2) {
      const down = k === -d || (k !== d && (v[k - 1 + off] as number) < (v[k + 1 + off] as number));
      let x = down ? (v[k + 1 + off] as number) : (v[k - 1 + off] as number) + 1;
      let y = x - k;
      while (x < n && y < m && same(x, y)) {
        x++;
        y++;
      }
      v[k + off] = x;
      if (x >= n && y >= m) return backtrack(trace, off, n, m);
    }
  }
  return undefined;
}

/** Walks the furthest paths back from the end, `trace[d]` holding them as they were before edit d. */
function backtrack(trace: readonly Int32Array[], off: number, n: number, m: number): AlignStep[] {
  const steps: AlignStep[] = [];
  let x = n;
  let y = m;
  for (let d = trace.length - 1; d >= 0; d--) {
    const v = trace[d] as Int32Array;
    const k = x - y;
    const down = k === -d || (k !== d && (v[k - 1 + off] as number) < (v[k + 1 + off] as number));
    const prevK = down ? k + 1 : k - 1;
    const prevX = d === 0 ? 0 : (v[prevK + off] as number);
    const prevY = d === 0 ? 0 : prevX - prevK;
    while (x > prevX && y > prevY) {
      x--;
      y--;
      steps.push({ op: 'same', i: x, j: y });
    }
    if (d > 0) {
      if (x === prevX) steps.push({ op: 'add', j: prevY });
      else steps.push({ op: 'drop', i: prevX });
    }
    x = prevX;
    y = prevY;
  }
  return steps.reverse();
}
