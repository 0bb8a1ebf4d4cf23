import htmlTags from 'html-tags';
import { Parser } from 'htmlparser2';

/**
 * Element names a browser's parser acts on: today's (html-tags) and the obsolete ones it still
 * parses (the HTML standard, §16 "Obsolete features"): `<image>` becomes `<img>`, `<xmp>` and
 * `<plaintext>` swallow what follows, `<marquee>` and `<frameset>` still run handlers.
 */
const ELEMENTS: readonly string[] = [
  ...htmlTags,
  ...[
    'acronym',
    'applet',
    'basefont',
    'bgsound',
    'big',
    'blink',
    'center',
    'dir',
    'font',
    'frame',
    'frameset',
    'image',
    'isindex',
    'keygen',
  ],
  ...[
    'listing',
    'marquee',
    'menuitem',
    'multicol',
    'nextid',
    'nobr',
    'noembed',
    'noframes',
    'plaintext',
    'rb',
    'rtc',
    'spacer',
    'strike',
    'tt',
    'xmp',
  ],
];
/** `<` (or `</`) right before an element's name, anywhere: catches tags broken or nested on purpose. */
const ELEMENT_OPENING = new RegExp(`</?(?:${ELEMENTS.join('|')})(?=[\\s/>]|$)`, 'i');
/** An event-handler attribute inside a tag, finished or not: `<x-card onclick=…`, `<svg/onload=…`. */
const HANDLER_ATTRIBUTE = /<[a-z][^<>]*?[\s/"']on[a-z]+\s*=/i;

/**
 * Whether a text looks like markup: what an injection attempt is made of. A wish that does is kept
 * exactly as written (every surface shows it as text) and only *flagged*, so operators see attempts.
 *
 * Markup is: a tag naming an HTML element (`<b>`, `<IMG …`, `</script>`, finished or not, also
 * broken or nested to slip past filters: `<scr<script>ipt>`); any tag with an event-handler
 * attribute; and, read by a real HTML tokenizer as a browser would read the text if it were ever
 * inserted as HTML, an attribute holding a `javascript:` URL (entities decoded), a comment, CDATA or
 * a processing instruction. Ordinary `<` in prose is not: `I <3 you`, `Mum <mum@example.org>`,
 * `x <y`. Prose that happens to read as a tag (`if a<b and c>d`) is flagged: a flag changes nothing
 * the evacuee sees.
 */
export function looksLikeMarkup(text: string): boolean {
  if (!text.includes('<')) return false;
  if (ELEMENT_OPENING.test(text) || HANDLER_ATTRIBUTE.test(text)) return true;
  let found = false;
  const flag = (): void => {
    found = true;
  };
  const parser = new Parser(
    {
      onattribute: (_name, value) => isScriptUrl(value) && flag(),
      oncomment: flag,
      onprocessinginstruction: flag,
    },
    { decodeEntities: true },
  );
  parser.write(text);
  parser.end();
  return found;
}

// Browsers skip whitespace and control characters inside a URL's scheme: `java\tscript:` still runs.
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const isScriptUrl = (value: string): boolean => /^(?:java|vb)script:/i.test(value.replace(/[\s\0-\x1F]/g, ''));
