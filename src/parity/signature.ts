/**
 * Difference signatures: what a difference is, without the values that vary request to request,
 * so that the same intended change (an extra field, 200 → 201) seen on thousands of requests is
 * one thing a team decides once. A signature is the route template, the normalised JSON path
 * (indices and keys → `[*]`), the kind and a transition (`type number→string`, `status 200→201`,
 * `header content-type text/csv→text/plain`, `format +00:00→Z`). Its id is a short hash of that
 * text. Pure: the router, the CLI and workflow code import it.
 */
import { mediaType } from './headers.js';
import { normalizePath } from './json-path.js';
import type { DiffKind, Difference } from './types.js';

/** A difference's signature. */
export interface Signature {
  /** Stable short id (12 hex digits) of {@link Signature.text}. */
  id: string;
  /** Readable canonical text: `GET /api/things/:id $.price type number→string`. */
  text: string;
  /** The route template (`GET /api/things/:id`). */
  route: string;
  /** Normalised path: `$.items[*].price`, `$status`, `header:content-type`. */
  path: string;
  kind: DiffKind;
  /** The transition without the kind (`number→string`, `200→201`); "" when values vary (`value`). */
  transition: string;
}

/** JSON type of a value as people say it. */
export function jsonType(v: unknown): string {
  if (v === undefined) return 'absent';
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'bigint') return 'number';
  return typeof v === 'object' ? 'object' : typeof v;
}

/** `text/csv; charset=utf-8` → `text/csv`; absent → `absent`. */
function shownMediaType(v: unknown): string {
  if (v === undefined || v === null) return 'absent';
  const first: unknown = Array.isArray(v) ? v[0] : v;
  return mediaType(typeof first === 'string' ? first : JSON.stringify(first ?? '')) || 'empty';
}

const OFFSET = /(Z|[+-]\d{2}:?\d{2})$/i;
const FRACTION = /\d{2}:\d{2}:\d{2}\.\d+/;

/**
 * How a timestamp is written, without the instant: `Z`, `+00:00`, `.fff+0100`, `no offset`;
 * a number is `epoch`. Other values give their JSON type.
 */
function writtenStyle(v: unknown): string {
  if (typeof v === 'number') return 'epoch';
  if (typeof v !== 'string') return jsonType(v);
  const m = OFFSET.exec(v);
  const offset = m ? (m[1] === 'z' ? 'Z' : m[1]!) : 'no offset';
  return `${FRACTION.test(v) ? '.fff' : ''}${offset}`;
}

/** The transition of a difference, without the kind; "" when it carries none. */
export function transitionOf(d: Difference): string {
  switch (d.kind) {
    case 'type':
      return `${jsonType(d.legacy)}→${jsonType(d.candidate)}`;
    case 'status':
      return `${String(d.legacy)}→${String(d.candidate)}`;
    case 'header': {
      const name = d.path.startsWith('header:') ? d.path.slice(7) : d.path;
      if (name === 'content-type') return `${shownMediaType(d.legacy)}→${shownMediaType(d.candidate)}`;
      if (d.legacy === undefined) return 'absent→present';
      if (d.candidate === undefined) return 'present→absent';
      return 'changed';
    }
    case 'format': {
      if (d.valueClass !== undefined && d.valueClass !== 'timestamp' && d.valueClass !== 'epoch') return d.valueClass;
      const from = writtenStyle(d.legacy);
      const to = writtenStyle(d.candidate);
      return from === to ? (d.valueClass ?? 'written differently') : `${from}→${to}`;
    }
    default:
      return '';
  }
}

/**
 * Path as a signature shows it: JSON paths and the places of a page's values
 * (`$body.html.body.table.tr[*].td2.t1`) normalised, others (`$status`, `header:x`) as they are.
 */
export function signaturePath(path: string): string {
  return path.startsWith('$.') || path.startsWith('$[') || path.startsWith('$body.') ? normalizePath(path) : path;
}

/**
 * 64-bit FNV-1a of the text as 12 hex digits. Not cryptographic: ids only have to be stable and
 * distinct among a family's few hundred signatures.
 */
export function shortHash(text: string): string {
  let h1 = 0x811c9dc5;
  let h2 = 0xcbf29ce4;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    h1 = Math.imul(h1 ^ c, 0x01000193) >>> 0;
    h2 = Math.imul(h2 ^ c ^ (h1 >>> 16), 0x01000193) >>> 0;
  }
  return (h1.toString(16).padStart(8, '0') + h2.toString(16).padStart(8, '0')).slice(0, 12);
}

/** Where the path adds nothing to the text: it names the dimension the kind already names. */
function pathIsKind(path: string, kind: DiffKind): boolean {
  return kind === 'header' || path === '$status' || path === '$latency' || path === '$redirect';
}

/**
 * The signature of one difference found on `route` (a route template, method included).
 * @param route e.g. `GET /api/things/:id`
 */
export function signatureOf(route: string, d: Difference): Signature {
  const path = signaturePath(d.path);
  const transition = transitionOf(d);
  const header = d.kind === 'header' ? ` ${path.startsWith('header:') ? path.slice(7) : path}` : '';
  const what = `${d.kind}${header}${transition ? ` ${transition}` : ''}`;
  const text = pathIsKind(path, d.kind) ? `${route} ${what}` : `${route} ${path} ${what}`;
  return { id: shortHash(text), text, route, path, kind: d.kind, transition };
}

/** What a team decided about a signature. */
export type TriageDecision = 'accept' | 'noise' | 'block';

/** Every decision, for validation and help texts. */
export const TRIAGE_DECISIONS: readonly TriageDecision[] = ['accept', 'noise', 'block'];

/** One signature's decision, as the baseline file and the `triage` Update carry it. */
export interface TriageEntry {
  /** Signature id ({@link Signature.id}). */
  id: string;
  decision: TriageDecision;
  /** Why; required for `accept`. */
  reason?: string;
  /** Who decided. */
  by: string;
  /** When, ISO 8601. */
  at: string;
  /** The signature's text, for readers of the baseline. */
  text?: string;
}
