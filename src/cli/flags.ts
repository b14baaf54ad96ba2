/** Flag parsers shared by commands: each bad value is a usage error naming what was expected. */
import { parseDuration } from '../plan/duration.js';
import { FAMILY_NAME } from '../plan/family-name.js';
import { CliError, ExitCode } from './output.js';

export function portFlag(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535)
    throw new CliError('PHX_ERR_CLI_BAD_FLAG', `expected a port number 0–65535, got "${value}"`, ExitCode.Usage);
  return n;
}

export function durationFlag(value: string): number {
  const ms = parseDuration(value);
  if (ms === undefined || ms <= 0)
    throw new CliError(
      'PHX_ERR_CLI_BAD_FLAG',
      `expected a duration such as "1s" or "500ms", got "${value}"`,
      ExitCode.Usage,
    );
  return ms;
}

export function nonEmpty(what: string): (value: string) => string {
  return (value) => {
    if (value.trim() === '') throw new CliError('PHX_ERR_CLI_BAD_FLAG', `${what} must not be empty`, ExitCode.Usage);
    return value;
  };
}

/** A family name as the plan allows it (checked before anything is asked of Temporal). */
export function familyArg(value: string): string {
  if (!FAMILY_NAME.test(value)) {
    throw new CliError(
      'PHX_ERR_CLI_BAD_ARGUMENT',
      `family: expected a lower-case name of letters, digits and "-" as in the plan, got ${JSON.stringify(value)}`,
      ExitCode.Usage,
    );
  }
  return value;
}
