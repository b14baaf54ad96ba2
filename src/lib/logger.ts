/**
 * The one pino logger factory. Secrets never reach logs: the redact list covers the header and
 * environment names Phoenix handles, wherever they sit in a logged object.
 */
import { pino, type Logger, type LoggerOptions } from 'pino';

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
 * `warn` so their output stays readable).
 */
export function createLogger(name: string, options: LoggerOptions = {}): Logger {
  const level = process.env.PHOENIX_LOG_LEVEL ?? (process.env.NODE_TEST_CONTEXT ? 'warn' : 'info');
  return pino({ name, level, redact: { paths: REDACT, censor: '[redacted]' }, ...options });
}
