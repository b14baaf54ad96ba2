/**
 * Driving every member of a family's data plane at once: one admin call per member, and the wait
 * for members that are down before a route change (so no member moves while another cannot).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { Context } from '@temporalio/activity';
import { hasCode, PhoenixError } from '../lib/errors.js';
import type { RouterAdminClient } from '../router/client.js';
import { memberDown, type MemberAnswer } from './fleet-state.js';

/** How often a route change asks a down member again while it waits. */
const POLL_MS = 250;

/** Each member's answer, and the members whose call failed with why. */
export interface FleetAnswers<T> {
  ok: MemberAnswer<T>[];
  failed: { url: string; error: unknown }[];
}

/** An error as one line for a failure message. */
export function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** A warning in the worker's log, with the activity's context when there is one. */
export function warn(message: string, attrs: Record<string, unknown>): void {
  try {
    Context.current().log.warn(message, attrs);
  } catch {
    // Outside an activity (a test calling the function directly) there is no worker log to write to.
  }
}

/** Runs `call` on every member at once and waits for all of them, whatever each answers. */
export async function onEveryMember<T>(
  members: readonly string[],
  call: (url: string) => Promise<T>,
): Promise<FleetAnswers<T>> {
  const settled = await Promise.allSettled(members.map((url) => call(url)));
  const out: FleetAnswers<T> = { ok: [], failed: [] };
  settled.forEach((s, i) => {
    const url = members[i]!;
    if (s.status === 'fulfilled') out.ok.push({ url, value: s.value });
    else out.failed.push({ url, error: s.reason });
  });
  return out;
}

/**
 * Resolves once every member answers its health check. A member that is down is asked again
 * every 250 ms for up to `waitMs`, with a warning in the worker's log each time; then the attempt
 * fails with `PHX_ERR_FLEET_MEMBER_DOWN` (retryable) naming it, before any member was changed.
 * @param what the change that waits, for the log and the failure ("canary 25% of users")
 */
export async function awaitEveryMember(
  members: readonly string[],
  client: (url: string) => RouterAdminClient,
  waitMs: number,
  what: string,
): Promise<void> {
  const start = Date.now();
  for (;;) {
    const health = await Promise.all(members.map(async (url) => ({ url, up: await client(url).health() })));
    const down = health.filter((h) => !h.up).map((h) => ({ url: h.url, error: 'no answer on /healthz' }));
    if (down.length === 0) return;
    const waitedMs = Date.now() - start;
    if (waitedMs >= waitMs) throw memberDown(down, `${what} waits for it; no member was changed`);
    warn(`fleet member down: ${what} waits for it`, { members: down.map((d) => d.url), waitedMs });
    await sleep(POLL_MS);
  }
}

/**
 * Throws when any member's call failed. One member's error is thrown as it is (a single router,
 * as before fleets). In a fleet, members that did not answer make a retryable
 * `PHX_ERR_FLEET_MEMBER_DOWN` naming them; any other error is thrown with its member named.
 * @param what what happened and what comes next, for the failure's message
 */
export function failIfAny<T>(members: readonly string[], r: FleetAnswers<T>, what: (ok: string) => string): void {
  if (r.failed.length === 0) return;
  if (members.length === 1) throw r.failed[0]!.error;
  const down = r.failed.filter((f) => hasCode(f.error, 'PHX_ERR_ROUTER_UNREACHABLE'));
  const answered = r.ok.map((a) => a.url).join(', ') || 'no member';
  if (down.length > 0)
    throw memberDown(
      down.map((f) => ({ url: f.url, error: errorText(f.error) })),
      what(answered),
    );
  const first = r.failed[0]!;
  if (first.error instanceof PhoenixError)
    throw new PhoenixError(first.error.code, `fleet member ${first.url}: ${first.error.message}`, {
      ...first.error.details,
      member: first.url,
    });
  throw first.error;
}
