/**
 * A family's differences grouped by signature across its routes, with the team's decisions
 * applied: how often each signature was seen, when first and last, a few example requests, and
 * whether a comparison still counts as a mismatch once accepted and noise signatures are set
 * aside. Pure; the caller passes the clock.
 */
import { jsonType, signatureOf, type Signature, type TriageDecision, type TriageEntry } from './signature.js';
import type { Difference } from './types.js';

/** Distinct signatures remembered per window; later new ones are still judged, not listed. */
const MAX_SIGNATURES = 500;
/** Example requests kept per signature. */
const EXAMPLES = 3;
/** Example values longer than this (as JSON) are cut. */
const EXAMPLE_CHARS = 200;
/** Signatures listed in a stats snapshot (the signatures endpoint lists all). */
const TOP_SIGNATURES = 20;

/** One request that showed a signature, with both answers' values. */
export interface SignatureExample {
  requestId: string;
  /** The exact path (`$.items[3].price`). */
  path: string;
  legacy?: unknown;
  candidate?: unknown;
}

/** A signature with its counts in the current window. Times are epoch ms. */
export interface SignatureCount extends Signature {
  count: number;
  firstSeen: number;
  lastSeen: number;
  /** The decision in force; absent while untriaged. */
  decision?: TriageDecision;
  examples: SignatureExample[];
}

/** What a snapshot says about triage. */
export interface TriageFigures {
  /** Signatures with a decision (whether seen or not). */
  decided: number;
  /** Signatures seen in the window without a decision: they count as mismatches. */
  untriaged: number;
  /** Blocked signatures seen in the window; any one fails the parity gate. */
  blocked: { id: string; text: string; count: number }[];
  /** The most frequent signatures seen, with their decisions and one example. */
  top: { id: string; text: string; count: number; decision?: TriageDecision; example?: SignatureExample }[];
}

/** How one comparison counts once decisions are applied. */
export interface TriagedComparison {
  /** Differences that still count: untriaged or blocked. */
  counted: Difference[];
  /** Some difference was set aside as accepted. */
  accepted: boolean;
  /** Some difference was set aside as noise. */
  ignored: boolean;
}

function example(v: unknown): unknown {
  if (v === undefined) return undefined;
  const text = JSON.stringify(v);
  if (text === undefined || text.length <= EXAMPLE_CHARS) return v;
  return `${text.slice(0, EXAMPLE_CHARS)}… (${text.length} chars)`;
}

export class SignatureTally {
  private decisions = new Map<string, TriageDecision>();
  private seen = new Map<string, SignatureCount>();
  /** Signature of a (route, kind, path, transition-bearing values) seen before, to skip hashing. */
  private readonly memo = new Map<string, Signature>();

  /** Replaces the decisions in force; the counts of the window stay. */
  setDecisions(entries: readonly Pick<TriageEntry, 'id' | 'decision'>[]): void {
    this.decisions = new Map(entries.map((e) => [e.id, e.decision]));
    for (const s of this.seen.values()) s.decision = this.decisions.get(s.id);
  }

  /** The decision in force on signature `id`; undefined while untriaged. */
  decisionOf(id: string): TriageDecision | undefined {
    return this.decisions.get(id);
  }

  get decisionCount(): number {
    return this.decisions.size;
  }

  private signature(route: string, d: Difference): Signature {
    // The memo key holds what the transition depends on; timestamps and header values vary too
    // much to key by, so those signatures are computed each time.
    let key: string;
    if (d.kind === 'type') key = `${route}\n${d.path}\n${jsonType(d.legacy)}\n${jsonType(d.candidate)}`;
    else if (d.kind === 'status') key = `${route}\n$status\n${String(d.legacy)}\n${String(d.candidate)}`;
    else if (d.kind === 'header' || d.kind === 'format') return signatureOf(route, d);
    else key = `${route}\n${d.path}\n${d.kind}`;
    let s = this.memo.get(key);
    if (s === undefined) {
      s = signatureOf(route, d);
      if (this.memo.size >= MAX_SIGNATURES * 8) this.memo.clear();
      this.memo.set(key, s);
    }
    return s;
  }

  /** Counts a comparison's differences by signature and says which still count. */
  record(
    route: string,
    differences: readonly Difference[],
    requestId: string | undefined,
    now: number,
  ): TriagedComparison {
    const out: TriagedComparison = { counted: [], accepted: false, ignored: false };
    for (const d of differences) {
      const s = this.signature(route, d);
      const decision = this.decisions.get(s.id);
      let c = this.seen.get(s.id);
      if (c === undefined && this.seen.size < MAX_SIGNATURES) {
        c = { ...s, count: 0, firstSeen: now, lastSeen: now, decision, examples: [] };
        this.seen.set(s.id, c);
      }
      if (c !== undefined) {
        c.count++;
        c.lastSeen = now;
        if (
          requestId !== undefined &&
          c.examples.length < EXAMPLES &&
          !c.examples.some((e) => e.requestId === requestId)
        )
          c.examples.push({ requestId, path: d.path, legacy: example(d.legacy), candidate: example(d.candidate) });
      }
      if (decision === 'accept') out.accepted = true;
      else if (decision === 'noise') out.ignored = true;
      else out.counted.push(d);
    }
    return out;
  }

  /**
   * Every signature seen in the window, most frequent first.
   * @param judged signatures found on the window's figures rather than on one comparison (a
   *   route's latency), with their decisions already applied
   */
  list(judged: readonly SignatureCount[] = []): SignatureCount[] {
    return [...this.seen.values(), ...judged]
      .map((s) => ({ ...s, examples: s.examples.map((e) => ({ ...e })) }))
      .sort((a, b) => b.count - a.count || a.text.localeCompare(b.text));
  }

  /** What the window says about triage; `judged` as for {@link list}. */
  figures(judged: readonly SignatureCount[] = []): TriageFigures {
    const all = this.list(judged);
    return {
      decided: this.decisions.size,
      untriaged: all.filter((s) => s.decision === undefined).length,
      blocked: all.filter((s) => s.decision === 'block').map((s) => ({ id: s.id, text: s.text, count: s.count })),
      top: all
        .slice(0, TOP_SIGNATURES)
        .map((s) => ({ id: s.id, text: s.text, count: s.count, decision: s.decision, example: s.examples[0] })),
    };
  }

  /** Starts a new window; decisions stay. */
  reset(): void {
    this.seen = new Map();
  }
}
