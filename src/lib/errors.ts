/**
 * Errors raised by Phoenix's router, CLI and library code carry a stable `PHX_ERR_<AREA>_<WHAT>`
 * code that scripts and tests can rely on; the message says what to do next.
 */
export class PhoenixError extends Error {
  readonly code: string;
  readonly details: Readonly<Record<string, unknown>> | undefined;
  constructor(code: string, message: string, details?: Record<string, unknown>, options?: ErrorOptions) {
    super(message, options);
    this.name = 'PhoenixError';
    this.code = code;
    this.details = details;
  }
}

/** True when `err` is a PhoenixError with the given code. */
export function hasCode(err: unknown, code: string): boolean {
  return err instanceof PhoenixError && err.code === code;
}
