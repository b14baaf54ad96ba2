/**
 * An HTML page written one canonical way, so that two templates of one page compare equal when
 * they differ only in how the markup is spelled: attribute order and quoting, `<br>` against
 * `<br/>`, a closing tag the parser implies, entities against the characters they stand for,
 * indentation and line breaks, comments. The text comparison (text-values.ts) then runs on the
 * canonical page, and names each of its values by where it sits in the document
 * (`$body.html.body.main.table.tr[*].td3.t1`: the first value in the third cell of any row), so
 * that noise learned on one page holds on every page of the route that has the same structure,
 * and a difference reads as a place in the page. Pure.
 */
import { Parser } from 'htmlparser2';
import { formatKey } from './json-path.js';
import { countValues } from './text-tokens.js';

/** Elements without content or closing tag. */
const VOID = new Set([
  'area',
  'base',
  'br',
  'col',
  'embed',
  'hr',
  'img',
  'input',
  'link',
  'meta',
  'param',
  'source',
  'track',
  'wbr',
]);
/** Elements whose whitespace is content. */
const PREFORMATTED = new Set(['pre', 'textarea']);
/**
 * Elements that are the items of a list, named by position as array items are (`tr[3]`, folded
 * to `tr[*]` in noise paths). Other repeated siblings are told apart by their number (`div2`,
 * `td3`): a table's columns and a page's sections are each a place of their own.
 */
const ITEMS = new Set(['tr', 'li', 'option', 'dt', 'dd', 'article']);

const escapeText = (s: string): string =>
  /[&<>]/.test(s) ? s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;') : s;
const escapeAttribute = (s: string): string => (/[&"]/.test(s) ? s.replace(/&/g, '&amp;').replace(/"/g, '&quot;') : s);

/** Path steps by name, written once per name: a page repeats a few dozen names thousands of times. */
const steps = new Map<string, string>();
function step(name: string): string {
  let s = steps.get(name);
  if (s === undefined) {
    s = formatKey(name);
    if (steps.size < 10_000) steps.set(name, s);
  }
  return s;
}

/** A page in canonical markup, and where each of its values sits. */
export interface CanonicalHtml {
  text: string;
  /** The path of the `i`-th value of `text` (text-tokens.ts), from 0. */
  valuePath: (i: number) => string;
}

interface Open {
  path: string;
  /** `path` with the step of its text's values, made when first needed. */
  textPrefix?: string;
  /** Children so far, per tag name. */
  children: Map<string, number>;
  /** Values of its own text so far. */
  textValues: number;
}

/**
 * `html` written canonically: tag and attribute names in lower case, attributes sorted by name
 * and double-quoted (an empty one, or one whose value is its name, as its bare name), every
 * element closed except void ones, entities decoded and only `&`, `<`, `>` (and `"` in
 * attributes) escaped, comments left out (the text around one reads on as one), and text trimmed
 * with each run of whitespace one space (a text of whitespace alone left out) except inside `pre`
 * and `textarea`. Whitespace between two inline elements is therefore not compared.
 */
export function canonicalHtml(html: string): CanonicalHtml {
  const out: string[] = [];
  // A value's path is its prefix, and its number after the prefix when it has one (`.t3`, `.v1`):
  // written out only for the values that differ.
  const prefixes: string[] = [];
  const numbers: number[] = [];
  const root: Open = { path: '$body', children: new Map(), textValues: 0 };
  const stack: Open[] = [root];
  let text = '';
  let preformatted = 0;
  const top = (): Open => stack[stack.length - 1] as Open;
  /** Files the values of `piece` under `prefix`, numbered from `first` (0: all unnumbered); returns how many. */
  const addValues = (piece: string, prefix: string, first: number): number => {
    const n = countValues(piece);
    for (let k = 0; k < n; k++) {
      prefixes.push(prefix);
      numbers.push(first === 0 ? 0 : first + k);
    }
    return n;
  };
  const emit = (piece: string, path: string): void => {
    out.push(piece);
    addValues(piece, path, 0);
  };
  const flush = (): void => {
    if (text === '') return;
    const t = preformatted > 0 ? text : text.trim().replace(/\s+/g, ' ');
    text = '';
    if (t === '') return;
    const at = top();
    const piece = escapeText(t);
    out.push(piece);
    at.textPrefix ??= `${at.path}.t`;
    at.textValues += addValues(piece, at.textPrefix, at.textValues + 1);
  };
  const parser = new Parser(
    {
      onprocessinginstruction(name, data) {
        flush();
        if (name.toLowerCase() === '!doctype') emit(`<${data.toLowerCase().replace(/\s+/g, ' ')}>`, '$body.doctype');
      },
      onopentag(name, attributes) {
        flush();
        const parent = top();
        const n = (parent.children.get(name) ?? 0) + 1;
        parent.children.set(name, n);
        const path = parent.path + (ITEMS.has(name) ? `${step(name)}[${n - 1}]` : step(n === 1 ? name : `${name}${n}`));
        stack.push({ path, children: new Map(), textValues: 0 });
        if (PREFORMATTED.has(name)) preformatted++;
        emit(`<${name}`, path);
        for (const a of Object.keys(attributes).sort()) {
          const v = attributes[a] as string;
          const at = path + step(`@${a}`);
          // `selected`, `selected=""` and `selected="selected"` are one boolean attribute.
          if (v === '' || v.toLowerCase() === a) emit(` ${a}`, at);
          else {
            emit(` ${a}="`, at);
            const value = escapeAttribute(v);
            out.push(value);
            addValues(value, `${at}.v`, 1);
            out.push('"');
          }
        }
        out.push('>');
      },
      ontext(t) {
        text += t;
      },
      onclosetag(name) {
        flush();
        const open = stack.length > 1 ? (stack.pop() as Open) : root;
        if (PREFORMATTED.has(name) && preformatted > 0) preformatted--;
        if (!VOID.has(name)) emit(`</${name}>`, open.path);
      },
    },
    { decodeEntities: true, lowerCaseTags: true, lowerCaseAttributeNames: true },
  );
  parser.write(html);
  parser.end();
  flush();
  return {
    text: out.join(''),
    valuePath: (i) => {
      const n = numbers[i] ?? 0;
      return n === 0 ? (prefixes[i] ?? '$body') : `${prefixes[i]}${n}`;
    },
  };
}
