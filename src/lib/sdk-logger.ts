/**
 * Temporal's SDK logs through Phoenix's pino logger, so a worker writes one stream of pino JSON:
 * the SDK's own messages (worker state, polling), the workflows' `log` (through the SDK's logger
 * sink), the activities' `log`, and the native core's messages, forwarded.
 */
import type { Logger as SdkLogger, LogLevel, LogMetadata } from '@temporalio/common';
import { Runtime } from '@temporalio/worker';
import { stdSerializers } from 'pino';
import type { Logger } from './logger.js';

const LEVEL = { TRACE: 'trace', DEBUG: 'debug', INFO: 'info', WARN: 'warn', ERROR: 'error' } as const;

/** The SDK puts errors under `error`; pino serializes only `err` on its own. */
function fields(meta: LogMetadata): Record<string, unknown> {
  const error: unknown = meta.error;
  return error instanceof Error ? { ...meta, error: stdSerializers.err(error) } : meta;
}

function write(log: Logger, level: LogLevel, message: string, meta?: LogMetadata): void {
  const method = LEVEL[level] ?? 'info';
  if (meta === undefined) log[method](message);
  else log[method](fields(meta), message);
}

/** An SDK `Logger` that writes to `log`, levels mapped one to one. */
export function sdkLogger(log: Logger): SdkLogger {
  return {
    log: (level, message, meta) => write(log, level, message, meta),
    trace: (message, meta) => write(log, 'TRACE', message, meta),
    debug: (message, meta) => write(log, 'DEBUG', message, meta),
    info: (message, meta) => write(log, 'INFO', message, meta),
    warn: (message, meta) => write(log, 'WARN', message, meta),
    error: (message, meta) => write(log, 'ERROR', message, meta),
  };
}

/**
 * The workflow bundler's logger: webpack's report is an info message of many lines, kept only
 * when `verbose`; warnings and errors always reach `log`.
 */
export function bundlerLogger(log: Logger, verbose: boolean): SdkLogger {
  const sdk = sdkLogger(log);
  if (verbose) return sdk;
  const quiet = (): void => {};
  return {
    ...sdk,
    log: (level, message, meta) => (level === 'WARN' || level === 'ERROR' ? write(log, level, message, meta) : quiet()),
    trace: quiet,
    debug: quiet,
    info: quiet,
  };
}

/**
 * Installs the SDK runtime with its logs going to `log`, the native core's included (at `WARN`
 * and above; `INFO` when `log` is at debug or trace). Call once per process, before the first
 * Temporal connection or worker; the SDK refuses a second install.
 */
export function installSdkLogging(log: Logger): void {
  const detailed = log.isLevelEnabled('debug');
  Runtime.install({
    logger: sdkLogger(log),
    telemetryOptions: {
      logging: { filter: { core: detailed ? 'INFO' : 'WARN', other: 'ERROR' }, forward: {} },
    },
  });
}
