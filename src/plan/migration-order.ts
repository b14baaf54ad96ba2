/** The order families migrate in: each after the families it depends on. */

/** Returns one dependency cycle as a list of names (first repeated at the end), or undefined. */
export function findCycle(nodes: readonly { name: string; deps: readonly string[] }[]): string[] | undefined {
  const deps = new Map(nodes.map((n) => [n.name, n.deps]));
  const state = new Map<string, 'visiting' | 'done'>();
  const stack: string[] = [];
  const visit = (name: string): string[] | undefined => {
    const s = state.get(name);
    if (s === 'done') return undefined;
    if (s === 'visiting') return [...stack.slice(stack.indexOf(name)), name];
    state.set(name, 'visiting');
    stack.push(name);
    for (const d of deps.get(name) ?? []) {
      if (!deps.has(d)) continue;
      const c = visit(d);
      if (c) return c;
    }
    stack.pop();
    state.set(name, 'done');
    return undefined;
  };
  for (const n of nodes) {
    const c = visit(n.name);
    if (c) return c;
  }
  return undefined;
}

/**
 * Orders families so each comes after the families it depends on (stable: plan order otherwise).
 * The plan loader has already rejected cycles.
 */
export function migrationOrder<T extends { name: string; dependsOn: readonly string[] }>(families: readonly T[]): T[] {
  const done = new Set<string>();
  const out: T[] = [];
  const pending = [...families];
  while (pending.length > 0) {
    const i = pending.findIndex((f) => f.dependsOn.every((d) => done.has(d) || !families.some((x) => x.name === d)));
    if (i < 0) throw new Error(`dependency cycle among: ${pending.map((f) => f.name).join(', ')}`);
    const [f] = pending.splice(i, 1) as [T];
    done.add(f.name);
    out.push(f);
  }
  return out;
}
