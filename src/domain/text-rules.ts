/**
 * What a wish's text may hold. A wish is kept word for word (NFC), so the only text refused is text
 * the wall could not show honestly: invalid Unicode, control characters, and the bidi controls that
 * make characters display in another order than they were written. Nothing here may need Node: the
 * page checks the same rules before sending (see `browser.ts`).
 *
 * Bidi *isolates* (U+2066–U+2069) and marks (LRM, RLM, ALM) are kept: they group text, they never
 * reverse it, and every surface shows each wish in an element of its own with `dir="auto"` (an
 * isolate), so an isolate left open ends with the wish and cannot reach the page around it.
 * Embeddings and overrides (U+202A–U+202E) are refused: an override shows `abc` as `cba`.
 */

/** Why a character cannot be shown honestly. */
export type UnshowableKind = 'lone-surrogate' | 'control' | 'bidi-override';

export interface Unshowable {
  readonly kind: UnshowableKind;
  /** The character as `U+XXXX`. */
  readonly codePoint: string;
  /** 1-based position in code points, as people count characters. */
  readonly position: number;
}

// One pass over the text: a lone surrogate (in `u` mode a paired one is a single code point), a C0/C1
// control or DEL other than tab, newline and a carriage return that ends a line (CRLF), or an
// embedding/override. Named groups say which rule the character broke.
const UNSHOWABLE =
  // eslint-disable-next-line no-control-regex -- matching control characters is the point
  /(?<surrogate>\p{Cs})|(?<control>\r(?!\n)|[\0-\x08\x0B\x0C\x0E-\x1F\x7F-\x9F])|(?<bidi>[\u202A-\u202E])/u;

/** The first character of `text` that cannot be shown honestly, or undefined when there is none. */
export function findUnshowable(text: string): Unshowable | undefined {
  const match = UNSHOWABLE.exec(text);
  if (match === null) return undefined;
  const groups = match.groups ?? {};
  const kind: UnshowableKind =
    groups['surrogate'] !== undefined
      ? 'lone-surrogate'
      : groups['control'] !== undefined
        ? 'control'
        : 'bidi-override';
  const codePoint = `U+${(match[0].codePointAt(0) ?? 0).toString(16).toUpperCase().padStart(4, '0')}`;
  return { kind, codePoint, position: [...text.slice(0, match.index)].length + 1 };
}

const WHY: Readonly<Record<UnshowableKind, string>> = {
  'lone-surrogate': 'is not valid Unicode (a lone surrogate)',
  control: 'is a control character; only newline and tab are allowed',
  'bidi-override': 'is a bidi override, which would show the text in another order than written',
};

/** A person's reading of a finding, e.g. `character 12 (U+202E) is a bidi override, …`. */
export function describeUnshowable(found: Unshowable): string {
  return `character ${found.position} (${found.codePoint}) ${WHY[found.kind]}`;
}
