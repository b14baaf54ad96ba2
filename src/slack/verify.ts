/**
 * Slack request signing (v0): `X-Slack-Signature` is `v0=` + HMAC-SHA256 of
 * `v0:<X-Slack-Request-Timestamp>:<raw body>` with the app's signing secret. Requests older (or
 * newer) than five minutes are refused, so a captured request cannot be replayed later.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

/** How far a request's timestamp may be from now. */
export const MAX_SKEW_SECONDS = 5 * 60;

export type Verdict = { ok: true } | { ok: false; reason: string };

/** Signs a body as Slack would (tests and tools). */
export function slackSignature(secret: string, timestamp: string, body: string): string {
  return `v0=${createHmac('sha256', secret).update(`v0:${timestamp}:${body}`).digest('hex')}`;
}

/** Checks a request's signature and age. `nowSeconds` is injectable for tests. */
export function verifySlackRequest(
  secret: string,
  headers: { signature?: string | string[]; timestamp?: string | string[] },
  rawBody: string,
  nowSeconds: number = Math.floor(Date.now() / 1000),
): Verdict {
  const signature = Array.isArray(headers.signature) ? headers.signature[0] : headers.signature;
  const timestamp = Array.isArray(headers.timestamp) ? headers.timestamp[0] : headers.timestamp;
  if (!signature || !timestamp) return { ok: false, reason: 'missing X-Slack-Signature or X-Slack-Request-Timestamp' };
  if (!/^\d{1,12}$/.test(timestamp)) return { ok: false, reason: 'malformed timestamp' };
  const skew = Math.abs(nowSeconds - Number(timestamp));
  if (skew > MAX_SKEW_SECONDS)
    return {
      ok: false,
      reason: `timestamp is ${skew} s away from now (at most ${MAX_SKEW_SECONDS} s): an old or replayed request`,
    };
  const want = Buffer.from(slackSignature(secret, timestamp, rawBody));
  const got = Buffer.from(signature);
  if (want.length !== got.length || !timingSafeEqual(want, got))
    return { ok: false, reason: 'signature does not match' };
  return { ok: true };
}
