import fc from 'fast-check';

/**
 * Characters that have broken text carriers before: astral ones (a surrogate pair in UTF-16; fauxqs
 * 1.9.2 refuses each half), a ZWJ sequence and a flag (several code points, one character), the
 * noncharacters U+FFFE/U+FFFF and whatever else lies outside XML's characters (real SQS refuses
 * them), the line and paragraph separators (line ends to some parsers), combining marks (changed by
 * any normalisation on the way), bidi isolates and marks, the byte order mark, the edges of the
 * ranges SQS allows, and what JSON itself must escape.
 */
export const NASTY_CHARACTERS: readonly string[] = [
  '\u{1F600}',
  '\u{10000}',
  '\u{10FFFF}',
  '\u{1F469}\u200D\u{1F469}\u200D\u{1F467}',
  '\u{1F1FA}\u{1F1E6}',
  '\uFFFE',
  '\uFFFF',
  '\u2028',
  '\u2029',
  'e\u0301',
  '\u0301',
  '\u0308\u0323',
  '\u2066',
  '\u2067',
  '\u2068',
  '\u2069',
  '\u200E',
  '\u200F',
  '\u061C',
  '\uFEFF',
  '\uD7FF',
  '\uE000',
  '\uFFFD',
  '\u0000',
  '\u0008',
  '\u007F',
  '\u0085',
  '\t',
  '\r\n',
  '"',
  '\\',
  '\\u0041',
];

/** Any code point of the Basic Multilingual Plane but a surrogate (a lone one is not text: the door refuses it). */
const bmp = fc.integer({ min: 0, max: 0xffff - 0x800 }).map((n) => String.fromCodePoint(n < 0xd800 ? n : n + 0x800));
/** Any code point beyond it (a surrogate pair in a JavaScript string). */
const astral = fc.integer({ min: 0x10000, max: 0x10ffff }).map((n) => String.fromCodePoint(n));

/**
 * Any well-formed Unicode text, the nasty characters above often: a superset of what the front door
 * accepts (it also refuses controls and bidi overrides), so an engine that carries these carries
 * every wish.
 */
export const anyText = fc.string({ unit: fc.oneof(fc.constantFrom(...NASTY_CHARACTERS), bmp, astral), maxLength: 40 });
