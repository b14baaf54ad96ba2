/**
 * The one pino logger factory. Secrets never reach logs: the redact list covers the header and
 * environment names Phoenix handles, wherever they sit in a logged object.
 */
import { pino, type DestinationStream, type Logger, type LoggerOptions } from 'pino';
import { SECRET_HEADERS } from './secret-headers.js';

export type { Logger };

/** A pino redact path for `key` under `parent` (bracketed when the name is not an identifier). */
const under = (parent: string, key: string): string =>
  /^[A-Za-z_$][\w$]*$/.test(key) ? `${parent}.${key}` : `${parent}[${JSON.stringify(key)}]`;

const REDACT = [
  'authorization',
  'cookie',
  'set-cookie',
  'token',
  'secret',
  'signingSecret',
  ...[...SECRET_HEADERS, 'x-slack-signature'].map((h) => under('headers', h)),
  '*.authorization',
  '*.cookie',
  '*.token',
  '*.secret',
];

/**
 * Creates a structured logger. Level from `PHOENIX_LOG_LEVEL` (default `info`; tests default to
 * `warn` so their output stays readable). Logs go to stdout unless a `destination` is given
 * (`pino.destination(file)`).
 */
export function createLogger(name: string, options: LoggerOptions = {}, destination?: DestinationStream): Logger {
  const level = process.env.PHOENIX_LOG_LEVEL ?? (process.env.NODE_TEST_CONTEXT ? 'warn' : 'info');
  const opts = { name, level, redact: { paths: REDACT, censor: '[redacted]' }, ...options };
  return destination ? pino(opts, destination) : pino(opts);
}
