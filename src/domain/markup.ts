import htmlTags from 'html-tags';
import { Parser } from 'htmlparser2';

const ELEMENTS: ReadonlySet<string> = new Set(htmlTags);
/** `<` (or `</`) right before an element's name, anywhere: catches tags broken or nested on purpose. */
const ELEMENT_OPENING = new RegExp(`</?(?:${htmlTags.join('|')})(?=[\\s/>]|$)`, 'i');

/**
 * Whether a text looks like markup: what an injection attempt is made of. A wish that does is kept
 * exactly as written (every surface shows it as text) and only *flagged*, so operators see attempts.
 *
 * Read by a real HTML tokenizer, as a browser would read it if the text were ever inserted as HTML:
 * markup is a tag naming an HTML element (`<b>`, `<IMG …`, `</script>`, finished or not), any tag
 * with an event-handler attribute (`<x onclick=…>`) or a `javascript:` URL, a comment, CDATA or a
 * processing instruction; and, for tags broken or nested to slip past filters (`<scr<script>ipt>`),
 * `<` right before an element's name anywhere. Ordinary `<` in prose is not markup: `I <3 you`,
 * `Mum <mum@example.org>`, `x <y`. Prose that happens to read as a tag (`if a<b and c>d`) is
 * flagged: a flag changes nothing the evacuee sees.
 */
export function looksLikeMarkup(text: string): boolean {
  if (!text.includes('<')) return false;
  if (ELEMENT_OPENING.test(text)) return true;
  let found = false;
  const flag = (): void => {
    found = true;
  };
  const parser = new Parser(
    {
      // Fired as soon as a name or attribute is read, so an unfinished tag at the end counts too.
      onopentagname: (name) => ELEMENTS.has(name) && flag(),
      onattribute: (name, value) => (isHandler(name) || isScriptUrl(value)) && flag(),
      oncomment: flag,
      onprocessinginstruction: flag,
    },
    // Compared lower-cased, as HTML does: `<IMG>` is `<img>`.
    { lowerCaseTags: true, lowerCaseAttributeNames: true, decodeEntities: true },
  );
  parser.write(text);
  parser.end();
  return found;
}

const isHandler = (attribute: string): boolean => /^on[a-z]/.test(attribute);
// Browsers skip whitespace and control characters inside a URL's scheme: `java\tscript:` still runs.
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const isScriptUrl = (value: string): boolean => /^(?:java|vb)script:/i.test(value.replace(/[\s\0-\x1F]/g, ''));
