/**
 * The plan's primitive fields: durations, URLs, ratios, names, route patterns, statuses, CIDRs,
 * confidences. Each carries the error message a user sees for a bad value.
 */
import { z } from 'zod';
import { parseCidr } from '../cidr.js';
import { parseDuration } from '../duration.js';
import { FAMILY_NAME } from '../family-name.js';
import { parseRoutePattern } from '../route-pattern.js';

/** A duration (`30s`, `10m`, `1h30m` or milliseconds), resolved to milliseconds. */
export const duration = z.union([z.string(), z.number()]).transform((v, ctx) => {
  const ms = parseDuration(v);
  if (ms === undefined) {
    ctx.addIssue({
      code: 'custom',
      message: `expected a duration such as "30s", "10m", "1h" or milliseconds, got ${JSON.stringify(v)}`,
    });
    return z.NEVER;
  }
  return ms;
});

/** An http(s) URL. */
export const url = z.string().refine((v) => {
  try {
    const u = new URL(v);
    return u.protocol === 'http:' || u.protocol === 'https:';
  } catch {
    return false;
  }
}, 'expected an http(s) URL such as "http://127.0.0.1:5000"');

/** A share between 0 and 1. */
export const ratio = z.number().min(0, 'expected a ratio between 0 and 1').max(1, 'expected a ratio between 0 and 1');
export { FAMILY_NAME };

/** A family or plan name (see {@link FAMILY_NAME}). */
export const familyName = z
  .string()
  .regex(FAMILY_NAME, 'expected a lower-case name of letters, digits and "-" (it becomes part of the workflow id)');

/** A route pattern (`GET /api/users/:id`, `/api/users/*`). */
export const routePattern = z.string().superRefine((v, ctx) => {
  const p = parseRoutePattern(v);
  if (typeof p === 'string') ctx.addIssue({ code: 'custom', message: `bad route pattern: ${p}` });
});

/** An HTTP status code, 100–599. */
export const httpStatus = z
  .number()
  .int()
  .min(100, 'expected an HTTP status (100–599)')
  .max(599, 'expected an HTTP status (100–599)');

/** An IPv4 or IPv6 range (`10.0.0.0/8`, `fd00::/8`) or a single address. */
export const cidr = z.string().superRefine((v, ctx) => {
  const p = parseCidr(v);
  if (typeof p === 'string')
    ctx.addIssue({ code: 'custom', message: `expected a CIDR such as "10.0.0.0/8" or "fd00::/8": ${p}` });
});

/** The name of an environment variable. */
export const envName = z
  .string()
  .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'expected an environment variable name such as NEW_API_TOKEN');

/** A statistical confidence, 0.5–0.9999. */
export const confidence = z
  .number()
  .min(0.5, 'expected a confidence between 0.5 and 0.9999 (0.95 = 95%)')
  .max(0.9999, 'expected a confidence between 0.5 and 0.9999 (0.95 = 95%)');

/**
 * What `phoenix init` writes where the approvers belong, so the plan cannot be used until someone
 * names them: an approver equal to it is refused with a message saying what to write instead.
 */
export const APPROVER_PLACEHOLDER = 'REPLACE-ME (who may approve)';

/** Someone who may approve: a CLI user name, a Slack user id (`U…`) or an email. */
export const approverName = z
  .string()
  .min(1)
  .refine(
    (v) => v !== APPROVER_PLACEHOLDER,
    'replace the placeholder written by `phoenix init` with who may approve ramps and cutovers: CLI user names, Slack user ids (U…) or emails',
  );
