/**
 * The one pino logger factory. Secrets never reach logs: the redact list covers the header and
 * environment names Phoenix handles, wherever they sit in a logged object.
 */
import { pino, type DestinationStream, type Logger, type LoggerOptions } from 'pino';

export type { Logger };

const REDACT = [
  'authorization',
  'cookie',
  'set-cookie',
  'token',
  'secret',
  'signingSecret',
  'headers.authorization',
  'headers.cookie',
  'headers["set-cookie"]',
  'headers["x-slack-signature"]',
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
