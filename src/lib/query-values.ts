/**
 * A query string's parameters as a record of decoded values, a repeated parameter as the list of
 * its values in the order they came (`?tag=a&tag=b` → `{ tag: ['a', 'b'] }`), so a request can be
 * kept and sent again as it was.
 */
export function queryValues(params: URLSearchParams): Record<string, string | string[]> {
  // A Map, so a parameter named `__proto__` is a parameter like any other.
  const values = new Map<string, string[]>();
  for (const [k, v] of params) {
    const list = values.get(k);
    if (list) list.push(v);
    else values.set(k, [v]);
  }
  return Object.fromEntries([...values].map(([k, vs]) => [k, vs.length === 1 ? vs[0]! : vs]));
}
