/**
 * Text bodies (HTML pages, CSV, plain text) compared word by word. A rendered page carries values
 * that change on every render (a CSRF token, a script nonce, "rendered at 14:03:22", an element
 * id): compared as one string, two legacy answers always differ, so the whole body was learned as
 * noise and a missing table row went unseen. Here a text's runs of letters, digits and `_-+=.:/`
 * (its words, numbers, dates, times, ids, tokens, links) are its values and the rest (markup,
 * punctuation, whitespace) its skeleton. Two texts with the same skeleton are compared value by
 * value, each at a path of its own (`$body.token3`: the third value of the text), so noise is
 * learned, and value classes judged, per value; two skeletons that differ are a difference of the
 * whole body. Pure.
 */

/** A run of the characters words and values are written with. */
const RUN = /[A-Za-z0-9_\-+=.:/]+/g;

/** Whether char code `c` is one values are written with (the class of {@link RUN}). */
function inRun(c: number): boolean {
  return (
    (c >= 97 && c <= 122) ||
    (c >= 65 && c <= 90) ||
    (c >= 45 && c <= 58) || // - . / 0-9 :
    c === 95 || // _
    c === 43 || // +
    c === 61 // =
  );
}

/** How many values `text` holds (see the module comment), counted without building them. */
export function countValues(text: string): number {
  let n = 0;
  let inside = false;
  for (let i = 0; i < text.length; i++) {
    const r = inRun(text.charCodeAt(i));
    if (r && !inside) n++;
    inside = r;
  }
  return n;
}

/** Stands for a value in the skeleton: a control character no text of a page has. */
const HOLE = '\u0001';

/** A text split into its skeleton and its values, in order. */
export interface TextTokens {
  skeleton: string;
  values: string[];
}

/** Splits `text` into its skeleton and values (see the module comment). */
export function textTokens(text: string): TextTokens {
  const values: string[] = [];
  const skeleton = text.replace(RUN, (run) => {
    values.push(run);
    return HOLE;
  });
  return { skeleton, values };
}

/** Fewest characters a value needs to be taken for a generated token. */
const TOKEN_MIN_LENGTH = 12;
/** Fewest distinct characters it needs: an order number (`ORD-2024-000123`) has fewer. */
const TOKEN_MIN_DISTINCT = 10;
/** Without `/`: a path (`/bills/2024-10`) is no token. */
const URLSAFE_TOKEN = /^[A-Za-z0-9_\-+=.]+$/;
const DIGIT = /\d/;
const LETTER = /[A-Za-z]/;

/**
 * Whether two differing values are both fresh random tokens (a CSRF token, a nonce, a session id,
 * each side generating its own, each framework its own way: hex against URL-safe base64, of any
 * lengths from {@link TOKEN_MIN_LENGTH}): at least {@link TOKEN_MIN_DISTINCT} distinct characters
 * each, and each either letters and digits both or
 * letters whose case changes at random (`TEWbUODADtZUnmli`; a word such as `Northumberland` changes
 * case once). Used only where legacy cannot be asked twice (a POST's answer), as the value classes are.
 */
export function bothGeneratedTokens(a: string, b: string): boolean {
  if (a.length < TOKEN_MIN_LENGTH || b.length < TOKEN_MIN_LENGTH) return false;
  if (!(URLSAFE_TOKEN.test(a) && URLSAFE_TOKEN.test(b))) return false;
  for (const s of [a, b]) {
    if (new Set(s).size < TOKEN_MIN_DISTINCT) return false;
    if (!(DIGIT.test(s) && LETTER.test(s)) && caseChanges(s) < MIN_CASE_CHANGES) return false;
  }
  return true;
}

/** Case changes a token of letters alone needs to be taken for random. */
const MIN_CASE_CHANGES = 4;

/** How often `s` goes from a lower-case letter to an upper-case one or back. */
function caseChanges(s: string): number {
  let n = 0;
  let last = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    const kind = c >= 65 && c <= 90 ? 1 : c >= 97 && c <= 122 ? 2 : 0;
    if (kind === 0) continue;
    if (last !== 0 && kind !== last) n++;
    last = kind;
  }
  return n;
}

/** `s` trimmed, each run of whitespace one space. */
export function collapse(s: string): string {
  return s.trim().replace(/\s+/g, ' ');
}
