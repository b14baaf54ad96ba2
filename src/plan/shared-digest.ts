/**
 * The part of a plan every member of a fleet must share, as a digest: each member serves it on
 * its admin API (`GET /v1/plan/digest`), and the worker refuses to step a fleet whose members'
 * digests differ (see docs/fleets.md, "Each host's copy of the plan"). Each host's copy may set
 * its own files and addresses ({@link HOST_FIELDS}); anything else that differs would make the
 * hosts route, guard or compare the same traffic differently.
 */
import { createHash } from 'node:crypto';
import type { Plan } from './schema.js';

/**
 * Fields each host's copy of the plan may set for itself, left out of the digest: the host's own
 * addresses and files.
 */
export const HOST_FIELDS = {
  /** Plan level: where the triage baseline file is (the workflow pushes the decisions to every member). */
  plan: ['baseline'],
  /** `router`: this router's own admin and public addresses, its state file, and its idle client connections (they follow its load balancer). */
  router: ['adminUrl', 'publicUrl', 'stateFile', 'clientKeepAlive'],
  /** An nginx `dataPlane` block (the plan's or a family's): the nginx host's own files and addresses. */
  nginx: [
    'includeFile',
    'mainConfig',
    'prefix',
    'nginxBinary',
    'listen',
    'controlListen',
    'accessLog',
    'upstreamCa',
    'comparatorUrl',
    'adminUrl',
  ],
} as const;

/**
 * What the loader adds from the host's own disk rather than from the plan's text: the file's
 * path, the baseline's path and decisions, the contract files found by `contracts`.
 */
const LOADED = { plan: ['file', 'baselineFile', 'warnings'], family: ['contractFiles', 'triage'] } as const;

/** A plan's shared part as a digest, with a hash per part so two copies can say where they differ. */
export interface PlanDigest {
  /** SHA-256 (hex) of the shared part. */
  digest: string;
  /**
   * A hash per part (16 hex digits): each top-level section (`router`, `families`, …), each of a
   * section's fields (`router.trustedProxies`), each family by name (`families[users]`) and each
   * of its fields (`families[users].guard`).
   */
  parts: Record<string, string>;
}

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

function omit(o: Record<string, unknown>, keys: readonly string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(o)) if (!keys.includes(k)) out[k] = v;
  return out;
}

function withoutHostFields(dp: unknown): unknown {
  if (typeof dp !== 'object' || dp === null || (dp as { kind?: unknown }).kind !== 'nginx') return dp;
  return omit(dp as Record<string, unknown>, HOST_FIELDS.nginx);
}

/** The plan without the host's own fields and what the loader read from the host's disk. */
export function sharedPart(plan: Plan): Record<string, unknown> {
  const top = omit(plan as unknown as Record<string, unknown>, [...HOST_FIELDS.plan, ...LOADED.plan]);
  return {
    ...top,
    router: omit(plan.router, HOST_FIELDS.router),
    dataPlane: withoutHostFields(plan.dataPlane),
    families: plan.families.map((f) => {
      const own = omit(f as unknown as Record<string, unknown>, LOADED.family);
      return f.dataPlane === undefined ? own : { ...own, dataPlane: withoutHostFields(f.dataPlane) };
    }),
  };
}

/** JSON with object keys sorted at every level (absent fields left out), so equal plans read alike. */
function canonical(v: unknown): Json {
  if (Array.isArray(v)) return v.map((x) => (x === undefined ? null : canonical(x)));
  if (typeof v === 'object' && v !== null) {
    const out: { [k: string]: Json } = {};
    for (const k of Object.keys(v).sort()) {
      const x = (v as Record<string, unknown>)[k];
      if (x !== undefined) out[k] = canonical(x);
    }
    return out;
  }
  return v as Json;
}

function hash(v: Json): string {
  return createHash('sha256').update(JSON.stringify(v)).digest('hex');
}

function isObject(v: Json | undefined): v is { [k: string]: Json } {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** The digest of a plan's shared part (see {@link PlanDigest}). */
export function sharedPlanDigest(plan: Plan): PlanDigest {
  const shared = canonical(sharedPart(plan)) as { [k: string]: Json };
  const parts: Record<string, string> = {};
  const short = (v: Json): string => hash(v).slice(0, 16);
  for (const [section, value] of Object.entries(shared)) {
    parts[section] = short(value);
    if (section === 'families' && Array.isArray(value)) {
      for (const f of value) {
        if (!isObject(f)) continue;
        const at = `families[${typeof f.name === 'string' ? f.name : JSON.stringify(f.name)}]`;
        parts[at] = short(f);
        for (const [k, x] of Object.entries(f)) parts[`${at}.${k}`] = short(x);
      }
    } else if (isObject(value)) for (const [k, x] of Object.entries(value)) parts[`${section}.${k}`] = short(x);
  }
  return { digest: hash(shared), parts };
}

/**
 * Where two copies differ: each part whose hash differs or that only one has, most specific only
 * (`families[users].guard`, not also `families[users]` and `families`); a part only one copy has
 * is named without its fields. A section that differs in no listed part (families in another
 * order) is named itself.
 */
export function planDifferences(a: PlanDigest, b: PlanDigest): string[] {
  if (a.digest === b.digest) return [];
  const keys = [...new Set([...Object.keys(a.parts), ...Object.keys(b.parts)])];
  const within = (parent: string, k: string): boolean => k.startsWith(`${parent}.`) || k.startsWith(`${parent}[`);
  const missing = keys.filter((k) => a.parts[k] === undefined || b.parts[k] === undefined);
  // A part only one copy has (a family) is named once, not with each of its fields.
  const differ = keys.filter((k) => a.parts[k] !== b.parts[k] && !missing.some((m) => within(m, k)));
  const found = differ.filter((k) => !differ.some((other) => within(k, other))).sort();
  // Equal parts but another digest: a field outside every part, such as a new top-level section.
  return found.length > 0 ? found : ['(the plan as a whole)'];
}

/** The top-level sections of `paths` (`families`, `router`), once each. */
export function sectionsOf(paths: readonly string[]): string[] {
  return [...new Set(paths.map((p) => p.split(/[.[]/)[0] ?? p))];
}

/** How one copy of a fleet's plan differs from the first member's. */
export interface CopyDifference {
  /** The members holding this copy. */
  members: string[];
  /** Its digest. */
  digest: string;
  /** Its parts that differ from the first copy's, most specific first (`families[users].guard`). */
  differs: string[];
  /** Their top-level sections (`families`, `router`). */
  sections: string[];
}

/** Copies of the plan a fleet's members hold, when they are not all the same. */
export interface FleetCopies {
  /** How many different copies. */
  count: number;
  /** The first member's copy, which the others are compared with. */
  reference: { members: string[]; digest: string };
  differences: CopyDifference[];
  /** What differs, naming each odd member and the parts, and what to do (without the error code). */
  message: string;
}

/**
 * Compares the copies of the plan a fleet's members serve (`GET /v1/plan/digest`), in the plan's
 * member order: undefined when every member that serves a digest serves the same one. Members that
 * serve none (a Phoenix from before the digest) are not compared.
 * @param what the change refused ("canary 25% of users"), for the message
 */
export function fleetCopies(
  digests: readonly { url: string; value: PlanDigest | undefined }[],
  what: string,
): FleetCopies | undefined {
  const copies: { digest: PlanDigest; members: string[] }[] = [];
  for (const { url, value } of digests) {
    if (!value) continue;
    const same = copies.find((c) => c.digest.digest === value.digest);
    if (same) same.members.push(url);
    else copies.push({ digest: value, members: [url] });
  }
  const [first, ...others] = copies;
  if (first === undefined || others.length === 0) return undefined;
  const differences = others.map((c): CopyDifference => {
    const differs = planDifferences(first.digest, c.digest);
    return { members: c.members, digest: c.digest.digest, differs, sections: sectionsOf(differs) };
  });
  const against = first.members.join(' and ');
  const text = differences
    .map(
      (d) =>
        `${d.members.join(' and ')} ${d.members.length === 1 ? 'differs' : 'differ'} from ${against} in ${d.differs.join(', ')}`,
    )
    .join('; ');
  return {
    count: copies.length,
    reference: { members: first.members, digest: first.digest.digest },
    differences,
    message:
      `the fleet's members hold ${copies.length} different copies of the plan: ` +
      `${text} (sections: ${sectionsOf(differences.flatMap((d) => d.sections)).join(', ')}); ` +
      `${what} was refused before any member moved. A host's copy may differ only in its own files and addresses ` +
      '(docs/fleets.md); give every member the same plan and restart it',
  };
}
