import { Parser } from 'htmlparser2';

/**
 * Untrusted text becomes plain text: Unicode NFC, no control characters (newline and tab survive),
 * and no markup. Markup is parsed by a real HTML tokenizer and only its text is kept (entities
 * decoded), repeated until nothing tag-like is left, because decoding `&lt;b&gt;` makes a new tag.
 * The result never contains markup, and sanitising it again changes nothing (both property-tested).
 */
export interface Sanitised {
  readonly text: string;
  /** True when markup was found and turned into plain text. */
  readonly markupRemoved: boolean;
}

// A `<` that an HTML tokenizer would read as the start of a tag, comment, doctype or processing instruction.
const MARKUP = /<[a-zA-Z!/?]/;
// C0/C1 controls, DEL, bidi overrides/isolates and the BOM; keeps \t and \n.
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const CONTROL = /[\u0000-\u0008\u000B-\u001F\u007F-\u009F\u202A-\u202E\u2066-\u2069\uFEFF]/g;

export function containsMarkup(text: string): boolean {
  return MARKUP.test(text);
}

export function sanitise(input: string): Sanitised {
  let text = normalise(input);
  let markupRemoved = false;
  while (containsMarkup(text)) {
    markupRemoved = true;
    const next = normalise(textOf(text));
    // The tokenizer can hand back an unfinished tag as text; then drop the tag-opening `<` itself.
    // Either way every pass shortens the text, so the loop ends.
    text = next.length < text.length ? next : next.replace(new RegExp(MARKUP.source, 'g'), (m) => m.slice(1));
  }
  return { text, markupRemoved };
}

function normalise(text: string): string {
  return text.normalize('NFC').replace(/\r\n?/g, '\n').replace(CONTROL, '').trim();
}

/** The text content of an HTML fragment; script and style bodies are code, not text, so they go. */
function textOf(html: string): string {
  const parts: string[] = [];
  let skipDepth = 0;
  const parser = new Parser(
    {
      onopentagname(name) {
        if (name === 'script' || name === 'style') skipDepth++;
      },
      onclosetag(name) {
        if ((name === 'script' || name === 'style') && skipDepth > 0) skipDepth--;
      },
      ontext(data) {
        if (skipDepth === 0) parts.push(data);
      },
    },
    { decodeEntities: true },
  );
  parser.write(html);
  parser.end();
  return parts.join('');
}
