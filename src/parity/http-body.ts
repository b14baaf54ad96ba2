/**
 * An answer's body as the client's HTTP library hands it over: undone of its `Content-Encoding`,
 * as text without a byte-order mark, and compared byte for byte before anything is parsed. Pure.
 */
import { brotliDecompressSync, gunzipSync, inflateSync } from 'node:zlib';
import { headerValue } from './headers.js';
import type { HttpSnapshot } from './types.js';

/** A decoded body larger than this is left encoded (bytes): a bound on what a small compressed answer may expand to. */
const MAX_DECODED_BYTES = 32 * 1024 * 1024;

const DECODERS: Record<string, (b: Uint8Array, o: { maxOutputLength: number }) => Buffer> = {
  gzip: gunzipSync,
  'x-gzip': gunzipSync,
  deflate: inflateSync,
  br: brotliDecompressSync,
};

/**
 * The body as the client's HTTP library hands it over: undone of its `Content-Encoding` (gzip,
 * deflate, br, in the reverse of the order applied), so one side compressing and the other not is
 * no difference. A body that does not decode (cut short, an unknown coding) is compared as sent.
 */
export function decoded(s: HttpSnapshot): Uint8Array | string {
  const coding = headerValue(s.headers, 'content-encoding');
  if (coding === undefined || typeof s.body === 'string' || s.body.byteLength === 0) return s.body;
  const codings = coding
    .split(',')
    .map((c) => c.trim().toLowerCase())
    .filter((c) => c !== '' && c !== 'identity');
  let body: Uint8Array = s.body;
  try {
    for (const c of codings.reverse()) {
      const decode = DECODERS[c];
      if (decode === undefined) return s.body;
      body = decode(body, { maxOutputLength: MAX_DECODED_BYTES });
    }
  } catch {
    return s.body;
  }
  return body;
}

/** The body as UTF-8 text, without a leading byte-order mark. */
export function bodyText(body: Uint8Array | string): string {
  const s =
    typeof body === 'string' ? body : Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('utf8');
  return s.charCodeAt(0) === 0xfeff ? s.slice(1) : s;
}

/** Whether two bodies are the same bytes. */
export function bodiesIdentical(a: Uint8Array | string, b: Uint8Array | string): boolean {
  if (typeof a === 'string' && typeof b === 'string') return a === b;
  const x = typeof a === 'string' ? Buffer.from(a) : Buffer.from(a.buffer, a.byteOffset, a.byteLength);
  const y = typeof b === 'string' ? Buffer.from(b) : Buffer.from(b.buffer, b.byteOffset, b.byteLength);
  return x.equals(y);
}
