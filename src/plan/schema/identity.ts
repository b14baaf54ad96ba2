/** Identity per side: which credential and `Host` each upstream gets. */
import { z } from 'zod';
import { duration, envName, url } from './primitives.js';

/** Which upstream of a family gets the client's `Host` header instead of its own. */
export const preserveHostSchema = z.strictObject({
  /** Forward the client's `Host` to the legacy upstream. @default false */
  legacy: z.boolean().default(false),
  /** Forward the client's `Host` to the new upstream. @default false */
  new: z.boolean().default(false),
});

/** Exchanges the client's credential for one the side accepts; the result is cached per credential. */
export const tokenExchangeSchema = z
  .strictObject({
    /** Endpoint that answers a POST carrying the client's credential (in the `from` header) with a token. */
    url: url.optional(),
    /**
     * Command (argv, no shell) that prints a token; the client's credential is in its environment
     * as `PHOENIX_CLIENT_CREDENTIAL`.
     */
    command: z.array(z.string().min(1)).min(1).optional(),
    /** Request header of the client that holds its credential. @default "authorization" */
    from: z.string().min(1).default('authorization'),
    /** Field of a JSON answer (or printed JSON) that holds the token; a plain-text answer is the token itself. @default "token" */
    field: z.string().min(1).default('token'),
    /** How long an exchanged token is reused for the same client credential. @default 5m */
    ttl: duration.default(300_000),
    /** Timeout of one exchange. @default 5s */
    timeout: duration.default(5_000),
  })
  .refine((v) => (v.url === undefined) !== (v.command === undefined), {
    message: 'a token exchange needs exactly one of url or command',
  });

/** Where one request header's value for a side comes from. */
export const identityHeaderSchema = z
  .strictObject({
    /** Environment variable of the router holding the value (read once at start). */
    env: envName.optional(),
    /** A token exchange for the client's credential. */
    exchange: tokenExchangeSchema.optional(),
    /** Text put before the value (`"Bearer "`). @default "" */
    prefix: z.string().default(''),
  })
  .refine((v) => (v.env === undefined) !== (v.exchange === undefined), {
    message: 'an identity header needs exactly one of env or exchange',
  });

/** Request headers one upstream gets instead of the client's (its own credential). */
export const identitySideSchema = z.strictObject({
  /** Header name (any case) → where its value comes from. @default {} */
  headers: z
    .record(z.string().regex(/^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/, 'expected an HTTP header name'), identityHeaderSchema)
    .default({}),
});

/** Identity per side: the credentials each upstream accepts (see docs/identity.md). */
export const identitySchema = z.strictObject({
  /** Headers set on every request to legacy (client requests and the shadow's second legacy samples). @default none */
  legacy: identitySideSchema.optional(),
  /** Headers set on every request to new (canary, `new` mode and shadow mirrors). @default none */
  new: identitySideSchema.optional(),
});
export type IdentityPlan = z.infer<typeof identitySchema>;
export type IdentitySidePlan = z.infer<typeof identitySideSchema>;
