/**
 * The admin API's bearer token, as the router and the comparator take it: from the option or
 * `PHOENIX_ADMIN_TOKEN`; without one, only an explicit `--insecure-admin` on a loopback host runs.
 */
import { PhoenixError } from '../lib/errors.js';

const LOOPBACK = new Set(['127.0.0.1', '::1', 'localhost']);

/**
 * The token to require, or undefined for an insecure loopback admin API.
 * @throws PhoenixError `PHX_ERR_ADMIN_TOKEN_MISSING`, `PHX_ERR_ADMIN_INSECURE_NOT_LOOPBACK`
 */
export function resolveAdminToken(o: {
  adminToken?: string | undefined;
  insecureAdmin?: boolean | undefined;
  adminHost: string;
}): string | undefined {
  const token = o.adminToken ?? process.env.PHOENIX_ADMIN_TOKEN;
  if (token) return token;
  if (!o.insecureAdmin) {
    throw new PhoenixError(
      'PHX_ERR_ADMIN_TOKEN_MISSING',
      'no admin token: set PHOENIX_ADMIN_TOKEN (or pass --insecure-admin to run the admin API without a token on loopback only)',
    );
  }
  if (!LOOPBACK.has(o.adminHost)) {
    throw new PhoenixError(
      'PHX_ERR_ADMIN_INSECURE_NOT_LOOPBACK',
      `--insecure-admin is only allowed on a loopback admin host, not "${o.adminHost}"; set PHOENIX_ADMIN_TOKEN instead`,
    );
  }
  return undefined;
}
