/** The admin API's request bodies: bounded, parsed, and validated with the field named in the error. */
import type { IncomingMessage } from 'node:http';
import { z } from 'zod';
import { readBody } from '../lib/read-body.js';
import { AdminError } from './admin-error.js';

/** Largest admin request body, bytes. */
export const MAX_ADMIN_BODY = 64 * 1024;

export const routeChangeSchema = z.strictObject({
  mode: z.enum(['legacy', 'shadow', 'canary', 'new'], 'expected one of "legacy", "shadow", "canary", "new"'),
  percent: z
    .number('expected a number between 0 and 100')
    .min(0, 'expected a number between 0 and 100')
    .max(100, 'expected a number between 0 and 100'),
  version: z
    .number('expected a whole number ≥ 0')
    .int('expected a whole number ≥ 0')
    .min(0, 'expected a whole number ≥ 0'),
  sampleRate: z
    .number('expected a number between 0 and 1')
    .min(0, 'expected a number between 0 and 1')
    .max(1, 'expected a number between 0 and 1')
    .optional(),
  updatedBy: z.string('expected a string').max(200, 'expected at most 200 characters').optional(),
});

export const triageSchema = z.strictObject({
  decisions: z
    .array(
      z.strictObject({
        id: z.string('expected a signature id').regex(/^[0-9a-f]{12}$/, 'expected a 12-hex-digit signature id'),
        decision: z.enum(['accept', 'noise', 'block'], 'expected one of "accept", "noise", "block"'),
        reason: z.string().max(2000, 'expected at most 2000 characters').optional(),
        by: z.string('expected who decided').max(200, 'expected at most 200 characters'),
        at: z.string('expected when, ISO 8601').max(64, 'expected at most 64 characters'),
        text: z.string().max(2000, 'expected at most 2000 characters').optional(),
      }),
      'expected a list of decisions',
    )
    .max(10_000, 'expected at most 10000 decisions'),
});

/**
 * Reads an admin request's JSON body (at most {@link MAX_ADMIN_BODY}) and validates it;
 * `expected` shows the body's shape in the error for a body that is not JSON.
 * @throws AdminError 413 `PHX_ERR_ADMIN_BODY_TOO_LARGE`, 400 `PHX_ERR_ADMIN_BAD_REQUEST`
 */
export async function readJsonBody<T>(req: IncomingMessage, schema: z.ZodType<T>, expected: string): Promise<T> {
  const text = await readBody(req, MAX_ADMIN_BODY, (declared) =>
    declared === undefined
      ? new AdminError(413, 'PHX_ERR_ADMIN_BODY_TOO_LARGE', `body over ${MAX_ADMIN_BODY} bytes`)
      : new AdminError(
          413,
          'PHX_ERR_ADMIN_BODY_TOO_LARGE',
          `body of ${declared} bytes; at most ${MAX_ADMIN_BODY} accepted`,
        ),
  );
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new AdminError(400, 'PHX_ERR_ADMIN_BAD_REQUEST', `the body is not JSON; expected ${expected}`);
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success) {
    const msg = parsed.error.issues.map((i) => `${i.path.join('.') || 'body'}: ${i.message}`).join('; ');
    throw new AdminError(400, 'PHX_ERR_ADMIN_BAD_REQUEST', msg);
  }
  return parsed.data;
}
