/**
 * Bodies that are data in a format other than one JSON document: XML (an RSS or Atom feed, a SOAP
 * answer, a sitemap) and newline-delimited JSON (an export streamed one record per line). Two
 * services write the same document in different spellings (Jinja's template against ElementTree:
 * attribute order, quotes, `<x/>` against `<x></x>`, indentation, the declaration, CDATA against
 * escaped text; sorted keys and spaces against compact lines), so they are read into values and
 * compared as JSON is: a missing element or a dropped line is a difference at its own path, and a
 * value that changes on every render is learned as noise at its path. Pure.
 */
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { holdsLongIntegers, parseExactJson } from './exact-json.js';
import { mediaType } from './headers.js';

/** How a body was read: `xml` or `ndjson`; undefined when it is neither, or does not parse. */
export type StructuredKind = 'xml' | 'ndjson';

/** Attributes are keys `@name`, beside child elements and `#text`. */
const XML = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: '@',
  // Text and attribute values stay strings: `007`, `12:30` and `1e3` are what the service wrote.
  parseTagValue: false,
  parseAttributeValue: false,
  trimValues: true,
  ignoreDeclaration: true,
  ignorePiTags: true,
  processEntities: true,
  htmlEntities: true,
});

/** A media type of XML: `application/xml`, `text/xml`, or any `+xml` (`application/rss+xml`), not XHTML. */
export function isXmlType(ct: string | undefined): boolean {
  if (ct === undefined) return false;
  const t = mediaType(ct);
  return t === 'application/xml' || t === 'text/xml' || (t.endsWith('+xml') && t !== 'application/xhtml+xml');
}

/** A media type of newline-delimited JSON: `application/x-ndjson`, `application/jsonl`, `application/json-seq` and kin. */
export function isNdjsonType(ct: string | undefined): boolean {
  return ct !== undefined && /^application\/(?:x-)?(?:ndjson|jsonl|jsonlines|json-seq)$/.test(mediaType(ct));
}

/**
 * Both bodies read as values when either side's media type says XML or newline-delimited JSON;
 * undefined when it says neither, or when either body does not parse (they are then compared as
 * text).
 */
export function parseTypedStructure(
  legacy: string,
  candidate: string,
  legacyType: string | undefined,
  candidateType: string | undefined,
): { kind: StructuredKind; legacy: unknown; candidate: unknown } | undefined {
  const kind: StructuredKind | undefined =
    isXmlType(legacyType) || isXmlType(candidateType)
      ? 'xml'
      : isNdjsonType(legacyType) || isNdjsonType(candidateType)
        ? 'ndjson'
        : undefined;
  if (kind === undefined) return undefined;
  const parse = kind === 'xml' ? parseXml : parseNdjson;
  const l = parse(legacy);
  const c = l === undefined ? undefined : parse(candidate);
  return l !== undefined && c !== undefined ? { kind, legacy: l, candidate: c } : undefined;
}

/**
 * Both bodies read as newline-delimited JSON by their lines, whatever their type says: two or more,
 * the first starting like JSON (an export served as `application/json`); undefined when either is
 * not.
 */
export function parseNdjsonLines(legacy: string, candidate: string): [unknown[], unknown[]] | undefined {
  if (!manyLines(legacy) || !manyLines(candidate)) return undefined;
  const l = parseNdjson(legacy);
  const c = l === undefined ? undefined : parseNdjson(candidate);
  return l !== undefined && c !== undefined ? [l, c] : undefined;
}

/**
 * An XML document as a value; undefined when it is not well formed or declares entities (whose
 * expansion a comparison has no business doing). Same-named siblings become a list in their
 * order; the order between differently named siblings is not kept.
 */
export function parseXml(s: string): unknown {
  if (/<!ENTITY/i.test(s) || XMLValidator.validate(s) !== true) return undefined;
  try {
    return XML.parse(s) as unknown;
  } catch {
    return undefined;
  }
}

const RECORD_SEPARATOR = String.fromCharCode(0x1e);

/** Every non-blank line as one JSON value, in order; undefined when any line is not JSON. */
export function parseNdjson(s: string): unknown[] | undefined {
  const out: unknown[] = [];
  for (const raw of s.split('\n')) {
    // `application/json-seq` starts each record with a record separator.
    const line = (raw.startsWith(RECORD_SEPARATOR) ? raw.slice(1) : raw).trim();
    if (line === '') continue;
    try {
      out.push(parseExactJson(line, holdsLongIntegers(line)));
    } catch {
      return undefined;
    }
  }
  return out;
}

/** Two or more non-blank lines, the first starting like a JSON object or array. */
function manyLines(s: string): boolean {
  const t = s.trimStart();
  if (t[0] !== '{' && t[0] !== '[') return false;
  const nl = t.indexOf('\n');
  return nl > 0 && t.slice(nl + 1).trim() !== '';
}
