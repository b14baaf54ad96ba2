/**
 * A family's records across a fleet (`dataPlane.members`): each member keeps the signatures and
 * samples of the requests it served, so the CLI reads every member and merges the answers into
 * one list, as if one router had served all of the traffic. Pure; docs/fleets.md says how.
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
