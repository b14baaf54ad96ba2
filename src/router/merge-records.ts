/**
 * A family's records across a fleet (`dataPlane.members`): each member keeps the signatures,
 * mismatch records and samples of the requests it served, so the CLI reads every member and
 * merges the answers into one list (record pages with a cursor per member), as if one router had
 * served all of the traffic. Pure; docs/fleets.md says how.
 */
import type { SignatureCount } from '../parity/signature-stats.js';
import type { TriageEntry } from '../parity/signature.js';
import type { SignaturesResponse } from './client.js';
import type { SampleRecord } from './family.js';

/** One member's answer, named by its admin URL. */
export interface FromMember<T> {
  adminUrl: string;
  value: T;
}

/** A signature across the fleet, with how often each member saw it. */
export interface FleetSignatureCount extends SignatureCount {
  /** Each member that saw the signature, with its count, in the plan's member order. */
  byMember: { adminUrl: string; count: number }[];
}

/** Every member's signatures as one answer. */
export interface FleetSignatures extends Omit<SignaturesResponse, 'signatures'> {
  signatures: FleetSignatureCount[];
  /** The members read, in the plan's order. */
  members: string[];
}

/** Example requests kept per merged signature: as many as one router keeps. */
const EXAMPLES = 3;

/**
 * Signatures merged by id: counts add up, first and last seen are the earliest and the latest,
 * examples are taken in member order without repeating a request id (at most 3). The decision
 * is the first member's that holds one (the workflow pushes the same set to every member, so
 * they differ only while a push is under way). Listed most frequent first, then by text, as a
 * router lists them. `since` is the latest member's: the window every member covers.
 * @throws {RangeError} for an empty list
 */
export function mergeSignatures(answers: readonly FromMember<SignaturesResponse>[]): FleetSignatures {
  if (answers.length === 0) throw new RangeError('mergeSignatures needs at least one member');
  const byId = new Map<string, FleetSignatureCount>();
  for (const { adminUrl, value } of answers)
    for (const s of value.signatures) {
      const prev = byId.get(s.id);
      if (!prev) {
        byId.set(s.id, {
          ...s,
          examples: s.examples.slice(0, EXAMPLES),
          byMember: [{ adminUrl, count: s.count }],
        });
        continue;
      }
      prev.count += s.count;
      prev.firstSeen = Math.min(prev.firstSeen, s.firstSeen);
      prev.lastSeen = Math.max(prev.lastSeen, s.lastSeen);
      if (prev.decision === undefined && s.decision !== undefined) prev.decision = s.decision;
      for (const e of s.examples)
        if (prev.examples.length < EXAMPLES && !prev.examples.some((x) => x.requestId === e.requestId))
          prev.examples.push(e);
      prev.byMember.push({ adminUrl, count: s.count });
    }
  return {
    family: answers[0]!.value.family,
    since: Math.max(...answers.map((a) => a.value.since)),
    decisions: mergeDecisions(answers.map((a) => a.value.decisions)),
    signatures: [...byId.values()].sort((a, b) => b.count - a.count || a.text.localeCompare(b.text)),
    members: answers.map((a) => a.adminUrl),
  };
}

/** Decisions by signature id, the first member's entry for each. */
function mergeDecisions(lists: readonly (readonly TriageEntry[])[]): TriageEntry[] {
  const byId = new Map<string, TriageEntry>();
  for (const list of lists) for (const e of list) if (!byId.has(e.id)) byId.set(e.id, e);
  return [...byId.values()];
}

/**
 * The newest `limit` samples of every member, newest first (by `at`; on a tie, the earlier
 * member first). A request reaches one member, so nothing is repeated across members; the same
 * method, path, query and body seen twice is made one case later, by the recorder.
 */
export function mergeSamples(lists: readonly (readonly SampleRecord[])[], limit: number): SampleRecord[] {
  const all = lists.flatMap((list, member) => list.map((s) => ({ s, member })));
  all.sort((a, b) => b.s.at - a.s.at || a.member - b.member);
  return all.slice(0, Math.max(0, limit)).map((x) => x.s);
}

/** A record as a fleet lists it: its `seq` is that of the member that kept it, named by `adminUrl`. */
export type FleetRecord<T> = T & { seq: number; adminUrl: string };

/** One member's place in a merged page. */
export interface FleetPageMember {
  adminUrl: string;
  /** This member's cursor for the following page (its part of the page's `next`). */
  next: number;
  /** The oldest `seq` it still holds. */
  first: number;
  capacity: number;
  /** Records after the cursor given were overwritten before they were read (`after + 1 < first`). */
  missed: boolean;
}

/** One page of a record list across a fleet, with a cursor per member. */
export interface FleetRecordPage<T> {
  items: FleetRecord<T>[];
  /** The cursor for the following page: each member's `next`, in the plan's member order. */
  next: number[];
  members: FleetPageMember[];
}

/** The records list's page of each member, as the router answered it (see `RecordPage` in `client.ts`). */
export interface MemberRecordPage<T> {
  items: (T & { seq: number })[];
  next: number;
  first: number;
  capacity: number;
}

/**
 * The newest `limit` records of every member, newest first (by `at`; on a tie, the earlier member
 * first), as one router lists its newest. Each member's cursor is its own `next` (its newest
 * `seq`), so following the cursor gives what arrives later on every member.
 * @param pages each member's page asked without `after`, in the plan's member order
 */
export function mergeNewestPages<T extends { at: number }>(
  pages: readonly FromMember<MemberRecordPage<T>>[],
  limit: number,
): FleetRecordPage<T> {
  const all = pages.flatMap(({ adminUrl, value }, member) =>
    value.items.map((r) => ({ r: { ...r, adminUrl }, member })),
  );
  all.sort((a, b) => b.r.at - a.r.at || a.member - b.member);
  return {
    items: all.slice(0, Math.max(0, limit)).map((x) => x.r),
    next: pages.map((p) => p.value.next),
    members: pages.map(({ adminUrl, value }) => ({
      adminUrl,
      next: value.next,
      first: value.first,
      capacity: value.capacity,
      missed: false,
    })),
  };
}

/**
 * Up to `limit` records after each member's cursor, oldest first, as one router pages after a
 * cursor. Members' records are taken in time order (by `at`; on a tie, the earlier member first)
 * while each member's own stay in `seq` order, so a member's next cursor is the last record taken
 * from it and following the cursors never skips a record.
 * @param pages each member's page asked `after` its cursor (at least `limit` records each when it has them)
 * @param after the cursor asked, a `seq` per member in the same order
 */
export function mergePagesAfter<T extends { at: number }>(
  pages: readonly FromMember<MemberRecordPage<T>>[],
  after: readonly number[],
  limit: number,
): FleetRecordPage<T> {
  if (after.length !== pages.length) throw new RangeError('mergePagesAfter needs one cursor per member');
  const taken = pages.map(() => 0);
  const items: FleetRecord<T>[] = [];
  while (items.length < limit) {
    let pick = -1;
    for (let m = 0; m < pages.length; m++) {
      const head = pages[m]!.value.items[taken[m]!];
      if (!head) continue;
      if (pick < 0 || head.at < pages[pick]!.value.items[taken[pick]!]!.at) pick = m;
    }
    if (pick < 0) break;
    items.push({ ...pages[pick]!.value.items[taken[pick]!]!, adminUrl: pages[pick]!.adminUrl });
    taken[pick] = taken[pick]! + 1;
  }
  const members = pages.map(({ adminUrl, value }, m) => {
    const n = taken[m]!;
    // Nothing held after the cursor: the router's own `next` (it starts over after a restart).
    // Records held but none taken this page: the same cursor, to take them next time.
    const next = n > 0 ? value.items[n - 1]!.seq : value.items.length === 0 ? value.next : after[m]!;
    return { adminUrl, next, first: value.first, capacity: value.capacity, missed: after[m]! + 1 < value.first };
  });
  return { items, next: members.map((x) => x.next), members };
}
