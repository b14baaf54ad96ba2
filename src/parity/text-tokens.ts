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
