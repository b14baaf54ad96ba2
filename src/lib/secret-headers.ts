/** The request and response headers that carry credentials, for redaction in logs and records. */

/** Lower-case names of headers whose values are credentials. */
export const SECRET_HEADERS: readonly string[] = [
  'authorization',
  'proxy-authorization',
  'cookie',
  'set-cookie',
  'x-api-key',
  'x-auth-token',
  'x-csrf-token',
];
