/**
 * Query strings with repeated parameters kept: read into a record of values (`queryValues`) and
 * written back from one (`queryString`), a repeated parameter as the list of its values in order.
 */

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

/**
 * A query as sent, without the `?`: each list value as the parameter repeated, in list order,
 * encoded as `URLSearchParams` encodes (a space as `+`, a literal `+` as `%2B`). Numbers and
 * booleans are written as `String` writes them.
 */
export function queryString(query: Readonly<Record<string, unknown>> | undefined): string {
  return appendQuery(new URLSearchParams(), query).toString();
}

/**
 * Adds `query`'s parameters to `params` after those it holds: each list value as the parameter
 * repeated, in list order; numbers and booleans as `String` writes them. Returns `params`.
 */
export function appendQuery(
  params: URLSearchParams,
  query: Readonly<Record<string, unknown>> | undefined,
): URLSearchParams {
  for (const [k, v] of Object.entries(query ?? {}))
    for (const one of Array.isArray(v) ? (v as unknown[]) : [v]) params.append(k, String(one));
  return params;
}
