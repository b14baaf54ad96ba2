/**
 * `preserveHost`: an upstream that builds absolute URLs, virtual hosts or cookies from `Host`
 * gets the client's `Host` instead of its own address. Requests carry no `host` field on their
 * way through the router; it is added here only for an upstream that asks for it.
 */

/** `headers` plus the client's `host` when `preserve`; `headers` itself otherwise (no copy). */
export function withHost(
  headers: Record<string, string | string[]>,
  host: string | undefined,
  preserve: boolean,
): Record<string, string | string[]> {
  return preserve && host !== undefined ? { ...headers, host } : headers;
}
